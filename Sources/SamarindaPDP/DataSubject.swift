import Foundation
import SamarindaCore
import SamarindaModels

/// The person a data subject request is about, as the identifiers the platform can look for:
/// numbers (NIK, KK, NPWP, telephone, …) reduced to their digits, e-mail addresses in lower case,
/// and names folded to lower case with single spaces.
///
/// Matching is exact on the whole value, never a substring: a number is found only where the text
/// holds that number and no longer one (a look-alike one digit longer, or with another digit, is
/// somebody else), and a name only as whole words.
public struct DataSubject: Sendable, Equatable {
    /// Normalised identifier values (digits, a telephone in its 0… national form, or an e-mail address).
    public private(set) var identifiers: [String] = []
    /// Folded names.
    public private(set) var names: [String] = []

    /// Reads the request's `--subject` text (an identifier with or without its label, or a name)
    /// and the optional `--name` and `--phone`.
    public init(subject: String, name: String? = nil, phone: String? = nil) throws {
        let redactor = PIIRedactor()
        let found = redactor.findings(in: subject)
        if !found.isEmpty {
            for f in found { add(identifier: Self.normalise(f.value, kind: f.kind)) }
        } else {
            let digits = subject.filter(\.isASCIIDigit)
            let letters = subject.filter(\.isLetter)
            if digits.count >= 6 {
                // A number the recognisers do not take for a valid identifier (an old NIK, a case number):
                // still looked for as that exact number.
                add(identifier: Self.normalisePhone(digits))
            } else if letters.count >= 3 {
                add(name: subject)
            }
        }
        if let name, !name.trimmingCharacters(in: .whitespaces).isEmpty { add(name: name) }
        if let phone, !phone.trimmingCharacters(in: .whitespaces).isEmpty {
            let digits = phone.filter(\.isASCIIDigit)
            guard digits.count >= 8 else { throw PDPError(.invalidArgument, "--phone '\(phone)' is not a telephone number: give it with its digits, e.g. 0812-3456-7890 or +62 812 3456 7890") }
            add(identifier: Self.normalisePhone(digits))
        }
        if identifiers.isEmpty && names.isEmpty {
            throw PDPError(.invalidArgument, "the subject '\(Self.mask(subject))' names no identifier or name to look for: give e.g. --subject \"NIK 6472014501900003\", a telephone number or a full name (at least 3 letters)")
        }
    }

    private mutating func add(identifier: String) {
        if !identifier.isEmpty, !identifiers.contains(identifier) { identifiers.append(identifier) }
    }

    private mutating func add(name: String) {
        let folded = Self.fold(name)
        let words = folded.split(separator: " ")
        if !folded.isEmpty, !names.contains(folded), words.joined().count >= 3 { names.append(folded) }
    }

    /// The forms in which the audit trail may hold an identifier's keyed digest: as normalised, and a
    /// telephone also in its +62 forms.
    public var digestForms: [String] {
        var forms: [String] = []
        for id in identifiers {
            forms.append(id)
            if id.hasPrefix("0"), id.count >= 9, id.allSatisfy(\.isASCIIDigit) {
                forms.append("62" + id.dropFirst())
                forms.append("+62" + id.dropFirst())
            }
        }
        return forms + names
    }

    /// The subject as it may be shown and stored: numbers masked but for their first and last four
    /// digits, names reduced to initials.
    public var masked: String {
        (identifiers.map { Self.mask($0) } + names.map(Self.initials))
            .joined(separator: ", ")
    }

    /// `text` with every occurrence of the subject's identifiers masked and names reduced to initials.
    public func masking(_ text: String) -> String {
        let masked = identifiers.reduce(text) { $0.replacingOccurrences(of: $1, with: Self.mask($1)) }
        return names.reduce(masked) { out, name in
            out.replacingOccurrences(of: name, with: Self.initials(name), options: [.caseInsensitive, .diacriticInsensitive])
        }
    }

    static func initials(_ name: String) -> String { name.split(separator: " ").map { "\($0.prefix(1))." }.joined(separator: " ") }

