import Foundation

// Why a hand-written scanner and not regular expressions: each recogniser
// needs validation a regex cannot express (NIK region table and birth date,
// NPWP check digit, context words before the number), and NSRegularExpression
// on Linux is too slow for the ≤ 1 ms budget on a 10 KB prompt. One linear
// pass over the UTF-8 bytes finds candidates; validators decide.

/// The kinds of personal data recognised, with their placeholder names.
public enum PIIKind: String, Sendable, CaseIterable, Codable {
    case nik = "NIK"
    case kk = "KK"
    case npwp = "NPWP"
    case phone = "TELEPON"
    case email = "EMAIL"
    case bankAccount = "REKENING"
    case passport = "PASPOR"
}

/// The result of redacting one text.
public struct PIIRedaction: Sendable, Equatable {
    /// The text with each personal value replaced by a placeholder such as `[NIK_1]`.
    public var text: String
    /// Placeholder → original value.
    public var mapping: [String: String]
    /// How many values of each kind were replaced (occurrences, not distinct values).
    public var counts: [PIIKind: Int]

    /// Counts for the audit trail, e.g. `NIK=2,TELEPON=1` (never the values).
    public var countsSummary: String { PIIRedaction.summary(counts) }

    static func summary(_ counts: [PIIKind: Int]) -> String {
        PIIKind.allCases.compactMap { k in counts[k].flatMap { $0 > 0 ? "\(k.rawValue)=\($0)" : nil } }.joined(separator: ",")
    }
}

