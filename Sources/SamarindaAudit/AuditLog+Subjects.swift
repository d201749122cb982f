import Crypto
import Foundation
import SamarindaCore

// {====== Finding everything about a person ======}
//
// Content (prompts, tool arguments, documents) enters events only as keyed digests of the whole
// text, so two questions that mention the same NIK have nothing in common. So each event also
// carries `subjects`: for every personal identifier the PII recognisers found in its content, a
// keyed digest of the identifier itself (normalised: letters and digits only, e-mail lower-cased).
// The key differs per month (WITA): the Inspektorat can be given one month's lookup key with that
// month's export, which lets it test identifiers it already has against that export only, and
// reveals nothing by itself. Anyone holding a lookup key AND an export can still test guesses (a NIK
// is guessable given region and birth date): keep them apart, as the procedure in docs/AUDIT.md says.

/// The two secrets behind the trail's digests: content (`hmac-sha256:…`) and person lookups.
struct DigestKeys {
    let content: SymmetricKey
    let lookup: SymmetricKey

    init(signer: NoteSigner) {
        let base = SymmetricKey(data: signer.privateKey.rawRepresentation)
        content = HKDF<SHA256>.deriveKey(inputKeyMaterial: base, info: Data("samarinda audit content digest v1".utf8), outputByteCount: 32)
        lookup = HKDF<SHA256>.deriveKey(inputKeyMaterial: base, info: Data("samarinda audit subject lookup v1".utf8), outputByteCount: 32)
    }

    init(content: SymmetricKey, lookup: SymmetricKey) {
        self.content = content
        self.lookup = lookup
    }

    var fileText: String {
        func b64(_ k: SymmetricKey) -> String { k.withUnsafeBytes { Data($0).base64EncodedString() } }
        return "CONTENT+\(b64(content))\nLOOKUP+\(b64(lookup))\n"
    }

    /// The kept keys after a rotation; nil when there is no such file (the keys derive from the signing key).
    static func load(path: String) throws -> DigestKeys? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw AuditError(.signingKey, "cannot read the audit digest keys '\(path)': check that this user owns it")
        }
        var content: SymmetricKey?, lookup: SymmetricKey?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "+", maxSplits: 1)
            guard parts.count == 2, let raw = Data(base64Encoded: String(parts[1])), raw.count == 32 else { continue }
            if parts[0] == "CONTENT" { content = SymmetricKey(data: raw) }
            if parts[0] == "LOOKUP" { lookup = SymmetricKey(data: raw) }
        }
        guard let content, let lookup else {
            throw AuditError(.signingKey, "the audit digest keys '\(path)' are damaged (expected CONTENT+… and LOOKUP+… lines): restore the file from a backup")
        }
        return DigestKeys(content: content, lookup: lookup)
    }
}

extension AuditLog {
    /// Where the digest keys are kept once the signing key has been rotated.
    public static func digestKeysPath(config: SamarindaConfig) -> String {
        let folder = (keyPath(config: config) as NSString).deletingLastPathComponent
        return (folder.isEmpty ? "." : folder) + "/audit-digest.keys"
    }

