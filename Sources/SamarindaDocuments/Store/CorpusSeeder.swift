import Foundation
import SamarindaCore

/// One collection folder of the starter corpus, as described by its `collection.toml`:
///
/// ```toml
/// [collection]
/// name = "layanan-disdukcapil"
/// department = "public"            # a department id, or "public"
/// classification = "biasa"         # default for the files below
/// description = "Persyaratan dan prosedur layanan kependudukan"
///
/// [files."ktp-el.md"]              # optional, per file
/// title = "Persyaratan KTP-el"
/// classification = "terbatas"
/// number = "SP-DISDUKCAPIL/01/2024"
/// date = "2024-01-15"
/// tags = ["ktp-el"]
/// ```
public struct CorpusManifest: Sendable {
    public struct FileEntry: Sendable {
        public var title: String?
        public var classification: Classification?
        public var metadata: DocumentMetadata
    }

    public static let fileName = "collection.toml"
    public var folder: String
    public var name: String
    public var department: String
    public var classification: Classification
    public var description: String
    public var files: [String: FileEntry]

    /// Reads and checks a manifest; errors name the file, key and line.
    public static func load(folder: String) throws -> CorpusManifest {
        let path = folder + "/" + fileName
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw DocumentsError(.unreadable, "\(path): cannot read the collection manifest (\(error.localizedDescription))")
        }
        let doc = TOMLDocument(file: path, text: text)
        let root = doc.root   // one section object: it remembers which keys were read
        var manifest = CorpusManifest(folder: folder, name: "", department: "", classification: .biasa, description: "", files: [:])
        if let c = root.section("collection") {
            manifest.name = c.string("name") ?? ""
            manifest.department = c.string("department") ?? ""
            manifest.classification = c.classification("classification") ?? .biasa
            manifest.description = c.string("description") ?? ""
            if manifest.name.isEmpty { c.fail("name", "required: the collection's name, e.g. \"layanan-disdukcapil\"") }
            if manifest.department.isEmpty { c.fail("department", "required: a department id or \"public\"") }
            c.finish()
        } else {
            root.fail("collection", "missing [collection] table with name and department")
        }
        if let files = root.section("files") {
            for key in files.keys.sorted() {
                guard let f = files.section(key) else { continue }
                if !FileManager.default.fileExists(atPath: folder + "/" + key) { files.fail(key, "no such file in \(folder)") }
                manifest.files[key] = FileEntry(title: f.string("title"), classification: f.classification("classification"),
                                                metadata: DocumentMetadata(tags: f.strings("tags") ?? [], date: f.string("date"), number: f.string("number")))
                f.finish()
            }
            files.finish()
        }
        root.finish(allowed: ["collection", "files"])
        if !doc.errors.isEmpty {
            throw DocumentsError(.invalidInput, "collection manifest errors:\n" + doc.errors.map { "  \($0)" }.joined(separator: "\n"))
        }
        return manifest
    }
}

extension DocumentStore {
    /// Ingests the starter corpus once: every `<dir>/<folder>/collection.toml` and the documents beside it.
    /// Later starts do nothing (the operator may have removed documents on purpose). Returns nil when
    /// seeding was already done or there is no corpus folder.
    @discardableResult
    public func seedIfNeeded(from directory: String, by principal: Principal = .system) async throws -> IngestSummary? {
        guard !directory.isEmpty else { return nil }
        let done = try database.read { c in try c.queryFirst("SELECT value FROM doc_state WHERE key = 'seeded'", []) { $0.text(0) } }
        if done != nil { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        let summary = try await seed(from: directory, by: principal)
        _ = try database.write { c in
            try c.run("INSERT OR REPLACE INTO doc_state (key, value) VALUES ('seeded', ?)", [.text(ISO8601DateFormatter().string(from: Date()))])
        }
        return summary
    }

    /// Ingests every collection folder under `directory` (re-ingesting unchanged files is a no-op).
    public func seed(from directory: String, by principal: Principal = .system) async throws -> IngestSummary {
        let start = ContinuousClock.now
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: directory))?.sorted() ?? []
        var summary = IngestSummary()
        for folder in folders where FileManager.default.fileExists(atPath: directory + "/" + folder + "/" + CorpusManifest.fileName) {
            let manifest = try CorpusManifest.load(folder: directory + "/" + folder)
            for file in Self.documentFiles(in: manifest.folder) {
                let entry = manifest.files[file.name]
                let result = await ingestFile(path: file.path, sourceName: file.name, collection: manifest.name,
                                              classification: entry?.classification ?? manifest.classification,
                                              department: manifest.department, title: entry?.title,
                                              metadata: entry?.metadata ?? DocumentMetadata(), by: principal)
                summary.results.append(result)
            }
            if !manifest.description.isEmpty {
                _ = try database.write { c in
                    try c.run("UPDATE doc_collections SET description = ? WHERE name = ?", [.text(manifest.description), .text(manifest.name)])
                }
            }
        }
        let d = ContinuousClock.now - start
        summary.seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return summary
    }
}
