import Foundation
import SamarindaCore

/// An event in readable JSON form: what `audit tail --json`, `GET /v1/audit` and exports show.
public struct AuditRecordJSON: Codable, Sendable, Equatable {
    public var seq: Int64
    public var time: String
    public var principal: String
    public var department: String
    public var role: String
    public var keyID: String?
    /// `plugin run --as`, the console's `as`: the principal is the operator, acting for this one.
    public var onBehalfOf: String?
    /// The operating-system account and host behind a CLI or console action.
    public var osUser: String?
    public var host: String?
    public var action: String
    public var target: String
    public var classification: String
    public var outcome: String
    public var code: String?
    public var durationMicros: Int64
    public var requestID: String?
    public var fields: [String: String]

    enum CodingKeys: String, CodingKey {
        case seq, time, principal, department, role, keyID = "key_id", onBehalfOf = "on_behalf_of", osUser = "os_user", host, action, target, classification, outcome, code
        case durationMicros = "duration_us", requestID = "request_id", fields
    }

    public init(_ record: AuditRecord) {
        let e = record.event
        seq = record.seq
        time = AuditTime.iso(e.timestamp)
        principal = e.actor.principalID
        department = e.actor.department
        role = e.actor.role
        keyID = e.actor.keyID
        onBehalfOf = e.actor.onBehalfOf
        osUser = e.actor.osUser
        host = e.actor.host
        action = e.action
        target = e.target
        classification = e.classification.name
        outcome = e.outcome.name
        code = e.outcome.code
        durationMicros = e.durationMicros
        requestID = e.requestID
        fields = e.fields
    }
}

extension ISO8601DateFormatter {
    /// RFC 3339 with fractional seconds, as event times are written in JSON.
    static var withFractions: ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }
}

public enum AuditTime {
    /// The city's time zone: Samarinda keeps WITA (UTC+08:00), without daylight saving.
    public static let wita = TimeZone(secondsFromGMT: 8 * 3600)!

    /// `2026-11-30 09:49:07 WITA`: how every command shows a time to people.
    public static func wita(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        f.timeZone = wita
        return f.string(from: date) + " WITA"
    }

    static func iso(_ date: Date) -> String {
        ISO8601DateFormatter.withFractions.string(from: date)
    }
}

// {====== Export ======}
//
// One JSON object per line:
//   {"type":"header", "format":"samarinda-audit-export/1", "origin", "key", "start_seq",
//    "prefix_chain", "prefix_frontier"}      the chain value and tree edge before start_seq
//   {"type":"event", "seq", "entry" (base64 canonical bytes), "chain" (hex), "event" (readable copy)}
//   {"type":"checkpoint", "tree_size", "note"}   each signed checkpoint at or after the prefix
// The header's key is informational: the auditor verifies against the key they were given.
// The prefix needs no trust either: the first signed checkpoint after it checks it.

public enum AuditExport {
    public static let format = "samarinda-audit-export/1"

    public struct Summary: Sendable, Equatable {
        public let path: String
        public let firstSeq: Int64
        public let lastSeq: Int64
        public let events: Int
        public let checkpoints: Int
        /// The times of the first and last exported events.
        public var firstTime: Date?
        public var lastTime: Date?
    }

    struct Line: Codable {
        var type: String
        var format: String?
        var origin: String?
        var key: String?
        var startSeq: Int64?
        var prefixChain: String?
        var prefixFrontier: [String]?
        var exportedAt: String?
        var seq: Int64?
        var entry: String?
        var chain: String?
        var event: AuditRecordJSON?
        var treeSize: Int?
        var note: String?

        enum CodingKeys: String, CodingKey {
            case type, format, origin, key, startSeq = "start_seq", prefixChain = "prefix_chain", prefixFrontier = "prefix_frontier"
            case exportedAt = "exported_at", seq, entry, chain, event, treeSize = "tree_size", note
        }

        init(type: String) { self.type = type }
    }

