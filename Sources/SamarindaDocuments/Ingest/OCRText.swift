import Foundation
import SamarindaCore

/// Optical character recognition of scanned pages and photographed forms (issue 26): Tesseract 5 with
/// Indonesian and English (`ind+eng`), pages of a PDF rendered by poppler's `pdftoppm`. Both run as
/// separate processes under the ingest limits (`PDFText.runLimited`: address space, CPU and wall
/// clock), never in the service's memory. Each page's mean word confidence is kept; pages below
/// `lowConfidence` are flagged so a clerk knows to check them.
enum OCRText {
    /// The Debian packages OCR needs (English data ships with tesseract-ocr).
    static let packages = "tesseract-ocr and tesseract-ocr-ind"
    static let languages = "ind+eng"
    /// Mean word confidence (0–100) under which a recognised page is flagged for checking.
    static let lowConfidence = 70.0

    static func tesseract(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let dirs = (environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        return dirs.map { $0 + "/tesseract" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func pdftoppm() -> String? {
        PDFText.executable().map { ($0 as NSString).deletingLastPathComponent + "/pdftoppm" }
            .flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil }
    }

    /// Tesseract and its Indonesian data, or an error that names the packages to install.
    /// `candidate` replaces the installed tesseract (tests run one without Indonesian data).
    static func requireTesseract(limits: IngestLimits, candidate: String? = nil) throws -> String {
        let missing = DocumentsError(.extractor, "reading scans needs OCR, which is not installed: install the Debian packages \(packages) (Scripts/setup does) and retry")
        guard let tool = candidate ?? tesseract() else { throw missing }
        let langs = String(decoding: try PDFText.runLimited(tool: tool, arguments: ["--list-langs"], limits: limits), as: UTF8.self)
        let installed = Set(langs.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) })
        guard installed.contains("ind"), installed.contains("eng") else { throw missing }
        return tool
    }

    /// One recognised page: its text in paragraphs and the mean confidence of its words.
    struct Page {
        var text: String
        var confidence: Double
    }

    /// Recognises one image file.
    static func recognize(imagePath: String, tool: String, limits: IngestLimits) throws -> Page {
        var perPage = limits
        perPage.extractorSeconds = limits.ocrSecondsPerPage
        // `--psm 3`: fully automatic page segmentation; TSV gives each word with its confidence.
        let tsv = try PDFText.runLimited(tool: tool, arguments: [imagePath, "stdout", "-l", languages, "--psm", "3", "tsv"], limits: perPage)
        return parseTSV(String(decoding: tsv, as: UTF8.self))
    }

    /// Tesseract's TSV (level, page, block, par, line, word, left, top, width, height, conf, text): words
    /// joined into lines, lines into paragraphs; the confidence is the mean over words, weighted by length.
    static func parseTSV(_ tsv: String) -> Page {
        var paragraphs: [String] = []
        var lines: [String] = []
        var words: [String] = []
        var lastLine: (Substring, Substring, Substring)?
        var lastParagraph: (Substring, Substring)?
        var weighted = 0.0
        var letters = 0
        func endLine() { if !words.isEmpty { lines.append(words.joined(separator: " ")); words.removeAll() } }
        func endParagraph() { endLine(); if !lines.isEmpty { paragraphs.append(lines.joined(separator: "\n")); lines.removeAll() } }
        for row in tsv.split(whereSeparator: \.isNewline).dropFirst() {
            let f = row.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count >= 12, f[0] == "5", let conf = Double(f[10]), conf >= 0 else { continue }
            let text = f[11...].joined(separator: "\t").trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { continue }
            let paragraph = (f[2], f[3])
            let line = (f[2], f[3], f[4])
            if let lastParagraph, lastParagraph != paragraph { endParagraph() } else if let lastLine, lastLine != line { endLine() }
            lastParagraph = paragraph
            lastLine = line
            words.append(text)
            weighted += conf * Double(text.count)
            letters += text.count
        }
        endParagraph()
        return Page(text: paragraphs.joined(separator: "\n\n"), confidence: letters == 0 ? 0 : weighted / Double(letters))
    }

