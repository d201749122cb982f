import Foundation
import SamarindaCore

/// What one upload may cost to read. Every extractor counts what it actually produces (inflated
/// bytes, XML depth, pdftotext's output, pages, time), never what a file declares about itself, and
/// stops at the bound: a hostile file is refused with `DocumentsError(.tooLarge)` (HTTP 413) or
/// `.unreadable` (422) without the service's memory growing past these numbers.
public struct IngestLimits: Sendable, Equatable {
    /// Largest file read from disk (`docs ingest`); uploads are first bounded by `[server] max_body_bytes`.
    public var maxFileBytes = 200 * 1024 * 1024
    /// Most text any extractor may produce from one file: the decoded text of .txt/.md/.html, the
    /// inflated `word/document.xml` of a .docx, pdftotext's output for a PDF.
    public var maxExtractedBytes = 64 * 1024 * 1024
    /// Most entries in a .docx archive (a Word file has a few dozen).
    public var maxArchiveEntries = 10_000
    /// Deepest element nesting accepted in a .docx's XML (Word writes fewer than 20 levels).
    public var maxXMLDepth = 256
    /// Most pages read from one PDF.
    public var maxPDFPages = 2_000
    /// Wall-clock time for one run of an extractor program (pdftotext); also its CPU-time limit.
    public var extractorSeconds = 60
    /// Address space of an extractor program (pdftotext), so a hostile PDF cannot exhaust the machine.
    public var extractorMemoryBytes = 1024 * 1024 * 1024
    /// Most scanned pages recognised (OCR) in one file.
    public var maxOCRPages = 100
    /// Time for recognising one page (Tesseract), wall clock and CPU.
    public var ocrSecondsPerPage = 60
    /// Largest image accepted for OCR, in pixels (a decompression bomb declares billions).
    public var maxImagePixels = 60_000_000
    /// Longer side, in pixels, a PDF page is rendered at for OCR (A4 at 300 dpi is 3508).
    public var maxRenderSide = 3508

    public init() {}

    public static let `default` = IngestLimits()

    static func mib(_ bytes: Int) -> String { bytes % 1_048_576 == 0 ? "\(bytes / 1_048_576) MiB" : "\(bytes) bytes" }
}

/// Hears how far OCR has come in one file: pages recognised so far and pages to recognise.
public typealias PageProgress = @Sendable (_ done: Int, _ total: Int) -> Void

/// Reads the text of a file in one of the supported formats, within `limits`. The one entry point
/// for the store, the fuzz targets and tests.
public enum DocumentExtractor {
    /// `filePath`, when given, is the same bytes on disk (a PDF is then read in place).
    public static func extract(data: Data, format: DocumentFormat, filePath: String? = nil,
                               limits: IngestLimits = .default, progress: PageProgress? = nil) throws -> ExtractedText {
        switch format {
        case .text, .markdown, .html:
            guard data.count <= limits.maxExtractedBytes else {
                throw DocumentsError(.tooLarge, "the text is larger than \(IngestLimits.mib(limits.maxExtractedBytes)); split the file")
            }
            guard let text = String(data: data, encoding: .utf8) ?? String(data: data, encoding: .windowsCP1252) else {
                throw DocumentsError(.unreadable, "not valid UTF-8 text; save it as UTF-8 and retry")
            }
            if text.utf8.contains(0) { throw DocumentsError(.unreadable, "binary content in a text file; is the extension right?") }
            switch format {
            case .html: return HTMLText.extract(text)
            default: return blocksFromPlainText(text, markdown: format == .markdown)
            }
        case .docx:
            return try DocxText.extract(data, limits: limits)
        case .png, .jpeg, .tiff:
            return try OCRText.image(data, format: format, limits: limits, progress: progress)
        case .pdf:
            if let filePath { return try PDFText.extract(path: filePath, limits: limits, progress: progress) }
            let scratch = try TemporaryDirectory(prefix: "samarinda-pdf")
            let path = scratch.path + "/input.pdf"
            guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw DocumentsError(.extractor, "cannot write the upload to a temporary file in \(scratch.path)")
            }
            // The folder (and the copy in it) is removed when `scratch` is released: keep it until pdftotext is done.
            return try withExtendedLifetime(scratch) { try PDFText.extract(path: path, limits: limits, progress: progress) }
        }
    }

    /// Whether reading these bytes needs OCR (an image, or a PDF with a page without a text layer): slow work
    /// that the service runs as a background job. A PDF's text layer is read (pdftotext, limited) to decide;
    /// a PDF that cannot be read counts as not needing OCR, so its error comes from the ordinary ingest.
    public static func needsOCR(data: Data, format: DocumentFormat, limits: IngestLimits = .default) -> Bool {
        switch format {
        case .png, .jpeg, .tiff: return true
        case .pdf:
            guard let scratch = try? TemporaryDirectory(prefix: "samarinda-pdf") else { return false }
            let path = scratch.path + "/input.pdf"
            guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else { return false }
            return withExtendedLifetime(scratch) { ((try? PDFText.textPages(path: path, limits: limits))?.scanned.isEmpty == false) }
        default: return false
        }
    }

    /// The second stage of reading a .docx alone: its `word/document.xml`, already inflated (for the fuzz target).
    public static func extractDocxDocumentXML(_ xml: Data, limits: IngestLimits = .default) throws -> ExtractedText {
        try DocxText.read(documentXML: xml, limits: limits)
    }
}
