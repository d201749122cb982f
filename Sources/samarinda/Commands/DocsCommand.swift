import ArgumentParser
import Foundation
import SamarindaCore
import SamarindaDocuments

struct DocsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docs",
        abstract: "Ingest, search, list, show and remove the city's documents.",
        discussion: """
            Documents live in collections owned by a department (or 'public'), each with a classification
            (biasa, terbatas, rahasia, sangat_rahasia). Search understands Indonesian word forms:
            'mengajukan permohonan' finds 'pengajuan ... dimohon'. The CLI acts as the local operator
            (admin) unless --as KEY names an API key to search as.
            """,
        subcommands: [Ingest.self, Search.self, List.self, Show.self, Remove.self, Embed.self, Analyze.self, Explain.self]
    )

    struct Ingest: PlatformCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ingest files or folders (.txt .md .html .pdf .docx; scans as .png .jpg .tiff, read by OCR) into a collection.",
            discussion: """
                Re-ingesting an unchanged file does nothing; a changed file replaces the current version you may see, \
                which is kept as history. A version above your clearance is never replaced: your file becomes a separate \
                document beside it. Limits per file: see README ("Upload limits").
                """)
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Files or folders (folders are read recursively).") var paths: [String]
        @Option(help: "The collection, e.g. layanan-disdukcapil. Created if new (then --department is required).") var collection: String
        @Option(help: "The classification of the files.") var classification: Classification
        @Option(help: "The department that owns a new collection, or 'public'.") var department: Department?
        @Option(help: "The title (single file only; default: the document's first heading or its file name).") var title: String?
        @Option(help: "Regulation or letter number, e.g. \"Perwali No. 5 Tahun 2024\".") var number: String?
        @Option(help: "The document's date, YYYY-MM-DD.") var date: String?
        @Option(help: "Comma-separated tags.") var tags: String?

        func run(on handle: PlatformHandle) async throws {
            let bar = ProgressBar()
            let metadata = DocumentMetadata(tags: tags?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? [],
                                            date: date, number: number)
            let summary = try await handle.platform.documents.ingest(
                paths: paths, collection: collection, classification: classification, department: try department?.known(in: handle.platform.config), title: title,
                metadata: metadata, by: handle.operatorPrincipal, progress: { bar.update($0) })
            bar.finish()
            for r in summary.results {
                switch r.outcome {
                case .added: print("added     \(r.file) → document \(r.documentID ?? 0), \(r.chunks) chunks")
                case .replaced(let old): print("replaced  \(r.file) → document \(r.documentID ?? 0) (was \(old)), \(r.chunks) chunks")
                case .unchanged: print("unchanged \(r.file) (document \(r.documentID ?? 0))")
                case .skipped(let reason): print("skipped   \(r.file): \(reason)")
                }
                for w in r.warnings { print("          warning: \(w)") }
            }
            print(summary.line)
            // Nothing is ingested unaudited: when the trail cannot record, say so and fail, whatever else went through.
            if let unaudited = summary.results.first(where: { $0.failure == .unavailable }), case .skipped(let reason) = unaudited.outcome {
                printError("error: \(reason)")
                throw ExitCode(1)
            }
            if summary.files > 0, summary.skipped.count == summary.files { throw ExitCode(1) }
        }
    }

    struct Search: PlatformCommand {
        static let configuration = CommandConfiguration(abstract: "Search documents in Bahasa Indonesia; prints citations and highlighted snippets.")
        @OptionGroup var options: ConfigOptions
        @OptionGroup var request: SearchRequest

        func run(on handle: PlatformHandle) async throws {
            try await request.answer(on: handle, { try await $0.search(query: $1, principal: $2, collections: $3, limit: $4) }) { hits in
                guard !hits.isEmpty else { return print("No results you may see for \"\(request.query)\".") }
                for (n, hit) in hits.enumerated() {
                    let section = hit.section.isEmpty ? "" : " — \(hit.section)"
                    print("\(n + 1). \(hit.title)\(section)  [doc \(hit.documentID), chunk \(hit.chunkID), \(hit.collection), \(hit.classification.name), score \(String(format: "%.3f", hit.score))]")
                    print("   \(hit.snippet)")
                }
            }
        }
    }

    struct List: PlatformCommand {
        static let configuration = CommandConfiguration(abstract: "List collections and current documents.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Only this collection (repeatable).") var collection: [String] = []

        func run(on handle: PlatformHandle) async throws {
            let store = handle.platform.documents
            let principal = handle.operatorPrincipal
            let collections = try store.collections(for: principal)
            print(TextTable(["COLLECTION", "DEPARTMENT", "DOCUMENTS", "DESCRIPTION"],
                            collections.map { [$0.name, $0.department, String($0.documentCount), $0.description] }).render())
            print("")
            let docs = try store.list(for: principal, collections: collection.isEmpty ? nil : collection)
            if docs.isEmpty {
                print("No documents yet. Ingest some with: samarinda docs ingest PATH --collection NAME --classification biasa --department DEPT")
            } else {
                print(TextTable(["ID", "COLLECTION", "TITLE", "CLASS", "CHUNKS", "VERSION", "SOURCE"],
                                docs.map { [String($0.id), $0.collection, String($0.title.prefix(60)), $0.classification.name,
                                            String($0.chunkCount), String($0.version), $0.sourceName] }).render())
            }
        }
    }

    struct Show: PlatformCommand {
        static let configuration = CommandConfiguration(abstract: "Show a document: metadata, history and chunks with their sections.")
        @OptionGroup var options: ConfigOptions
        @OptionGroup var document: DocumentArgument

        func run(on handle: PlatformHandle) async throws {
            let (d, chunks, history) = try await handle.platform.documents.document(id: document.id, for: handle.operatorPrincipal)
            print("""
                Document \(d.id): \(d.title)
                  collection:     \(d.collection) (\(d.department))
                  classification: \(d.classification.name)
                  source:         \(d.sourceName) (\(d.format), \(d.bytes) bytes, sha256 \(d.contentHash.prefix(16))…)
                  version:        \(d.version) (\(d.status))\(d.replacedBy.map { ", replaced by \($0)" } ?? "")
                  ingested:       \(iso(d.ingestedAt)) by \(d.ingestedBy)
                  number/date:    \(d.metadata.number ?? "-") / \(d.metadata.date ?? "-")
                  tags:           \(d.metadata.tags.isEmpty ? "-" : d.metadata.tags.joined(separator: ", "))
                """)
            if !history.isEmpty {
                print("  other versions: " + history.map { "\($0.id) (v\($0.version), \($0.status))" }.joined(separator: ", "))
            }
            for c in chunks {
                print("\n--- chunk \(c.id) #\(c.ordinal)\(c.section.isEmpty ? "" : " — \(c.section)")")
                print(c.text)
            }
        }
    }

    struct Remove: PlatformCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a document version (its text, index entries and embeddings); the removal is audited.",
            discussion: "Older versions stay as history (see 'docs show ID') unless --all-versions; nothing is promoted back to current.")
        @OptionGroup var options: ConfigOptions
        @OptionGroup var document: DocumentArgument
        @Flag(help: "Also remove the older versions this one replaced.") var allVersions = false

        func run(on handle: PlatformHandle) async throws {
            try await handle.platform.documents.remove(id: document.id, allVersions: allVersions, by: handle.operatorPrincipal)
            print(allVersions ? "removed document \(document.id) and its older versions" : "removed document \(document.id)")
        }
    }

    struct Embed: PlatformCommand {
        static let configuration = CommandConfiguration(
            abstract: "Embed the current documents that have no vectors from [documents] embedding_provider yet.",
            discussion: """
                For documents ingested before an embedding provider was configured (or changed), or whose \
                embedding failed at ingest. Each document is sent at its own classification: a provider not \
                cleared for it refuses before anything is sent, and the document stays keyword-only.
                """)
        @OptionGroup var options: ConfigOptions

        func run(on handle: PlatformHandle) async throws {
            let summary = try await handle.platform.documents.embedMissing(by: handle.operatorPrincipal)
            print("embedded \(summary.documents) document(s), \(summary.chunks) chunk(s) with \(summary.model)")
            for s in summary.skipped { print("kept keyword-only: \(s.file): \(s.reason)") }
        }
    }
}

