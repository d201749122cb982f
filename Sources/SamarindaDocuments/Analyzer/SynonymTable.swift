import Foundation
import SamarindaCore

/// The city's table of synonyms and renamed terms (`Corpus/synonyms.toml`, extended by the files in
/// `[documents] synonyms`), applied to questions: a question that says "e-KTP", "IMB" or "akte" is
/// also searched for the words the documents use ("KTP-el", "PBG", "akta").
///
/// ```toml
/// [[synonym]]                          # one meaning: any of these phrases also searches the others
/// use = ["KTP-el", "Kartu Tanda Penduduk Elektronik"]   # what the documents say (a string or a list)
/// for = ["e-KTP", "KTP elektronik"]    # what people type instead
///
/// [[renamed]]                          # one way: the old names also search the new ones
/// old = ["IMB", "Izin Mendirikan Bangunan"]
/// new = ["Persetujuan Bangunan Gedung", "PBG"]
/// note = "PP 16/2021 replaced the IMB with the PBG"
/// ```
public struct SynonymTable: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable { case synonym, renamed }

    /// One entry: the phrases the documents use, and the phrases people use instead.
    public struct Entry: Sendable, Equatable {
        public var kind: Kind
        public var targets: [String]
        public var variants: [String]
        public var note: String
        /// Where the entry was read from ("Corpus/synonyms.toml [[renamed]] #2"), for `docs explain`.
        public var source: String
    }

    public var entries: [Entry] = []
    public init(entries: [Entry] = []) { self.entries = entries }

    /// Reads the files in order; a missing file is an error unless `optional` holds it (the shipped
    /// default may be absent on a machine without the starter corpus). Errors name file, key and line.
    public static func load(files: [String], optional: Set<String> = []) throws -> SynonymTable {
        var table = SynonymTable()
        var errors: [String] = []
        for file in files where !file.isEmpty {
            guard let data = FileManager.default.contents(atPath: file) else {
                if optional.contains(file) { continue }
                errors.append("\(file): no such synonym file; fix the path in [documents] synonyms of samarinda.toml")
                continue
            }
            guard let text = String(data: data, encoding: .utf8) else {
                errors.append("\(file): not UTF-8 text")
                continue
            }
            do { table.entries += try parse(text, file: file) } catch let e as DocumentsError { errors.append(e.message) }
        }
        if !errors.isEmpty { throw DocumentsError(.invalidInput, errors.joined(separator: "\n")) }
        return table
    }

    /// Parses one synonym file.
    public static func parse(_ text: String, file: String) throws -> [Entry] {
        let doc = TOMLDocument(file: file, text: text)
        let root = doc.root
        var entries: [Entry] = []
        for (n, s) in (root.sections("synonym") ?? []).enumerated() {
            let use = phrases(s, "use")
            let variants = s.strings("for") ?? []
            let note = s.string("note") ?? ""
            if use.isEmpty || use.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                s.fail("use", "required: the term the city's documents use, or a list of them, e.g. \"KTP-el\"")
            }
            if variants.isEmpty || variants.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                s.fail("for", "required: a list of non-empty terms people type instead, e.g. [\"e-KTP\"]")
            }
            s.finish()
            entries.append(Entry(kind: .synonym, targets: use, variants: variants, note: note, source: "\(file) [[synonym]] #\(n + 1)"))
        }
        for (n, s) in (root.sections("renamed") ?? []).enumerated() {
            let new = phrases(s, "new")
            let old = s.strings("old") ?? []
            let note = s.string("note") ?? ""
            if new.isEmpty || new.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                s.fail("new", "required: the current name, or a list of its names, e.g. \"PBG\"")
            }
            if old.isEmpty || old.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                s.fail("old", "required: a list of non-empty former names, e.g. [\"IMB\"]")
            }
            s.finish()
            entries.append(Entry(kind: .renamed, targets: new, variants: old, note: note, source: "\(file) [[renamed]] #\(n + 1)"))
        }
        root.finish(allowed: ["synonym", "renamed"])
        if !doc.errors.isEmpty {
            throw DocumentsError(.invalidInput, "synonym file errors:\n" + doc.errors.map { "  \($0)" }.joined(separator: "\n"))
        }
        return entries
    }

    /// A key holding one phrase or a list of phrases.
    private static func phrases(_ s: TOMLSection, _ key: String) -> [String] {
        guard let v = s.raw(key) else { return [] }
        if let one = v.string { return [one] }
        if v.array != nil { return s.strings(key) ?? [] }
        s.fail(key, "expected a string or an array of strings")
        return []
    }
}
