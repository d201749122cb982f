import Foundation

// Why a hand-written scanner and not regular expressions: each recogniser
// needs validation a regex cannot express (NIK region table and birth date,
// NPWP and card check digits, NIP dates, the label nearest to the number),
// and NSRegularExpression on Linux is too slow for the ≤ 1 ms budget on a
// 10 KB prompt. The text is folded first (TextFolding.swift: NFKC of digits,
// spaces, dashes and quotes, offsets kept); linear passes over the folded
// bytes find candidates; validators decide. What is recognised, in which
// forms, and what is not: docs/PII.md.

/// The kinds of personal data recognised, with their placeholder names.
public enum PIIKind: String, Sendable, CaseIterable, Codable {
    case nik = "NIK"
    case kk = "KK"
    case npwp = "NPWP"
    case nip = "NIP"
    case phone = "TELEPON"
    case email = "EMAIL"
    case bankAccount = "REKENING"
    case card = "KARTU"
    case bpjsKesehatan = "BPJSKES"
    case bpjsKetenagakerjaan = "BPJSTK"
    case sim = "SIM"
    case passport = "PASPOR"
    case plate = "NOPOL"
    case address = "ALAMAT"
}

/// The result of redacting one text.
public struct PIIRedaction: Sendable, Equatable {
    /// The text with each personal value replaced by a placeholder such as `[NIK_1]`.
    public var text: String
    /// Placeholder → original value.
    public var mapping: [String: String]
    /// How many values of each kind were replaced (occurrences, not distinct values).
    public var counts: [PIIKind: Int]
    /// Specific personal data (UU 27/2022) named in the text beside an identifier: health, criminal records.
    public var sensitive: Set<SensitiveCategory> = []

    /// Counts for the audit trail, e.g. `NIK=2,TELEPON=1` (never the values).
    public var countsSummary: String { PIIRedaction.summary(counts) }

    static func summary(_ counts: [PIIKind: Int]) -> String {
        PIIKind.allCases.compactMap { k in counts[k].flatMap { $0 > 0 ? "\(k.rawValue)=\($0)" : nil } }.joined(separator: ",")
    }
}

/// Finds Indonesian personal data and replaces it with typed placeholders.
/// Validated, not pattern-only: a 16-digit number is a NIK only with a real
/// region code, a real birth date (+40 for women) and a serial other than
/// 0000; an NPWP only with a correct check digit; a NIP only with real birth
/// and appointment dates; a card number only with its Luhn digit and an
/// issuer prefix. Kinds without a structure of their own (No. KK, bank
/// accounts, BPJS, SIM, passports) need their label nearest before them.
public struct PIIRedactor: Sendable {
    /// Inputs larger than this are refused (fail closed) rather than scanned partially.
    public var maxInputBytes: Int

    public init(maxInputBytes: Int = 4 * 1024 * 1024) {
        self.maxInputBytes = maxInputBytes
    }

    /// Redacts one text on its own (numbering starts at 1).
    public func redact(_ text: String) throws -> PIIRedaction {
        var session = PIIRedactionSession(redactor: self)
        let out = try session.redact(text)
        return PIIRedaction(text: out, mapping: session.mapping, counts: session.counts, sensitive: session.sensitive)
    }

    /// The personal values found in `text`, in order, with their kinds, as written in `text` (for tests and the console).
    public func findings(in text: String) -> [(kind: PIIKind, value: String)] {
        let bytes = Array(text.utf8)
        let folded = FoldedText(bytes)
        return scan(folded.bytes).map { m in
            (m.kind, String(decoding: bytes[folded.originalRange(m.start, m.end)], as: UTF8.self))
        }
    }

    struct Match {
        var start: Int
        var end: Int
        var kind: PIIKind
    }

    /// Matches over folded bytes, in order, without overlaps.
    func scan(_ b: [UInt8]) -> [Match] {
        var matches = Recognisers.emails(b)
        var covered = [Bool](repeating: false, count: b.count + 1)
        for m in matches { for i in m.start..<m.end { covered[i] = true } }
        matches += Recognisers.addresses(b)
        matches += Recognisers.numbers(b, covered: covered)
        matches += Recognisers.plates(b, covered: covered)
        matches += Recognisers.passports(b, covered: covered)
        matches.sort { $0.start != $1.start ? $0.start < $1.start : $0.end > $1.end }
        // Drop overlaps (first, then longest, wins).
        var out: [Match] = []
        for m in matches where out.last.map({ m.start >= $0.end }) ?? true { out.append(m) }
        return out
    }
}

// MARK: - Sessions and restoring

/// Redacts several texts (the messages of one request) with one numbering, so the
/// same value gets the same placeholder everywhere, and restores answers.
public struct PIIRedactionSession: Sendable {
    public let redactor: PIIRedactor
    /// Placeholder → original value.
    public private(set) var mapping: [String: String] = [:]
    public private(set) var counts: [PIIKind: Int] = [:]
    /// Specific personal data named beside an identifier anywhere in the texts redacted so far.
    public var sensitive: Set<SensitiveCategory> {
        identifierSeen ? termsSeen : []
    }
    private var termsSeen: Set<SensitiveCategory> = []
    private var identifierSeen = false
    private var byValue: [String: String] = [:]
    private var next: [PIIKind: Int] = [:]