/// Finds Indonesian personal data and replaces it with typed placeholders.
/// Validated, not pattern-only: a 16-digit number is a NIK only with a real
/// region code, a real birth date (+40 for women) and a serial other than
/// 0000; an NPWP only with a correct check digit. Context-dependent kinds
/// (No. KK, bank accounts, passports) need their context words just before.
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
        return PIIRedaction(text: out, mapping: session.mapping, counts: session.counts)
    }

    /// The personal values found in `text`, in order, with their kinds (for tests and the console).
    public func findings(in text: String) -> [(kind: PIIKind, value: String)] {
        let bytes = Array(text.utf8)
        return scan(bytes).map { ($0.kind, String(decoding: bytes[$0.start..<$0.end], as: UTF8.self)) }
    }

    struct Match {
        var start: Int
        var end: Int
        var kind: PIIKind
    }

    func scan(_ b: [UInt8]) -> [Match] {
        var matches = emails(b)
        var covered = [Bool](repeating: false, count: b.count + 1)
        for m in matches { for i in m.start..<m.end { covered[i] = true } }
        matches += numbers(b, covered: covered)
        matches += passports(b, covered: covered)
        matches.sort { $0.start < $1.start }
        // Drop overlaps (first wins).
        var out: [Match] = []
        for m in matches where out.last.map({ m.start >= $0.end }) ?? true { out.append(m) }
        return out
    }

    // MARK: E-mail

    private func emails(_ b: [UInt8]) -> [Match] {
        var out: [Match] = []
        var i = 0
        while i < b.count {
            guard b[i] == UInt8(ascii: "@") else { i += 1; continue }
            var s = i
            while s > 0, isLocalChar(b[s - 1]) { s -= 1 }
            var e = i + 1
            while e < b.count, isAlnum(b[e]) || b[e] == UInt8(ascii: ".") || b[e] == UInt8(ascii: "-") { e += 1 }
            while e > i + 1, b[e - 1] == UInt8(ascii: ".") || b[e - 1] == UInt8(ascii: "-") { e -= 1 }
            while s < i, b[s] == UInt8(ascii: ".") { s += 1 }
            if s < i, e > i + 1 {
                let domain = b[(i + 1)..<e]
                if let lastDot = domain.lastIndex(of: UInt8(ascii: ".")), lastDot > i + 1, e - lastDot - 1 >= 2,
                   b[(lastDot + 1)..<e].allSatisfy(isLetter) {
                    out.append(Match(start: s, end: e, kind: .email))
                    i = e
                    continue
                }
            }
            i += 1
        }
        return out
    }

    // MARK: Numbers (NIK, KK, NPWP, phone, bank account)

    private func numbers(_ b: [UInt8], covered: [Bool]) -> [Match] {
        var out: [Match] = []
        var i = 0
        let n = b.count
        while i < n {
            let startsPlus = b[i] == UInt8(ascii: "+") && i + 1 < n && isDigit(b[i + 1])
            guard (isDigit(b[i]) || startsPlus), !covered[i], i == 0 || !isWordJoiner(b[i - 1]) else { i += 1; continue }
            // The span: digit groups joined by single spaces, dots or hyphens.
            var j = startsPlus ? i + 1 : i
            var pieces: [(Int, Int)] = []   // ranges split at spaces
            var pieceStart = i
            while j < n {
                if isDigit(b[j]) { j += 1; continue }
                if j + 1 < n, isDigit(b[j + 1]), b[j] == UInt8(ascii: ".") || b[j] == UInt8(ascii: "-") || b[j] == UInt8(ascii: " ") {
                    if b[j] == UInt8(ascii: " ") { pieces.append((pieceStart, j)); pieceStart = j + 1 }
                    j += 1
                    continue
                }
                break
            }
            pieces.append((pieceStart, j))
            if j < n, isAlnum(b[j]) || b[j] == UInt8(ascii: "@") || b[j] >= 0x80 {
                // Runs into a word ("12345abc"): not a number on its own.
                i = j
                while i < n, isAlnum(b[i]) { i += 1 }
                continue
            }
            // Greedy: the longest run of up to 6 space-separated pieces that is a recognised number.
            var p = 0
            while p < pieces.count {
                var matched = false
                var q = min(pieces.count, p + 6)
                while q > p {
                    let s = pieces[p].0, e = pieces[q - 1].1
                    if let kind = classify(b, s, e) {
                        out.append(Match(start: s, end: e, kind: kind))
                        p = q
                        matched = true
                        break
                    }
                    q -= 1
                }
                if !matched { p += 1 }
            }
            i = j
        }
        return out
    }

    private func classify(_ b: [UInt8], _ s: Int, _ e: Int) -> PIIKind? {
        var digits: [UInt8] = []
        digits.reserveCapacity(e - s)
        var separators = 0
        for k in s..<e {
            if isDigit(b[k]) { digits.append(b[k] - 48) } else if b[k] != UInt8(ascii: "+") { separators += 1 }
        }
        let plus = b[s] == UInt8(ascii: "+")
        let context = Context(b, before: s)
        let count = digits.count

        if count == 16 {
            if context.has(Context.kk), Self.isRegionDateSerial(digits, allowFemale: false) { return .kk }
            if context.has(Context.npwp), (digits[0] == 0 && Self.isNPWP15(Array(digits[1...]))) || Self.isNIK(digits) { return .npwp }
            if context.has(Context.bank), !context.has(Context.nik) { return .bankAccount }
            if Self.isNIK(digits) { return .nik }
        }
        if count == 15, Self.isNPWP15(digits), context.has(Context.npwp) || Self.isNPWPFormatted(b, s, e) { return .npwp }
        // Phones: +62 / 62 / 0 followed by the national number.
        var national: ArraySlice<UInt8>?
        if plus, count > 2, digits[0] == 6, digits[1] == 2 { national = digits[2...] }
        else if !plus, count > 2, digits[0] == 6, digits[1] == 2, digits[2] == 8 { national = digits[2...] }
        else if !plus, count > 1, digits[0] == 0, digits[1] != 0 { national = digits[1...] }
        if let national, let first = national.first {
            if first == 8, (9...12).contains(national.count) { return .phone }
            if first != 8, (8...11).contains(national.count), context.has(Context.phone) { return .phone }
        }
        if (10...16).contains(count), context.has(Context.bank) { return .bankAccount }
        _ = separators
        return nil
    }

    // MARK: Passport numbers (with context)

    private func passports(_ b: [UInt8], covered: [Bool]) -> [Match] {
        var out: [Match] = []
        var i = 0
        while i < b.count {
            guard isUpper(b[i]), i == 0 || !isAlnum(b[i - 1]), !covered[i] else { i += 1; continue }
            var j = i
            while j < b.count, isAlnum(b[j]) { j += 1 }
            let word = b[i..<j]
            let letters = word.prefix { isUpper($0) }.count
            let digits = word.count - letters
            if (1...2).contains(letters), (6...8).contains(digits), word.dropFirst(letters).allSatisfy(isDigit),
               Context(b, before: i).has(Context.passport) {
                out.append(Match(start: i, end: j, kind: .passport))
            }
            i = max(j, i + 1)
        }
        return out
    }

    // MARK: Validators

    /// NIK: `PPKKCC DDMMYY SSSS` — issued region, kecamatan ≥ 01, birth date (day + 40 for women), serial ≠ 0000.
    static func isNIK(_ d: [UInt8]) -> Bool {
        isRegionDateSerial(d, allowFemale: true)
    }

    static func isRegionDateSerial(_ d: [UInt8], allowFemale: Bool) -> Bool {
        guard d.count == 16 else { return false }
        func num(_ a: Int, _ n: Int) -> Int { (a..<(a + n)).reduce(0) { $0 * 10 + Int(d[$1]) } }
        guard RegionCodes.isValid(province: num(0, 2), regency: num(2, 2)), num(4, 2) >= 1 else { return false }
        var day = num(6, 2)
        if allowFemale, day > 40 { day -= 40 }
        let month = num(8, 2), year = num(10, 2)
        guard (1...12).contains(month), day >= 1 else { return false }
        let daysInMonth = [31, year % 4 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard day <= daysInMonth else { return false }
        return num(12, 4) != 0
    }

    /// Old 15-digit NPWP: the 9th digit is a Luhn check digit over the first nine; serial ≠ 000000.
    static func isNPWP15(_ d: [UInt8]) -> Bool {
        guard d.count == 15 else { return false }
        guard d[2..<8].contains(where: { $0 != 0 }) else { return false }
        var sum = 0
        for (i, digit) in d[0..<9].enumerated() {
            var v = Int(digit) * (i % 2 == 0 ? 1 : 2)
            if v > 9 { v -= 9 }
            sum += v
        }
        return sum % 10 == 0
    }

    /// Written the way NPWPs are printed: `01.234.567.8-901.000`.
    private static func isNPWPFormatted(_ b: [UInt8], _ s: Int, _ e: Int) -> Bool {
        let pattern = Array("dd.ddd.ddd.d-ddd.ddd".utf8)
        guard e - s == pattern.count else { return false }
        for k in 0..<pattern.count {
            if pattern[k] == UInt8(ascii: "d") { if !isDigit(b[s + k]) { return false } } else if b[s + k] != pattern[k] { return false }
        }
        return true
    }
}

