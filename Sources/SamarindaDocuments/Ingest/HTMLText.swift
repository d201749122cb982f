import Foundation

// A small HTML-to-blocks reader. No HTML parser is in the package mirror (SwiftSoup is not), and
// Foundation's XMLDocument cannot read real-world HTML on Linux. We only need text, h1–h6 and
// block boundaries, which a tag scanner gives reliably: script, style and comments are dropped,
// entities are decoded, and nothing is ever executed or fetched.

enum HTMLText {
    static let blockTags: Set<String> = ["p", "div", "li", "tr", "br", "section", "article", "header", "footer", "table",
                                         "ul", "ol", "blockquote", "pre", "hr", "td", "th", "dd", "dt", "main", "nav", "aside"]

    static func extract(_ html: String) -> ExtractedText {
        var blocks: [ExtractedText.Block] = []
        var title: String?
        var text = ""
        var headingLevel: Int?
        var inTitle = false
        var titleText = ""

        func flushParagraph() {
            let t = collapse(text)
            text = ""
            guard !t.isEmpty else { return }
            if let level = headingLevel {
                if let r = RegulationHeadings.match(t) {
                    blocks.append(.heading(level: r.level, label: r.label, text: t))
                } else {
                    blocks.append(.heading(level: level, label: t, text: t))
                }
            } else if let r = RegulationHeadings.match(t) {
                blocks.append(.heading(level: r.level, label: r.label, text: t))
            } else {
                blocks.append(.paragraph(t))
            }
        }

        var i = html.startIndex
        while i < html.endIndex {
            let c = html[i]
            if c == "<" {
                if html[i...].hasPrefix("<!--") {
                    i = html.range(of: "-->", range: i..<html.endIndex)?.upperBound ?? html.endIndex
                    continue
                }
                guard let close = html[i...].firstIndex(of: ">") else { break }
                let inside = html[html.index(after: i)..<close]
                let closing = inside.hasPrefix("/")
                let name = inside.drop(while: { $0 == "/" }).prefix(while: { $0.isLetter || $0.isNumber }).lowercased()
                i = html.index(after: close)
                if !closing, name == "script" || name == "style" {
                    i = html.range(of: "</\(name)", options: .caseInsensitive, range: i..<html.endIndex)
                        .flatMap { r in html[r.upperBound...].firstIndex(of: ">").map { html.index(after: $0) } } ?? html.endIndex
                    continue
                }
                if name == "title" {
                    inTitle = !closing
                    if closing, title == nil { title = collapse(titleText) }
                    continue
                }
                if name.count == 2, name.hasPrefix("h"), let level = Int(name.dropFirst()), (1...6).contains(level) {
                    flushParagraph()
                    headingLevel = closing ? nil : level
                    continue
                }
                if blockTags.contains(name) {
                    if name == "br" { text += "\n" } else { flushParagraph() }
                }
                continue
            }
            if c == "&", let semi = html[i...].prefix(12).firstIndex(of: ";") {
                let entity = String(html[html.index(after: i)..<semi])
                if let decoded = decodeEntity(entity) {
                    if inTitle { titleText.append(decoded) } else { text.append(decoded) }
                    i = html.index(after: semi)
                    continue
                }
            }
            if inTitle { titleText.append(c) } else { text.append(c) }
            i = html.index(after: i)
        }
        flushParagraph()
        if title == nil || title?.isEmpty == true {
            title = blocks.lazy.compactMap { if case .heading(1, _, let t) = $0 { t } else { nil } }.first
        }
        return ExtractedText(title: title, blocks: blocks)
    }

    static func collapse(_ s: String) -> String {
        s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{A0}" })
            .joined(separator: " ")
    }

    static func decodeEntity(_ e: String) -> String? {
        switch e {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos", "#39": return "'"
        case "nbsp": return " "
        case "ndash": return "–"
        case "mdash": return "—"
        case "hellip": return "…"
        case "laquo": return "«"
        case "raquo": return "»"
        default:
            if e.hasPrefix("#x") || e.hasPrefix("#X"), let v = UInt32(e.dropFirst(2), radix: 16), let s = Unicode.Scalar(v) { return String(s) }
            if e.hasPrefix("#"), let v = UInt32(e.dropFirst()), let s = Unicode.Scalar(v) { return String(s) }
            return nil
        }
    }
}