    /// Letters and digits only, upper-cased (`6472-0145 0190 0003` → `6472014501900003`); e-mail lower-cased.
    public static func normalizeIdentifier(_ value: String) -> String {
        if value.contains("@") { return value.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }
        return String(value.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) && $0.isASCII }.map(Character.init)).uppercased()
    }

    /// The month (`YYYY-MM`, WITA) an event time falls in: the lookup key's period.
    public static func lookupMonth(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = AuditTime.wita
        let c = calendar.dateComponents([.year, .month], from: date)
        return String(format: "%04d-%02d", c.year ?? 1970, c.month ?? 1)
    }

    /// One month's lookup key (see the section comment).
    func lookupKey(month: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: lookupSecret, info: Data("samarinda audit subjects \(month)".utf8), outputByteCount: 32)
    }

    static func subjectToken(_ identifier: String, key: SymmetricKey) -> String {
        String(hex(Array(HMAC<SHA256>.authenticationCode(for: Data(identifier.utf8), using: key))).prefix(32))
    }

    /// The normalised identifiers the recognisers find in `text`.
    func identifiers(in text: String) -> [String] {
        guard let recognizer, text.count >= 5 else { return [] }
        return Array(Set(recognizer(text).map(Self.normalizeIdentifier).filter { $0.count >= 5 })).sorted()
    }

    func rememberIdentifiers(in text: String, digest: String) {
        let found = identifiers(in: text)
        guard !found.isEmpty else { return }
        recentIdentifiers.withLock { cache in
            if cache.count >= 4096 { cache.removeAll(keepingCapacity: true) }
            cache[digest] = found
        }
    }

    /// The event as it is written: the process's OS account on the actor, and `subjects` for the
    /// identifiers in its content (digested fields through the cache, full-content fields directly).
    func stamped(_ event: AuditEvent) -> AuditEvent {
        var event = event
        if let localAccount, event.actor.osUser == nil {
            event.actor.osUser = localAccount.user
            event.actor.host = localAccount.host
        }
        guard recognizer != nil, event.fields["subjects"] == nil else { return event }
        var found = Set<String>()
        let cached = recentIdentifiers.withLock { cache in event.fields.values.compactMap { cache[$0] } }
        cached.forEach { found.formUnion($0) }
        for (key, value) in event.fields where !value.hasPrefix("hmac-sha256:") && !value.hasPrefix("sha256:") && key != "subjects" {
            // `utf8.contains`, not Foundation's `contains("@")`, which bridged every field of every event (perf, issue 18).
            if value.utf8.contains(0x40) || value.contains(where: \.isNumber) { found.formUnion(identifiers(in: value)) }
        }
        if !found.isEmpty {
            let key = lookupKey(month: Self.lookupMonth(event.timestamp))
            event.fields["subjects"] = found.map { Self.subjectToken($0, key: key) }.sorted().joined(separator: ",")
        }
        return event
    }

    /// The identifiers a person searched for: those the recognisers find in `query`, or, when they
    /// find none (a bare number without context), the query itself normalised.
    func queryIdentifiers(_ query: String) -> [String] {
        let found = identifiers(in: query)
        if !found.isEmpty { return found }
        let whole = Self.normalizeIdentifier(query)
        return whole.count >= 5 ? [whole] : []
    }

    /// Every event that mentioned the identifier(s) in `query` (a NIK, a phone number, an e-mail…),
    /// whatever else its content held, newest last; recorded as `audit.lookup` (the identifier itself
    /// is not recorded, only that a lookup was made and how many events it found).
    public func findSubject(_ query: String, by principal: Principal, limit: Int = 1000, requestID: String? = nil) async throws -> [AuditRecord] {
        let (ids, records) = try subjectRecords(query, limit: limit)
        try await record(AuditEvent(actor: AuditActor(principal), action: "audit.lookup", target: "subject",
                                    fields: ["identifiers": String(ids.count), "events_found": String(records.count)], requestID: requestID))
        return records
    }

    /// The lookup itself, unrecorded, for a caller that records its own event (a data subject request
    /// is one `pdp.request.*` event): the identifiers found in `query` and the events that mention them.
    public func subjectRecords(_ query: String, limit: Int = 1000) throws -> (identifiers: [String], records: [AuditRecord]) {
        let ids = queryIdentifiers(query)
        guard !ids.isEmpty else {
            throw AuditError(.invalidArgument, "'\(query.prefix(40))' holds no identifier to look up: give a NIK, KK, NPWP, phone number or e-mail address")
        }
        let (first, last) = try database.read { c in
            (try c.queryFirst("SELECT MIN(ts), MAX(ts) FROM audit_events") { $0.isNull(0) ? nil : ($0.int64(0), $0.int64(1)) } ?? nil)
        } ?? (AuditEntry.micros(Date()), AuditEntry.micros(Date()))
        var tokens: [String] = []
        for month in Self.months(from: AuditEntry.date(micros: first), to: max(AuditEntry.date(micros: last), Date())) {
            let key = lookupKey(month: month)
            tokens += ids.map { Self.subjectToken($0, key: key) }
        }
        return (ids, try tail(limit: limit, containingAny: tokens))
    }

    static func months(from start: Date, to end: Date) -> [String] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = AuditTime.wita
        var out: [String] = []
        var d = calendar.date(from: calendar.dateComponents([.year, .month], from: start)) ?? start
        while d <= end, out.count < 1200 {
            out.append(lookupMonth(d))
            d = calendar.date(byAdding: .month, value: 1, to: d) ?? end.addingTimeInterval(1)
        }
        return out
    }

    /// The lookup key of `month` (`YYYY-MM`) to hand to the Inspektorat with that month's export,
    /// recorded as `audit.lookup_key`: `samarinda-lookup+2026-11+<base64>`.
    public func issueLookupKey(month: String, to principal: Principal, requestID: String? = nil) async throws -> String {
        _ = try TransparencyReport.span(month: month)
        let key = lookupKey(month: month)
        let text = "samarinda-lookup+\(month)+" + key.withUnsafeBytes { Data($0).base64EncodedString() }
        try await record(AuditEvent(actor: AuditActor(principal), action: "audit.lookup_key", target: "month:\(month)",
                                    fields: ["key_id": String(Digest.sha256Hex(text).prefix(8))], requestID: requestID))
        return text
    }
}

