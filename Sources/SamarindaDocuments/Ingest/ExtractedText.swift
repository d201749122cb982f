import Foundation

/// What an extractor finds in a file: an optional title and a sequence of headings and paragraphs.
/// The chunker turns it into chunks that remember their section path.
public struct ExtractedText: Sendable, Equatable {
    public enum Block: Sendable, Equatable {
        /// A heading with its nesting level (1 = outermost) and its short label for citations
        /// ("BAB II", "Pasal 5", "Persyaratan") beside its full text.
        case heading(level: Int, label: String, text: String)
        case paragraph(String)
    }

    /// How a page's text was obtained, for pages that were recognised (OCR); empty for born-digital files.
    public struct PageInfo: Sendable, Equatable, Codable {
        public var page: Int
        public var ocr: Bool
        /// Mean word confidence, 0–100.
        public var confidence: Double
        /// Below `OCRText.lowConfidence`: a clerk should check this page against the paper.
        public var lowConfidence: Bool { ocr && confidence < OCRText.lowConfidence }
    }

    public var title: String?
    public var blocks: [Block]
    public var pages: [PageInfo]

    public init(title: String? = nil, blocks: [Block], pages: [PageInfo] = []) {
        self.title = title
        self.blocks = blocks
        self.pages = pages
    }

    public var isEmpty: Bool {
        !blocks.contains { block in
            switch block {
            case .heading(_, _, let t), .paragraph(let t): !t.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            }
        }
    }
}

/// Recognises the headings of Indonesian regulations and letters in plain lines of text.
/// Levels follow the structure of peraturan perundang-undangan (UU 12/2011, Lampiran II):
/// BAB > Bagian > Paragraf > Pasal.
enum RegulationHeadings {
    static let levels: [(prefix: String, level: Int)] = [("BAB", 1), ("BAGIAN", 2), ("PARAGRAF", 3), ("PASAL", 4)]

    /// The level and short label of a heading line ("Pasal 5" → (4, "Pasal 5")), or nil.
    static func match(_ line: String) -> (level: Int, label: String)? {
        // Fast reject: most lines are prose, and headings start with B/b or P/p after optional spaces.
        guard line.utf8.count <= 100, let f = line.utf8.first(where: { $0 != 0x20 && $0 != 0x09 }),
              f == 0x42 || f == 0x62 || f == 0x50 || f == 0x70 else { return nil }
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.utf8.count <= 80, let first = trimmed.split(separator: " ", maxSplits: 2).first else { return nil }
        let word = first.uppercased()
        guard let entry = levels.first(where: { $0.prefix == word }) else { return nil }
        let parts = trimmed.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2 else { return nil }
        let number = String(parts[1])
        switch entry.level {
        case 1:
            // BAB followed by a Roman or Arabic numeral.
            guard number.allSatisfy({ "IVXLCDM0123456789".contains($0) }) else { return nil }
            return (1, "BAB \(number)")
        case 4:
            guard number.allSatisfy(\.isNumber) || number.dropLast().allSatisfy(\.isNumber) && number.last?.isLetter == true,
                  parts.count == 2 else { return nil }
            return (4, "Pasal \(number)")
        default:
            // "Bagian Kesatu", "Paragraf 2": short lines only, so prose starting with "Bagian" is not a heading.
            guard parts.count <= 3, trimmed.utf8.count <= 40 else { return nil }
            return (entry.level, String(first.prefix(1).uppercased() + first.dropFirst().lowercased()) + " " + number)
        }
    }
}

/// Splits plain text into blocks: blank lines separate paragraphs, regulation headings
/// (and Markdown `#` headings when `markdown` is set) become headings.
func blocksFromPlainText(_ text: String, markdown: Bool) -> ExtractedText {
    var blocks: [ExtractedText.Block] = []
    var title: String?
    var paragraph: [Substring] = []
    var inFence = false

    func flush() {
        if !paragraph.isEmpty {
            let joined = paragraph.map { fastTrim($0) }.joined(separator: "\n")
            if !joined.isEmpty { blocks.append(.paragraph(joined)) }
            paragraph.removeAll()
        }
    }

    // Lines are split on UTF-8 bytes (LF, FF) rather than Characters: grapheme breaking is the slowest
    // part of reading large plain text, and these separators never occur inside a multi-byte sequence.
    for lineBytes in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).flatMap({ $0.split(separator: 0x0C, omittingEmptySubsequences: false) }) {
        let rawLine = Substring(lineBytes)
        let line = fastTrim(rawLine)
        if markdown, line.hasPrefix("```") { inFence.toggle(); paragraph.append(rawLine); continue }
        if inFence { paragraph.append(rawLine); continue }
        if line.isEmpty { flush(); continue }
        if markdown, line.hasPrefix("#") {
            let hashes = line.prefix(while: { $0 == "#" }).count
            let rest = line.dropFirst(hashes)
            if hashes <= 6, rest.first == " " {
                flush()
                let heading = rest.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "#"))
                    .trimmingCharacters(in: .whitespaces)
                if hashes == 1, title == nil { title = heading }
                // A regulation heading written as Markdown ("## Pasal 5") keeps its regulation level.
                if let r = RegulationHeadings.match(heading) {
                    blocks.append(.heading(level: r.level, label: r.label, text: heading))
                } else {
                    blocks.append(.heading(level: hashes, label: heading, text: heading))
                }
                continue
            }
        }
        if let r = RegulationHeadings.match(line) {
            flush()
            blocks.append(.heading(level: r.level, label: r.label, text: line))
            continue
        }
        paragraph.append(rawLine)
    }
    flush()
    if !markdown, title == nil {
        // The first short line of a plain text file is its title, as in a letter or a memo.
        if case .paragraph(let p)? = blocks.first, let firstLine = p.split(separator: "\n").first, firstLine.count <= 120 {
            title = String(firstLine)
        }
    }
    return ExtractedText(title: title, blocks: blocks)
}

/// Trims ASCII spaces, tabs and CR (and, rarely, Unicode whitespace) from both ends.
func fastTrim(_ s: Substring) -> String {
    let utf8 = s.utf8
    var start = utf8.startIndex
    var end = utf8.endIndex
    while start < end, [0x20, 0x09, 0x0D].contains(utf8[start]) { start = utf8.index(after: start) }
    while end > start, [0x20, 0x09, 0x0D].contains(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
    let trimmed = Substring(utf8[start..<end])
    if let first = trimmed.unicodeScalars.first, let last = trimmed.unicodeScalars.last,
       first.properties.isWhitespace || last.properties.isWhitespace {
        return trimmed.trimmingCharacters(in: .whitespaces)
    }
    return String(trimmed)
}
