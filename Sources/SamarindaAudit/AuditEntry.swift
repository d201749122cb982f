import Foundation
import SamarindaCore

/// An event as stored in the trail: its sequence number and what happened.
public struct AuditRecord: Sendable, Equatable {
    public let seq: Int64
    public let event: AuditEvent
}

// {====== Canonical encoding ======}
//
// The bytes that are hashed. Not JSON: JSON has many spellings of one value
// (key order, escapes, number forms), so two honest encoders could disagree
// and a verifier would have to trust the one that wrote the log. Here every
// event has exactly one encoding, and decoding rejects anything else:
//
//   u8  version (1)
//   u64 seq                       big-endian, as every integer below
//   i64 timestamp                 microseconds since 1970-01-01T00:00:00Z
//   str principal, department, role
//   opt key id
//   str action, target, classification, outcome, outcome code ("" when ok)
//   i64 duration                  microseconds
//   opt request id
//   u32 field count, then (str key, str value) pairs, keys in strictly ascending UTF-8 byte order
//
// The actor's optional parts (on behalf of, OS user, host) travel as the fields `actor.on_behalf_of`,
// `actor.os_user` and `actor.host`: entries written before they existed keep their one encoding.
// The `actor.` prefix is reserved for them; an event's own field of that name is dropped.
//
//   str = u32 byte length ‖ UTF-8 bytes;  opt = u8 0 (absent) | u8 1 ‖ str

enum AuditEntry {
    static let version: UInt8 = 1

