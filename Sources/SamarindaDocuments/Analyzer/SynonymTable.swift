import Foundation
import SamarindaCore

/// The city's table of synonyms and renamed terms (`Corpus/synonyms.toml`, extended by the files in
/// `[documents] synonyms`), applied to questions: a question that says "e-KTP", "IMB" or "akte" is
/// also searched for the words the documents use ("KTP-el", "PBG", "akta").
///
/// ```toml
/// [[synonym]]
/// use = "KTP-el"                       # the term the city's documents use
/// for = ["e-KTP", "KTP elektronik"]    # what people type instead
///
/// [[renamed]]
/// old = ["IMB", "Izin Mendirikan Bangunan"]
/// new = "PBG"
/// note = "PP 16/2021 replaced the IMB with the PBG"
/// ```
public struct SynonymTable: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable { case synonym, renamed }

    /// One entry: the phrases people use, and the phrase the documents use.
    public struct Entry: Sendable, Equatable {
        public var kind: Kind
        public var target: String
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
            let use = s.string("use") ?? ""
            let variants = s.strings("for") ?? []
            let note = s.string("note") ?? ""
            if use.trimmingCharacters(in: .whitespaces).isEmpty { s.fail("use", "required: the term the city's documents use, e.g. \"KTP-el\"") }
            if variants.isEmpty || variants.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                s.fail("for", "required: a list of non-empty terms people type instead, e.g. [\"e-KTP\"]")
            }
            s.finish()
            entries.append(Entry(kind: .synonym, target: use, variants: variants, note: note, source: "\(file) [[synonym]] #\(n + 1)"))
        }
        for (n, s) in (root.sections("renamed") ?? []).enumerated() {
            let new = s.string("new") ?? ""
            let old = s.strings("old") ?? []
            let note = s.string("note") ?? ""
            if new.trimmingCharacters(in: .whitespaces).isEmpty { s.fail("new", "required: the current name, e.g. \"PBG\"") }
            if old.isEmpty || old.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                s.fail("old", "required: a list of non-empty former names, e.g. [\"IMB\"]")
            }
            s.finish()
            entries.append(Entry(kind: .renamed, target: new, variants: old, note: note, source: "\(file) [[renamed]] #\(n + 1)"))
        }
        root.finish(allowed: ["synonym", "renamed"])
        if !doc.errors.isEmpty {
            throw DocumentsError(.invalidInput, "synonym file errors:\n" + doc.errors.map { "  \($0)" }.joined(separator: "\n"))
        }
        return entries
    }
}