/// The few dozen bytes before a candidate, lowercased, searched for context words.
struct Context {
    static let kk = ["kk", "nkk", "kartu keluarga"]
    static let npwp = ["npwp"]
    static let nik = ["nik", "ktp"]
    static let bank = ["rekening", "rek", "norek", "account", "a/c", "bank", "bri", "bni", "bca", "mandiri", "bsi", "btn", "bankaltimtara", "virtual account"]
    static let phone = ["telp", "telepon", "tel", "hp", "wa", "whatsapp", "ponsel", "phone", "fax", "handphone"]
    static let passport = ["paspor", "passport"]

    let text: [UInt8]

    init(_ b: [UInt8], before s: Int) {
        let from = max(0, s - 40)
        text = b[from..<s].map { ($0 >= 65 && $0 <= 90) ? $0 + 32 : $0 }
    }

    /// Whether one of `words` occurs as a whole word (not inside a longer word).
    func has(_ words: [String]) -> Bool {
        for w in words {
            let needle = Array(w.utf8)
            guard needle.count <= text.count else { continue }
            var i = 0
            while i + needle.count <= text.count {
                if text[i] == needle[0], Array(text[i..<(i + needle.count)]) == needle,
                   i == 0 || !isLetter(text[i - 1]), i + needle.count == text.count || !isLetter(text[i + needle.count]) {
                    return true
                }
                i += 1
            }
        }
        return false
    }
}

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
@inline(__always) func isUpper(_ c: UInt8) -> Bool { c >= 65 && c <= 90 }
@inline(__always) func isLetter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
@inline(__always) func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isLetter(c) }
@inline(__always) private func isLocalChar(_ c: UInt8) -> Bool {
    isAlnum(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "%") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-")
}
/// A byte that glues a digit run to what precedes it (so it is part of a longer token, not a number of its own).
@inline(__always) private func isWordJoiner(_ c: UInt8) -> Bool {
    isAlnum(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: "/") || c == UInt8(ascii: "@") || c == UInt8(ascii: ".") || c == UInt8(ascii: "-") || c >= 0x80
}

// MARK: - Sessions and restoring

/// Redacts several texts (the messages of one request) with one numbering, so the
/// same value gets the same placeholder everywhere, and restores answers.
public struct PIIRedactionSession: Sendable {
    public let redactor: PIIRedactor
    /// Placeholder → original value.
    public private(set) var mapping: [String: String] = [:]
    public private(set) var counts: [PIIKind: Int] = [:]
    private var byValue: [String: String] = [:]
    private var next: [PIIKind: Int] = [:]

    public init(redactor: PIIRedactor = PIIRedactor()) {
        self.redactor = redactor
    }

    public var countsSummary: String { PIIRedaction.summary(counts) }
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
        let matches = redactor.scan(b)
        guard !matches.isEmpty else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var cursor = 0
        for m in matches {
            out.append(contentsOf: b[cursor..<m.start])
            let value = String(decoding: b[m.start..<m.end], as: UTF8.self)
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
            cursor = m.end
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