    static func encode(_ event: AuditEvent, seq: Int64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(version)
        putInt(&out, UInt64(bitPattern: seq))
        putInt(&out, UInt64(bitPattern: micros(event.timestamp)))
        putString(&out, event.actor.principalID)
        putString(&out, event.actor.department)
        putString(&out, event.actor.role)
        putOptional(&out, event.actor.keyID)
        putString(&out, event.action)
        putString(&out, event.target)
        putString(&out, event.classification.name)
        putString(&out, event.outcome.name)
        putString(&out, event.outcome.code ?? "")
        putInt(&out, UInt64(bitPattern: event.durationMicros))
        putOptional(&out, event.requestID)
        var fields = event.fields.filter { !$0.key.hasPrefix(actorPrefix) }
        for (key, value) in actorFields(event.actor) { fields[key] = value }
        let keys = fields.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let count = UInt32(keys.count)
        out.append(contentsOf: [UInt8(count >> 24), UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff), UInt8(count & 0xff)])
        for key in keys {
            putString(&out, key)
            putString(&out, fields[key]!)
        }
        return out
    }

    /// The sequence number an entry claims, read without decoding the rest (the verifier's hot path).
    static func claimedSeq(_ entry: [UInt8]) -> Int64? {
        guard entry.count >= 9, entry[0] == version else { return nil }
        var v: UInt64 = 0
        for i in 1...8 { v = v << 8 | UInt64(entry[i]) }
        return Int64(bitPattern: v)
    }

    static func decode(_ entry: [UInt8]) throws -> AuditRecord {
        var r = Reader(bytes: entry)
        guard try r.byte() == version else { throw AuditError(.malformed, "unknown audit entry version \(entry.first ?? 0)") }
        let seq = Int64(bitPattern: try r.bigEndian(UInt64.self))
        let ts = Int64(bitPattern: try r.bigEndian(UInt64.self))
        var actor = AuditActor(principalID: try r.string(), department: try r.string(), role: try r.string(), keyID: try r.optional())
        let action = try r.string()
        let target = try r.string()
        let classificationName = try r.string()
        guard let classification = Classification(name: classificationName) else {
            throw AuditError(.malformed, "unknown classification '\(classificationName)' in audit entry \(seq)")
        }
        let outcomeName = try r.string()
        let code = try r.string()
        let outcome: AuditEvent.Outcome
        switch outcomeName {
        case "ok" where code.isEmpty: outcome = .ok
        case "denied": outcome = .denied(code: code)
        case "error": outcome = .error(code: code)
        default: throw AuditError(.malformed, "unknown outcome '\(outcomeName)' in audit entry \(seq)")
        }
        let duration = Int64(bitPattern: try r.bigEndian(UInt64.self))
        let requestID = try r.optional()
        let count = try r.bigEndian(UInt32.self)
        guard count <= entry.count / 8 else { throw AuditError(.malformed, "impossible field count in audit entry \(seq)") }
        var fields: [String: String] = [:]
        var previousKey: String?
        for _ in 0..<count {
            let key = try r.string()
            if let previousKey, !previousKey.utf8.lexicographicallyPrecedes(key.utf8) {
                throw AuditError(.malformed, "fields out of canonical order in audit entry \(seq)")
            }
            previousKey = key
            fields[key] = try r.string()
        }
        guard r.atEnd else { throw AuditError(.malformed, "trailing bytes after audit entry \(seq)") }
        actor.onBehalfOf = fields.removeValue(forKey: "actor.on_behalf_of")
        actor.osUser = fields.removeValue(forKey: "actor.os_user")
        actor.host = fields.removeValue(forKey: "actor.host")
        let event = AuditEvent(timestamp: date(micros: ts), actor: actor, action: action, target: target, classification: classification,
                               outcome: outcome, durationMicros: duration, fields: fields, requestID: requestID)
        return AuditRecord(seq: seq, event: event)
    }

    static let actorPrefix = "actor."

    static func actorFields(_ actor: AuditActor) -> [String: String] {
        var out: [String: String] = [:]
        if let v = actor.onBehalfOf { out["actor.on_behalf_of"] = v }
        if let v = actor.osUser { out["actor.os_user"] = v }
        if let v = actor.host { out["actor.host"] = v }
        return out
    }

    static func micros(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    static func date(micros: Int64) -> Date {
        Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    private static func putInt(_ out: inout [UInt8], _ v: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(v >> UInt64(shift) & 0xff)) }
    }

    private static func putString(_ out: inout [UInt8], _ s: String) {
        let count = UInt32(s.utf8.count)
        out.append(contentsOf: [UInt8(count >> 24), UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff), UInt8(count & 0xff)])
        out.append(contentsOf: s.utf8)
    }

    private static func putOptional(_ out: inout [UInt8], _ s: String?) {
        if let s {
            out.append(1)
            putString(&out, s)
        } else {
            out.append(0)
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var atEnd: Bool { offset == bytes.count }

        mutating func byte() throws -> UInt8 {
            guard offset < bytes.count else { throw truncated }
            defer { offset += 1 }
            return bytes[offset]
        }

        /// A big-endian unsigned integer of `T`'s width.
        mutating func bigEndian<T: FixedWidthInteger & UnsignedInteger>(_: T.Type = T.self) throws -> T {
            let width = MemoryLayout<T>.size
            guard bytes.count - offset >= width else { throw truncated }
            var v: T = 0
            for i in 0..<width { v = v << 8 | T(bytes[offset + i]) }
            offset += width
            return v
        }

        mutating func string() throws -> String {
            let count = Int(try bigEndian(UInt32.self))
            guard bytes.count - offset >= count else { throw truncated }
            let slice = bytes[offset..<offset + count]
            offset += count
            guard let s = String(validating: slice, as: UTF8.self) else {
                throw AuditError(.malformed, "audit entry holds text that is not valid UTF-8")
            }
            return s
        }

        mutating func optional() throws -> String? {
            switch try byte() {
            case 0: return nil
            case 1: return try string()
            default: throw AuditError(.malformed, "audit entry has a bad presence marker")
            }
        }

        var truncated: AuditError { AuditError(.malformed, "audit entry ends early (at byte \(offset) of \(bytes.count))") }
    }
}
