import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ZIPFoundation

/// Reads the text of a .docx file: `word/document.xml` inside the ZIP container, paragraph by
/// paragraph. Headings come from paragraph styles (Heading1…9, Title, and the Indonesian
/// Word's Judul1…9) or an explicit outline level; regulation headings (BAB, Pasal) are
/// recognised in ordinary paragraphs too.
enum DocxText {
    /// Word documents above this size (uncompressed XML) are refused: a ZIP bomb should not exhaust memory.
    static let maxDocumentXMLBytes = 64 * 1024 * 1024

    static func extract(_ data: Data, fileName: String) throws -> ExtractedText {
        let archive: Archive
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw DocumentsError(.unreadable, "not a valid .docx file (the ZIP container cannot be opened)")
        }
        guard let entry = archive["word/document.xml"] else {
            throw DocumentsError(.unreadable, "not a Word document (word/document.xml is missing from the archive)")
        }
        guard entry.uncompressedSize <= UInt64(maxDocumentXMLBytes) else {
            throw DocumentsError(.unreadable, "word/document.xml is larger than \(maxDocumentXMLBytes / 1_048_576) MiB uncompressed; split the document")
        }
        var xml = Data()
        do {
            _ = try archive.extract(entry, skipCRC32: false) { xml.append($0) }
        } catch {
            throw DocumentsError(.unreadable, "word/document.xml cannot be decompressed (\(error))")
        }
        let reader = DocumentXMLReader()
        let parser = XMLParser(data: xml)
        parser.delegate = reader
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        guard parser.parse() else {
            let reason = parser.parserError.map { "\($0.localizedDescription)" } ?? "malformed XML"
            throw DocumentsError(.unreadable, "word/document.xml is not well-formed XML (line \(parser.lineNumber): \(reason))")
        }
        var title: String?
        var blocks: [ExtractedText.Block] = []
        for p in reader.paragraphs {
            let text = p.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { continue }
            if let r = RegulationHeadings.match(text) {
                blocks.append(.heading(level: r.level, label: r.label, text: text))
            } else if p.isTitle {
                if title == nil { title = text }
                blocks.append(.heading(level: 1, label: text, text: text))
            } else if let level = p.headingLevel {
                blocks.append(.heading(level: level, label: text, text: text))
            } else {
                blocks.append(.paragraph(text))
            }
        }
        return ExtractedText(title: title, blocks: blocks)
    }
}

/// SAX reader for WordprocessingML (ECMA-376 Part 1, §17.3): `w:p` paragraphs holding `w:r` runs
/// of `w:t` text, with the style in `w:pPr/w:pStyle@w:val` and outline level in `w:pPr/w:outlineLvl`.
private final class DocumentXMLReader: NSObject, XMLParserDelegate {
    struct Paragraph {
        var text = ""
        var headingLevel: Int?
        var isTitle = false
    }

    var paragraphs: [Paragraph] = []
    private var current: Paragraph?
    private var inText = false

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch name {
        case "w:p": current = Paragraph()
        case "w:t": inText = true
        case "w:tab": current?.text += "\t"
        case "w:br", "w:cr": current?.text += "\n"
        case "w:pStyle":
            guard let style = attributes["w:val"]?.lowercased() else { return }
            if style == "title" || style == "judul" { current?.isTitle = true; return }
            for prefix in ["heading", "judul"] where style.hasPrefix(prefix) {
                if let level = Int(style.dropFirst(prefix.count)), (1...9).contains(level) { current?.headingLevel = level }
            }
        case "w:outlineLvl":
            if let v = attributes["w:val"].flatMap(Int.init), (0...8).contains(v), current?.headingLevel == nil { current?.headingLevel = v + 1 }
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch name {
        case "w:t": inText = false
        case "w:p":
            if let p = current { paragraphs.append(p) }
            current = nil
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { current?.text += string }
    }
}