    /// Reads a PNG, JPEG or TIFF: its pixel size is checked first (an image bomb is refused before any decoder runs).
    /// The size comes from the bytes themselves, never the file name: Tesseract's decoder (Leptonica) sniffs the
    /// content, so a TIFF named .png must meet the same check, and an image whose size cannot be read is refused.
    static func image(_ data: Data, format: DocumentFormat, limits: IngestLimits, progress: PageProgress? = nil) throws -> ExtractedText {
        let frames = try imageFrames(data)
        guard frames.count <= limits.maxOCRPages else {
            throw DocumentsError(.tooLarge, "the image has \(frames.count) pages, more than the \(limits.maxOCRPages) read by OCR in one file; split it")
        }
        // Each side first, so the product of two hostile 32-bit sides cannot overflow.
        for (w, h) in frames where w > limits.maxImagePixels || h > limits.maxImagePixels || w * h > limits.maxImagePixels {
            throw DocumentsError(.tooLarge, "the image is \(w)×\(h) pixels, more than \(limits.maxImagePixels / 1_000_000) megapixels; scan at 300 dpi or less")
        }
        let tool = try requireTesseract(limits: limits)
        let scratch = try TemporaryDirectory(prefix: "samarinda-ocr")
        let path = scratch.path + "/image." + format.rawValue
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw DocumentsError(.extractor, "cannot write the image to a temporary file in \(scratch.path)")
        }
        progress?(0, 1)
        let page = try withExtendedLifetime(scratch) { try recognize(imagePath: path, tool: tool, limits: limits) }
        progress?(1, 1)
        guard !page.text.isEmpty else { throw DocumentsError(.empty, "no text was recognised in the image") }
        return recognizedText([(1, page)])
    }

    /// Renders the given pages (1-based) of a PDF and recognises each.
    static func pdfPages(path: String, pages: [Int], limits: IngestLimits, progress: PageProgress? = nil) throws -> [(Int, Page)] {
        guard pages.count <= limits.maxOCRPages else {
            throw DocumentsError(.tooLarge, "the PDF has \(pages.count) scanned pages, more than the \(limits.maxOCRPages) read by OCR in one file; split it")
        }
        let tool = try requireTesseract(limits: limits)
        guard let render = pdftoppm() else {
            throw DocumentsError(.extractor, "reading scanned PDFs needs 'pdftoppm' from poppler-utils; install it (Scripts/setup does) and retry")
        }
        let scratch = try TemporaryDirectory(prefix: "samarinda-ocr")
        var out: [(Int, Page)] = []
        progress?(0, pages.count)
        for page in pages {
            let base = scratch.path + "/page-\(page)"
            // 300 dpi, grey, the longer side capped so a huge page size cannot make a huge bitmap.
            _ = try PDFText.runLimited(tool: render, arguments: ["-r", "300", "-scale-to", String(limits.maxRenderSide), "-gray", "-png",
                                                                  "-f", String(page), "-l", String(page), "-singlefile", path, base], limits: limits)
            let recognized = try recognize(imagePath: base + ".png", tool: tool, limits: limits)
            out.append((page, recognized))
            progress?(out.count, pages.count)
            try? FileManager.default.removeItem(atPath: base + ".png")
        }
        return out
    }

    /// Recognised pages as blocks: each page is a level-1 heading "Halaman N", so every citation names
    /// the page; headings found in the page's text (BAB, Pasal) nest under it.
    static func recognizedText(_ pages: [(Int, Page)]) -> ExtractedText {
        var blocks: [ExtractedText.Block] = []
        var info: [ExtractedText.PageInfo] = []
        for (number, page) in pages {
            info.append(.init(page: number, ocr: true, confidence: page.confidence))
            guard !page.text.isEmpty else { continue }
            blocks.append(.heading(level: 1, label: "Halaman \(number)", text: "Halaman \(number)"))
            for block in blocksFromPlainText(page.text, markdown: false).blocks {
                switch block {
                case .heading(let level, let label, let text): blocks.append(.heading(level: level + 1, label: label, text: text))
                case .paragraph: blocks.append(block)
                }
            }
        }
        return ExtractedText(title: nil, blocks: blocks, pages: info)
    }

    /// Width and height of every frame (a TIFF may hold several pages), read from the headers only; throws when
    /// the bytes are not a PNG, JPEG or classic TIFF or their size cannot be read.
    static func imageFrames(_ data: Data) throws -> [(Int, Int)] {
        let unreadable = DocumentsError(.unreadable, "the image's size cannot be read from its header; save it again as PNG, JPEG or TIFF and retry")
        let b = [UInt8](data)
        if b.starts(with: [0x49, 0x49, 0x2A, 0x00]) || b.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) {
            return try tiffFrames(b, littleEndian: b[0] == 0x49)
        }
        if b.starts(with: [0x49, 0x49, 0x2B, 0x00]) || b.starts(with: [0x4D, 0x4D, 0x00, 0x2B]) {
            throw DocumentsError(.unreadable, "BigTIFF images are not read; save the scan as a classic TIFF, PNG or JPEG and retry")
        }
        guard let size = imageSize(data) else { throw unreadable }
        return [size]
    }

    /// Width and height from a PNG's IHDR or a JPEG's SOF marker (the whole file is walked: APP segments may
    /// push the frame header far in); nil for anything else.
    static func imageSize(_ data: Data) -> (Int, Int)? {
        let b = [UInt8](data)
        func be16(_ i: Int) -> Int { Int(b[i]) << 8 | Int(b[i + 1]) }
        func be32(_ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
        if b.count >= 24, b.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return (be32(16), be32(20)) }
        guard b.count >= 4, b[0] == 0xFF, b[1] == 0xD8 else { return nil }
        var i = 2
        while i + 9 < b.count {
            guard b[i] == 0xFF else { return nil }
            let marker = b[i + 1]
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }
            // Start of frame (baseline, progressive, …; not DHT C4, JPG C8, DAC CC): height then width.
            if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) { return (be16(i + 7), be16(i + 5)) }
            i += 2 + be16(i + 2)
        }
        return nil
    }

    /// Each image file directory (IFD) of a classic TIFF: ImageWidth (256) and ImageLength (257), SHORT or LONG.
    /// The IFD chain is followed at most 10,000 steps and may not loop, so a hostile offset chain ends.
    static func tiffFrames(_ b: [UInt8], littleEndian: Bool) throws -> [(Int, Int)] {
        let unreadable = DocumentsError(.unreadable, "the TIFF's header is damaged (its page sizes cannot be read); save it again and retry")
        func u16(_ i: Int) throws -> Int {
            guard i >= 0, i + 2 <= b.count else { throw unreadable }
            return littleEndian ? Int(b[i]) | Int(b[i + 1]) << 8 : Int(b[i]) << 8 | Int(b[i + 1])
        }
        func u32(_ i: Int) throws -> Int {
            guard i >= 0, i + 4 <= b.count else { throw unreadable }
            let v = littleEndian ? [b[i], b[i + 1], b[i + 2], b[i + 3]].reversed() : [b[i], b[i + 1], b[i + 2], b[i + 3]]
            return v.reduce(0) { $0 << 8 | Int($1) }
        }
        var frames: [(Int, Int)] = []
        var seen = Set<Int>()
        var offset = try u32(4)
        while offset != 0 {
            guard seen.insert(offset).inserted, seen.count <= 10_000 else { throw unreadable }
            let count = try u16(offset)
            var width: Int?
            var height: Int?
            for e in 0..<count {
                let entry = offset + 2 + e * 12
                let tag = try u16(entry)
                guard tag == 256 || tag == 257 else { continue }
                let value: Int
                switch try u16(entry + 2) {
                case 3: value = try u16(entry + 8)
                case 4: value = try u32(entry + 8)
                default: throw unreadable
                }
                if tag == 256 { width = value } else { height = value }
            }
            guard let width, let height else { throw unreadable }
            frames.append((width, height))
            offset = try u32(offset + 2 + count * 12)
        }
        guard !frames.isEmpty else { throw unreadable }
        return frames
    }
}