/// The document `docs show` and `docs remove` act on.
struct DocumentArgument: ParsableArguments {
    @Argument(help: "The document id (see 'docs list').") var id: Int64
}

/// What `docs search` and `docs explain` share: the question, where to search, how much, as whom, and how to print.
struct SearchRequest: ParsableArguments {
    @Argument(help: "The question or keywords, e.g. \"syarat membuat KTP-el\" or \"IMB sekarang apa?\".") var query: String
    @Option(help: "Search only this collection (repeatable).") var collection: [String] = []
    @Option(name: .customLong("k"), help: "How many passages.") var k: Int = 5
    @Option(name: .customLong("as"), help: ArgumentHelp("Search with the rights of this API key instead of the operator's.", valueName: "key")) var asKey: String?
    @Flag(help: "Print JSON.") var json = false

    /// Runs `search` as the `--as` key's principal (else the operator) and prints its result: JSON with
    /// `--json`, else through `text`.
    func answer<Result: Encodable>(
        on handle: PlatformHandle,
        _ search: (DocumentStore, _ query: String, Principal, _ collections: [String]?, _ limit: Int) async throws -> Result,
        text: (Result) -> Void
    ) async throws {
        let result = try await search(handle.platform.documents, query, try await handle.principal(asKey: asKey), collection.isEmpty ? nil : collection, k)
        if json { try printJSON(result) } else { text(result) }
    }
}

/// Progress of `docs ingest` on standard error: on a terminal, one redrawn line with files, OCR pages and the
/// time left; otherwise (a log, a pipe) one plain line per file as it starts, so nothing is drawn over.
final class ProgressBar: @unchecked Sendable {
    private let enabled = isatty(STDERR_FILENO) == 1
    private let lock = NSLock()
    private var drawn = false
    private var lastFile = -1
    private let started = Date()

    func update(_ p: IngestProgress) {
        guard p.total > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        guard enabled else {
            if p.done < p.total, p.done != lastFile {
                lastFile = p.done
                FileHandle.standardError.write(Data("[\(p.done + 1)/\(p.total)] \(p.file)\n".utf8))
            }
            return
        }
        // Work done in files, counting the current file's recognised pages as a fraction of it.
        let fraction = Double(p.done) + (p.pagesTotal > 0 ? Double(p.pagesDone) / Double(p.pagesTotal) : 0)
        let width = 30
        let filled = min(width, Int(fraction * Double(width) / Double(p.total)))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        var line = "\r\(bar) \(min(p.done + 1, p.total))/\(p.total) files"
        if p.pagesTotal > 0 { line += " · page \(p.pagesDone)/\(p.pagesTotal)" }
        let elapsed = Date().timeIntervalSince(started)
        if fraction > 0, elapsed > 1 {
            let left = Int(elapsed / fraction * (Double(p.total) - fraction))
            line += left >= 60 ? " · ~\(left / 60)m\(left % 60)s left" : " · ~\(left)s left"
        }
        line += " \(p.file.suffix(40))"
        FileHandle.standardError.write(Data((line + "\u{1B}[K").utf8))
        drawn = true
    }

    func finish() {
        guard enabled, drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
