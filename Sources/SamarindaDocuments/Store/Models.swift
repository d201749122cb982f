import Foundation
import SamarindaCore

/// A named set of documents owned by one department, or by `public` (readable by everyone).
public struct DocumentCollection: Sendable, Equatable, Codable {
    public var id: Int64
    public var name: String
    /// A department id, or `public`.
    public var department: String
    public var description: String
    /// Current documents in the collection (as far as the asking principal may see them).
    public var documentCount: Int

    public static let publicDepartment = CollectionAccess.publicDepartment
}

/// What a document is, beyond its text: tags, the date and number of a regulation or letter.
public struct DocumentMetadata: Sendable, Equatable, Codable {
    public var tags: [String]
    /// The document's own date (e.g. of a Perwali), ISO 8601 `YYYY-MM-DD` where known.
    public var date: String?
    /// The regulation's or letter's number, e.g. "Perwali No. 12 Tahun 2023".
    public var number: String?

    public init(tags: [String] = [], date: String? = nil, number: String? = nil) {
        self.tags = tags
        self.date = date
        self.number = number
    }
}

/// A stored document version. `status` is `current`, `superseded` (a newer version of the same
/// source file replaced it; kept as history) or `removed`.
public struct DocumentRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var collection: String
    public var department: String
    public var title: String
    public var sourceName: String
    public var format: String
    /// SHA-256 of the file's bytes, hex.
    public var contentHash: String
    public var bytes: Int
    public var classification: Classification
    public var ingestedBy: String
    public var ingestedAt: Date
    public var metadata: DocumentMetadata
    public var version: Int
    public var status: String
    /// The version that replaced this one, when superseded.
    public var replacedBy: Int64?
    public var chunkCount: Int
    /// Recognised (OCR) pages with their confidence; filled when one document is fetched.
    public var pages: [ExtractedText.PageInfo] = []
}

/// One chunk of a document, as `docs show` prints it.
public struct StoredChunk: Sendable, Equatable, Codable {
    public var id: Int64
    public var ordinal: Int
    public var section: String
    public var text: String
}

/// The file formats we ingest, by extension.
public enum DocumentFormat: String, Sendable, CaseIterable, Codable {
    case text = "txt"
    case markdown = "md"
    case html
    case pdf
    case docx
    /// Scans and photographs, read by OCR.
    case png
    case jpeg = "jpg"
    case tiff

    public init?(fileName: String) {
        switch (fileName as NSString).pathExtension.lowercased() {
        case "txt", "text": self = .text
        case "md", "markdown": self = .markdown
        case "html", "htm": self = .html
        case "pdf": self = .pdf
        case "docx": self = .docx
        case "png": self = .png
        case "jpg", "jpeg": self = .jpeg
        case "tif", "tiff": self = .tiff
        default: return nil
        }
    }

    public static var supportedExtensions: String { ".txt .md .html .pdf .docx, and scans as .png .jpg .tiff" }

    /// Every extension `init(fileName:)` takes and the image media types, for a file input's `accept=` (the web upload).
    public static var acceptAttribute: String {
        [".txt", ".text", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".png", ".jpg", ".jpeg", ".tif", ".tiff",
         "image/png", "image/jpeg", "image/tiff"].joined(separator: ",")
    }
}

/// What happened to one file of an ingest batch.
public struct IngestFileResult: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// A new document.
        case added
        /// A changed file replaced the current version (kept as history).
        case replaced(previousID: Int64)
        /// The same bytes were ingested before: nothing was written.
        case unchanged
        /// The file was not ingested; the reason says why and what to do.
        case skipped(reason: String)
    }

    public var file: String
    public var documentID: Int64?
    public var outcome: Outcome
    public var chunks: Int
    public var bytes: Int
    /// Non-fatal problems (embeddings unavailable, say).
    public var warnings: [String]
    /// Why a skipped file was not ingested, for adapters to answer with the right status
    /// (`tooLarge` → 413, `accessDenied` → 403, `unavailable` → 503, others → 422).
    public var failure: DocumentsError.Kind? = nil
}

/// The summary of an ingest batch.
public struct IngestSummary: Sendable, Equatable {
    public var results: [IngestFileResult] = []
    public var seconds: Double = 0

    public init(results: [IngestFileResult] = [], seconds: Double = 0) {
        self.results = results
        self.seconds = seconds
    }

    public var files: Int { results.count }
    public var added: Int { results.filter { $0.outcome == .added }.count }
    public var replaced: Int { results.filter { if case .replaced = $0.outcome { true } else { false } }.count }
    public var unchanged: Int { results.filter { $0.outcome == .unchanged }.count }
    public var skipped: [(file: String, reason: String)] {
        results.compactMap { if case .skipped(let r) = $0.outcome { ($0.file, r) } else { nil } }
    }
    public var chunks: Int { results.reduce(0) { $0 + $1.chunks } }
    public var bytes: Int { results.reduce(0) { $0 + $1.bytes } }

    public static func == (a: Self, b: Self) -> Bool { a.results == b.results }

    /// One line for people: "3 files (2 added, 1 unchanged, 0 replaced), 14 chunks, 12.3 KB in 0.21 s; 1 skipped".
    public var line: String {
        let kb = Double(bytes) / 1024
        var s = "\(files) file\(files == 1 ? "" : "s") (\(added) added, \(replaced) replaced, \(unchanged) unchanged), \(chunks) chunks, "
        s += String(format: "%.1f KB in %.2f s", kb, seconds)
        if !skipped.isEmpty { s += "; \(skipped.count) skipped" }
        return s
    }
}

/// Progress of an ingest batch, for a progress bar.
public struct IngestProgress: Sendable {
    public var done: Int
    public var total: Int
    public var file: String
    /// Pages of `file` recognised so far by OCR and how many it has (0 / 0 for files read without OCR).
    public var pagesDone = 0
    public var pagesTotal = 0
}

/// One search result: a chunk the principal may see, with a highlighted snippet.
public struct SearchHit: Sendable, Equatable, Codable {
    public var documentID: Int64
    public var chunkID: Int64
    public var collection: String
    public var title: String
    public var section: String
    /// An excerpt around the matched words, each match wrapped in `**`.
    public var snippet: String
    /// The whole chunk, for answer generation.
    public var text: String
    public var classification: Classification
    /// Higher is better. BM25 (sign flipped) alone, or the reciprocal-rank-fusion score with embeddings.
    public var score: Double

    public var passage: Passage {
        Passage(documentID: documentID, chunkID: chunkID, collection: collection, title: title, section: section,
                text: text, classification: classification, score: score)
    }
}