    // MARK: Matching

    /// What of the subject `text` holds: "identifier" and/or "name"; empty when nothing.
    public func matches(_ text: String) -> [String] {
        var out: [String] = []
        if !identifiers.isEmpty, holdsIdentifier(text) { out.append("identifier") }
        if !names.isEmpty {
            let folded = Self.fold(text)
            if names.contains(where: { Self.containsWords($0, in: folded) }) { out.append("name") }
        }
        return out
    }

    private func holdsIdentifier(_ text: String) -> Bool {
        let lower = text.lowercased()
        // Cheap test first: most texts hold none of the subject's digits at all.
        let digitsOnly = text.filter(\.isASCIIDigit)
        let candidates = identifiers.filter { id in
            id.contains("@") ? lower.contains(id) : digitsOnly.contains(id.hasPrefix("0") ? String(id.dropFirst()) : id)
        }
        guard !candidates.isEmpty else { return false }
        for id in candidates where id.contains("@") {
            if Self.emailRuns(lower).contains(id) { return true }
        }
        // Validated identifiers in any written form (spaces, dots, +62, labels)…
        for f in PIIRedactor().findings(in: text) where candidates.contains(Self.normalise(f.value, kind: f.kind)) { return true }
        // …and exact digit runs joined only by '-' or '.' (a number the recognisers do not validate).
        for run in Self.digitRuns(text) where candidates.contains(Self.normalisePhone(run)) { return true }
        return false
    }

    // MARK: Normalising

    static func normalise(_ value: String, kind: PIIKind) -> String {
        switch kind {
        case .email: return value.lowercased()
        case .phone: return normalisePhone(value.filter(\.isASCIIDigit))
        case .plate, .passport, .sim, .address:
            return value.uppercased().filter { $0.isLetter || $0.isNumber }
        default:
            let digits = value.filter(\.isASCIIDigit)
            return digits.isEmpty ? value.uppercased().filter { $0.isLetter || $0.isNumber } : digits
        }
    }

    /// A telephone number in its national form: 62… and +62… become 0…; other numbers stay as they are.
    static func normalisePhone(_ digits: String) -> String {
        if digits.hasPrefix("62"), digits.count >= 10, digits.count <= 15 { return "0" + digits.dropFirst(2) }
        return digits
    }

    /// Maximal runs of digits in which digits may be joined by a single '-' or '.', as their digits.
    static func digitRuns(_ text: String) -> [String] {
        var runs: [String] = []
        var current = ""
        var pendingSeparator = false
        for ch in text {
            if ch.isASCIIDigit {
                current.append(ch)
                pendingSeparator = false
            } else if (ch == "-" || ch == "."), !current.isEmpty, !pendingSeparator {
                pendingSeparator = true
            } else {
                if !current.isEmpty { runs.append(current) }
                current = ""
                pendingSeparator = false
            }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }

    /// E-mail-shaped words of a lower-cased text.
    static func emailRuns(_ lower: String) -> [String] {
        lower.split(whereSeparator: { !($0.isLetter || $0.isNumber || "@._%+-".contains($0)) })
            .map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: ".")) }
            .filter { $0.contains("@") }
    }

    /// Lower case, diacritics removed, every run of non-letters and non-digits one space.
    static func fold(_ text: String) -> String {
        let plain = text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).lowercased()
        var out = ""
        var space = false
        for ch in plain {
            if ch.isLetter || ch.isNumber {
                if space, !out.isEmpty { out.append(" ") }
                out.append(ch)
                space = false
            } else { space = true }
        }
        return out
    }

    /// Whether the folded `words` occur in the folded `text` as whole words.
    static func containsWords(_ words: String, in text: String) -> Bool {
        let padded = " " + text + " "
        return padded.contains(" " + words + " ")
    }

    static func mask(_ text: String) -> String {
        guard text.count > 8 else { return String(repeating: "*", count: text.count) }
        return String(text.prefix(4)) + String(repeating: "*", count: text.count - 8) + String(text.suffix(4))
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
