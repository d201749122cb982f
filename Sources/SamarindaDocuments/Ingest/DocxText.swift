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
    static func extract(_ data: Data, limits: IngestLimits = .default) throws -> ExtractedText {
        let archive: Archive
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw DocumentsError(.unreadable, "not a valid .docx file (the ZIP container cannot be opened)")
        }
        // Count entries before looking one up: a central directory of millions of entries is refused
        // rather than walked.
        var entries = 0
        var documentEntry: Entry?
        for entry in archive {
            entries += 1
            if entries > limits.maxArchiveEntries {
                throw DocumentsError(.tooLarge, "the .docx archive holds more than \(limits.maxArchiveEntries) entries (a Word file has a few dozen); it is refused as a possible ZIP bomb")
            }
            if documentEntry == nil, entry.path == "word/document.xml" { documentEntry = entry }
        }
        guard let entry = documentEntry else {
            throw DocumentsError(.unreadable, "not a Word document (word/document.xml is missing from the archive)")
        }
        let limit = limits.maxExtractedBytes
        let tooLarge = DocumentsError(.tooLarge, "word/document.xml inflates to more than \(IngestLimits.mib(limit)); split the document (or it is a ZIP bomb)")
        // The declared size is only a first, cheap refusal: the bound that holds is the count of bytes
        // the inflater actually produces, checked on every chunk, because a hostile archive lies.
        guard entry.uncompressedSize <= UInt64(limit) else { throw tooLarge }
        var xml = Data()
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                guard xml.count + chunk.count <= limit else { throw tooLarge }
                xml.append(chunk)
            }
        } catch let e as DocumentsError {
            throw e
        } catch {
            throw DocumentsError(.unreadable, "word/document.xml cannot be decompressed (\(error))")
        }
        return try read(documentXML: xml, limits: limits)
    }

    /// Reads the paragraphs of an inflated `word/document.xml`.
    static func read(documentXML xml: Data, limits: IngestLimits = .default) throws -> ExtractedText {
        // Word writes UTF-8. A UTF-16 or UTF-32 document.xml would hide a DTD from the check below, and
        // invalid UTF-8 in a tag, attribute name or comment traps Foundation's XMLParser on Linux (it
        // force-unwraps each name it decodes; found by Scripts/fuzz, Tests/Fixtures/fuzz/docx/), which
        // would take the whole service down: only valid UTF-8 reaches the parser.
        if xml.prefix(4).contains(0) || xml.starts(with: [0xFF, 0xFE]) || xml.starts(with: [0xFE, 0xFF])
            || String(validating: xml, as: UTF8.self) == nil {
            throw DocumentsError(.unreadable, "word/document.xml is not valid UTF-8, which Word always writes; the file is refused")
        }
        // Word never writes a DTD. Refusing one closes every entity trick (exponential "billion laughs"
        // expansion, external entities) before the XML parser sees it.
        if xml.range(of: Data("<!DOCTYPE".utf8)) != nil || xml.range(of: Data("<!ENTITY".utf8)) != nil {
            throw DocumentsError(.unreadable, "word/document.xml declares a DTD or entities, which Word never writes; the file is refused")
        }
        let reader = DocumentXMLReader(maxDepth: limits.maxXMLDepth)
        let parser = XMLParser(data: xml)
        parser.delegate = reader
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        let parsed = parser.parse()
        if reader.declaresEntities {
            throw DocumentsError(.unreadable, "word/document.xml declares a DTD or entities, which Word never writes; the file is refused")
        }
        if reader.tooDeep {
            throw DocumentsError(.unreadable, "word/document.xml nests elements deeper than \(limits.maxXMLDepth) levels; the file is refused")
        }
        guard parsed else {
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
    private let maxDepth: Int
    private var depth = 0
    private(set) var tooDeep = false
    private(set) var declaresEntities = false

    init(maxDepth: Int) {
        self.maxDepth = maxDepth
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        depth += 1
        if depth > maxDepth {
            tooDeep = true
            parser.abortParsing()
            return
        }
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
        depth -= 1
        switch name {
        case "w:t": inText = false
        case "w:p":
            if let p = current { paragraphs.append(p) }
            current = nil
        default: break
        }
    }

    // Second line of defence behind the byte check for a DTD: any entity declaration stops the parse.
    func parser(_ parser: XMLParser, foundInternalEntityDeclarationWithName name: String, value: String?) {
        declaresEntities = true
        parser.abortParsing()
    }

    func parser(_ parser: XMLParser, foundExternalEntityDeclarationWithName name: String, publicID: String?, systemID: String?) {
        declaresEntities = true
        parser.abortParsing()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { current?.text += string }
    }
}