/// Person lookups in an export, off the machine, with the lookup keys the operator gave.
public enum SubjectLookup {
    /// Parses `samarinda-lookup+YYYY-MM+<base64>`.
    static func parseKey(_ text: String) throws -> (month: String, key: SymmetricKey) {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "+", maxSplits: 2)
        guard parts.count == 3, parts[0] == "samarinda-lookup", (try? TransparencyReport.span(month: String(parts[1]))) != nil,
              let raw = Data(base64Encoded: String(parts[2])), raw.count == 32 else {
            throw AuditError(.invalidArgument, "'\(text.prefix(30))…' is not a lookup key: expected samarinda-lookup+YYYY-MM+KEY as printed by 'samarinda audit lookup-key --month YYYY-MM'")
        }
        return (String(parts[1]), SymmetricKey(data: raw))
    }

    /// The events of a verified export that mention the identifier(s) in `query`, using the given
    /// month lookup keys (events of other months cannot be searched and are counted apart).
    public static func find(_ query: String, in records: [AuditRecord], lookupKeys: [String],
                            recognizer: (@Sendable (String) -> [String])?) throws -> (found: [AuditRecord], monthsWithoutKey: [String]) {
        var keys: [String: SymmetricKey] = [:]
        for text in lookupKeys {
            let (month, key) = try parseKey(text)
            keys[month] = key
        }
        var ids = Set((recognizer?(query) ?? []).map(AuditLog.normalizeIdentifier).filter { $0.count >= 5 })
        if ids.isEmpty {
            let whole = AuditLog.normalizeIdentifier(query)
            if whole.count >= 5 { ids.insert(whole) }
        }
        guard !ids.isEmpty else { throw AuditError(.invalidArgument, "'\(query.prefix(40))' holds no identifier to look up") }
        var found: [AuditRecord] = []
        var missing = Set<String>()
        var tokensByMonth: [String: Set<String>] = [:]
        for record in records {
            guard let subjects = record.event.fields["subjects"] else { continue }
            let month = AuditLog.lookupMonth(record.event.timestamp)
            guard let key = keys[month] else { missing.insert(month); continue }
            let tokens = tokensByMonth[month] ?? Set(ids.map { AuditLog.subjectToken($0, key: key) })
            tokensByMonth[month] = tokens
            if subjects.split(separator: ",").contains(where: { tokens.contains(String($0)) }) { found.append(record) }
        }
        return (found, missing.sorted())
    }
}