    public init(redactor: PIIRedactor = PIIRedactor()) {
        self.redactor = redactor
    }

    /// Counts for the audit trail, with `SENSITIF=1` when the request was flagged (never the values).
    public var countsSummary: String {
        let counts = PIIRedaction.summary(counts)
        return sensitive.isEmpty ? counts : counts + ",SENSITIF=1"
    }
    public var isEmpty: Bool { mapping.isEmpty }

    /// Replaces personal data in `text`. Throws `redaction_failed` (fail closed) when the text cannot be
    /// redacted safely: too large, or already containing placeholder-shaped text we could not restore unambiguously.
    public mutating func redact(_ text: String) throws -> String {
        let b = Array(text.utf8)
        guard b.count <= redactor.maxInputBytes else {
            throw ModelError(.redactionFailed, "the prompt is \(b.count) bytes, more than the \(redactor.maxInputBytes) bytes the PII redactor checks; shorten it or use a provider that is not external")
        }
        if let existing = PlaceholderRestorer.firstPlaceholder(in: b), mapping[existing] == nil {
            throw ModelError(.redactionFailed, "the prompt already contains the text '\(existing)', which looks like a redaction placeholder; remove it so personal data can be restored unambiguously")
        }
        let folded = FoldedText(b)
        let matches = redactor.scan(folded.bytes)
        if termsSeen.count < SensitiveCategory.allCases.count { termsSeen.formUnion(SensitiveTerms.categories(in: folded.bytes)) }
        guard !matches.isEmpty else { return text }
        identifierSeen = true
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var cursor = 0
        for m in matches {
            let range = folded.originalRange(m.start, m.end)
            out.append(contentsOf: b[cursor..<range.lowerBound])
            let value = String(decoding: b[range], as: UTF8.self)
            let key = m.kind.rawValue + "\u{0}" + value
            let placeholder: String
            if let known = byValue[key] {
                placeholder = known
            } else {
                let n = (next[m.kind] ?? 0) + 1
                next[m.kind] = n
                placeholder = "[\(m.kind.rawValue)_\(n)]"
                byValue[key] = placeholder
                mapping[placeholder] = value
            }
            counts[m.kind, default: 0] += 1
            out.append(contentsOf: placeholder.utf8)
            cursor = range.upperBound
        }
        out.append(contentsOf: b[cursor...])
        return String(decoding: out, as: UTF8.self)
    }

    /// Puts the original values back into an answer.
    public func restore(_ text: String) -> String {
        guard !mapping.isEmpty else { return text }
        var r = PlaceholderRestorer(mapping: mapping)
        return r.feed(text) + r.flush()
    }
}

/// Restores placeholders in a stream of text pieces, where a placeholder may be split across pieces:
/// a `[` that could still begin a placeholder is held back until it can be decided.
public struct PlaceholderRestorer: Sendable {
    let mapping: [String: String]
    private var pending = ""
    static let maxPlaceholderLength = 24

    public init(mapping: [String: String]) {
        self.mapping = mapping
    }

    public mutating func feed(_ piece: String) -> String {
        guard !mapping.isEmpty else { return piece }
        var out = ""
        for ch in piece {
            if pending.isEmpty {
                if ch == "[" { pending = "[" } else { out.append(ch) }
                continue
            }
            pending.append(ch)
            if ch == "]" {
                out += mapping[pending] ?? pending
                pending = ""
            } else if !(ch.isUppercase || ch.isNumber || ch == "_") || pending.count > Self.maxPlaceholderLength {
                // Cannot be a placeholder: release it, re-examining a new "[".
                let released = pending
                pending = ""
                out += String(released.dropLast())
                if ch == "[" { pending = "[" } else { out.append(ch) }
            }
        }
        return out
    }

    /// Whatever is held back when the stream ends.
    public mutating func flush() -> String {
        defer { pending = "" }
        return pending
    }

    /// The first `[KIND_n]` in the bytes, if any.
    static func firstPlaceholder(in b: [UInt8]) -> String? {
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "[") {
                var j = i + 1
                while j < b.count, isUpper(b[j]) { j += 1 }
                if j < b.count, b[j] == UInt8(ascii: "_"), PIIKind(rawValue: String(decoding: b[(i + 1)..<j], as: UTF8.self)) != nil {
                    var k = j + 1
                    while k < b.count, isDigit(b[k]) { k += 1 }
                    if k > j + 1, k < b.count, b[k] == UInt8(ascii: "]") {
                        return String(decoding: b[i...k], as: UTF8.self)
                    }
                }
            }
            i += 1
        }
        return nil
    }
}