    static func write(log: AuditLog, since: Date?, to path: String) throws -> Summary {
        // Atomic for a regular file, direct for /dev/null, a FIFO or '-' (standard output): see OutputFile.
        let handle: OutputFile
        do {
            handle = try OutputFile(path: path)
        } catch let error as OutputFileError {
            throw AuditError(.invalidArgument, "cannot write the export: \(error.message)")
        }
        defer { handle.discard() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var buffer = Data()
        func emit(_ line: Line) throws {
            buffer.append(try encoder.encode(line))
            buffer.append(0x0A)
            if buffer.count > 1 << 20 {
                try handle.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        var summary = (first: Int64(0), last: Int64(0), events: 0, checkpoints: 0)
        var times: (first: Date?, last: Date?) = (nil, nil)
        try log.database.read { c in
            let total = try c.queryFirst("SELECT COALESCE(MAX(seq), 0) FROM audit_events") { $0.int64(0) } ?? 0
            var start: Int64 = 1
            if let since {
                start = try c.queryFirst("SELECT MIN(seq) FROM audit_events WHERE ts >= ?", [.integer(AuditEntry.micros(since))]) {
                    $0.isNull(0) ? total + 1 : $0.int64(0)
                } ?? total + 1
            }
            let prefixSize = Int(start - 1)
            let chain = prefixSize == 0 ? AuditLog.chainSeed
                : try c.queryFirst("SELECT chain FROM audit_events WHERE seq = ?", [.integer(Int64(prefixSize))]) { $0.blob(0) } ?? AuditLog.chainSeed
            var base = MerkleFrontier()
            if let (size, bytes) = try c.queryFirst("SELECT tree_size, frontier FROM audit_checkpoints WHERE tree_size <= ? ORDER BY tree_size DESC LIMIT 1",
                                                    [.integer(Int64(prefixSize))], { ($0.int(0), $0.blob(1)) }),
               let stored = MerkleFrontier(size: size, serialized: bytes) {
                base = stored
            }
            let frontier = try AuditLog.frontierAt(prefixSize, from: base, c)
            var header = Line(type: "header")
            header.format = format
            header.origin = log.config.audit.origin
            header.key = log.publicKey
            header.startSeq = start
            header.prefixChain = hex(chain)
            header.prefixFrontier = frontier.hashes.map(hex)
            header.exportedAt = AuditTime.iso(Date())
            try emit(header)

            // Every handover, also those before the prefix: the chain of keys starts at the first key.
            for handover in try AuditLog.handovers(c) {
                var line = Line(type: "handover")
                line.treeSize = handover.size
                line.note = handover.note
                try emit(line)
            }
            let notes = try c.query("SELECT tree_size, note FROM audit_checkpoints WHERE tree_size >= ? ORDER BY tree_size", [.integer(Int64(prefixSize))]) { ($0.int(0), $0.text(1)) }
            var nextNote = 0
            func emitCheckpoints(upTo size: Int) throws {
                while nextNote < notes.count, notes[nextNote].0 <= size {
                    var line = Line(type: "checkpoint")
                    line.treeSize = notes[nextNote].0
                    line.note = notes[nextNote].1
                    try emit(line)
                    summary.checkpoints += 1
                    nextNote += 1
                }
            }
            try emitCheckpoints(upTo: prefixSize)
            let s = try c.prepare("SELECT seq, entry, chain FROM audit_events WHERE seq >= ? ORDER BY seq")
            try s.bind([.integer(start)])
            while try s.step() {
                let entry = s.blob(1)
                var line = Line(type: "event")
                line.seq = s.int64(0)
                line.entry = Data(entry).base64EncodedString()
                line.chain = hex(s.blob(2))
                if let record = try? AuditEntry.decode(entry) {
                    line.event = AuditRecordJSON(record)
                    if times.first == nil { times.first = record.event.timestamp }
                    times.last = record.event.timestamp
                }
                try emit(line)
                if summary.events == 0 { summary.first = line.seq! }
                summary.last = line.seq!
                summary.events += 1
                try emitCheckpoints(upTo: Int(line.seq!))
            }
            try emitCheckpoints(upTo: Int.max)
        }
        do {
            try handle.write(buffer)
            try handle.commit()
        } catch let error as OutputFileError {
            throw AuditError(.invalidArgument, "cannot write the export: \(error.message)")
        }
        return Summary(path: path, firstSeq: summary.first, lastSeq: summary.last, events: summary.events, checkpoints: summary.checkpoints,
                       firstTime: times.first, lastTime: times.last)
    }

    static func verify(data: Data, key: NoteVerifierKey, path: String, witnesses: [Witness] = []) throws -> AuditVerdict {
        let decoder = JSONDecoder()
        var header: Line?
        var events: [(seq: Int64, entry: [UInt8], chain: Hash, readable: AuditRecordJSON?)] = []
        var notes: [(claimedSize: Int, note: String, source: String)] = []
        var handovers: [(size: Int, note: String, source: String)] = []
        var lineNumber = 0
        for raw in data.split(separator: 0x0A, omittingEmptySubsequences: true) {
            lineNumber += 1
            guard let line = try? decoder.decode(Line.self, from: raw) else {
                throw AuditError(.malformed, "\(path):\(lineNumber): not an audit export line (expected one JSON object per line)")
            }
            switch line.type {
            case "header":
                guard header == nil, lineNumber == 1 else { throw AuditError(.malformed, "\(path):\(lineNumber): a second header") }
                guard line.format == format else {
                    throw AuditError(.malformed, "\(path):\(lineNumber): unknown export format '\(line.format ?? "")' (this samarinda reads \(format))")
                }
                header = line
            case "event":
                guard let seq = line.seq, let entryText = line.entry, let entry = Data(base64Encoded: entryText),
                      let chainText = line.chain, let chain = unhex(chainText) else {
                    throw AuditError(.malformed, "\(path):\(lineNumber): an event line needs seq, entry (base64) and chain (hex)")
                }
                events.append((seq, Array(entry), chain, line.event))
            case "checkpoint":
                guard let size = line.treeSize, let note = line.note else {
                    throw AuditError(.malformed, "\(path):\(lineNumber): a checkpoint line needs tree_size and note")
                }
                notes.append((size, note, "export line \(lineNumber)"))
            case "handover":
                guard let size = line.treeSize, let note = line.note else {
                    throw AuditError(.malformed, "\(path):\(lineNumber): a handover line needs tree_size and note")
                }
                handovers.append((size, note, "export line \(lineNumber)"))
            default:
                throw AuditError(.malformed, "\(path):\(lineNumber): unknown line type '\(line.type)'")
            }
        }
        guard let header, let startSeq = header.startSeq, startSeq >= 1,
              let chainText = header.prefixChain, let chain = unhex(chainText), chain.count == 32,
              let frontierHex = header.prefixFrontier else {
            throw AuditError(.malformed, "\(path): the export has no valid header line (start_seq, prefix_chain, prefix_frontier)")
        }
        let hashes = frontierHex.compactMap(unhex)
        guard hashes.count == frontierHex.count, let frontier = MerkleFrontier(size: Int(startSeq - 1), hashes: hashes) else {
            throw AuditError(.malformed, "\(path): the header's prefix_frontier does not fit start_seq \(startSeq)")
        }
        var verifier = TrailVerifier(key: key, frontier: frontier, chain: chain)
        verifier.addHandovers(handovers)
        verifier.addCheckpoints(notes + witnesses.map(\.asNote))
        for event in events {
            verifier.add(seq: event.seq, entry: event.entry, storedChain: event.chain)
            if verifier.failed {
                if verifier.stillSearching { continue }
                break
            }
            // The readable copy is what a person reads: it must say exactly what the hashed entry says.
            let decoded = try? AuditEntry.decode(event.entry)
            if event.readable != nil, decoded.map(AuditRecordJSON.init) != event.readable {
                verifier.failReadable(seq: event.seq)
                break
            }
        }
        return verifier.finish()
    }
}

extension TrailVerifier {
    mutating func failReadable(seq: Int64) {
        if verdict.problem == nil {
            verdict.problem = .init(seq: seq, kind: .edited, detail: "the readable copy of seq \(seq) in the export was changed: it no longer says what the signed entry says.")
        }
    }
}
