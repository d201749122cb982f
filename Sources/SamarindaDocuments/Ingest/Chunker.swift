/// One piece of a document as indexed and cited.
public struct Chunk: Sendable, Equatable {
    /// Heading path, outermost first, e.g. "BAB II > Pasal 5"; empty before the first heading.
    public var section: String
    public var text: String
}

/// Splits extracted text into chunks of about `chunkChars`, overlapping by `overlapChars`.
///
/// Structure first: a chunk never spans two sections, so each chunk has one section path to
/// cite, and begins with its section's heading line so that the heading's words are searchable
/// with the text under it. Within a long section, chunks break at paragraph, then sentence,
/// then word boundaries. Sizes are counted in UTF-8 bytes, which for Indonesian text is the
/// character count but much cheaper to compute.
public struct Chunker: Sendable {
    public var chunkChars: Int
    public var overlapChars: Int

    public init(chunkChars: Int, overlapChars: Int) {
        self.chunkChars = max(100, chunkChars)
        self.overlapChars = max(0, min(overlapChars, self.chunkChars / 2))
    }

    public func chunks(_ extracted: ExtractedText) -> [Chunk] {
        var out: [Chunk] = []
        var path: [(level: Int, label: String)] = []
        var headingLine = ""
        var body: [String] = []

        func flush() {
            guard !body.isEmpty else { return }
            let section = path.map(\.label).joined(separator: " > ")
            for piece in split(body, headingLine: headingLine) {
                out.append(Chunk(section: section, text: piece))
            }
            body.removeAll()
        }

        for block in extracted.blocks {
            switch block {
            case .heading(let level, let label, let text):
                flush()
                headingLine = text
                // The document's own title heading is already in every citation: keep it out of section paths.
                if path.isEmpty, level == 1, text == extracted.title { continue }
                path.removeAll { $0.level >= level }
                path.append((level, label))
            case .paragraph(let text):
                body.append(text)
            }
        }
        flush()
        // A document made only of headings still gets indexed.
        if out.isEmpty {
            let all = extracted.blocks.map { b -> String in
                switch b { case .heading(_, _, let t), .paragraph(let t): t }
            }.joined(separator: "\n")
            if !all.isEmpty { out = split([all], headingLine: "").map { Chunk(section: "", text: $0) } }
        }
        return out
    }

    /// Packs paragraphs (broken into sentences or words when too long) into chunks with overlap.
    private func split(_ paragraphs: [String], headingLine: String) -> [String] {
        let prefix = headingLine.isEmpty ? "" : headingLine + "\n"
        let budget = max(50, chunkChars - prefix.utf8.count)
        var units: [String] = []
        for p in paragraphs {
            if p.utf8.count <= budget { units.append(p); continue }
            units += pieces(of: p, maxBytes: budget)
        }
        var chunks: [String] = []
        var current = ""
        var currentBytes = 0
        var currentHasNew = false
        for unit in units {
            let n = unit.utf8.count
            if currentHasNew, currentBytes + n + 1 > budget {
                chunks.append(prefix + current)
                // Overlap as much as fits beside the next unit, so no chunk exceeds the budget.
                let tail = overlapTail(current, maxBytes: min(overlapChars, budget - n - 1))
                current = tail
                currentBytes = tail.utf8.count
                currentHasNew = false
            }
            if !current.isEmpty { current += "\n"; currentBytes += 1 }
            current += unit
            currentBytes += n
            currentHasNew = true
        }
        if currentHasNew { chunks.append(prefix + current) }
        return chunks
    }

    /// The last `maxBytes` (at most) of a chunk, starting at a word boundary.
    private func overlapTail(_ text: String, maxBytes: Int) -> String {
        guard maxBytes > 0 else { return "" }
        let utf8 = text.utf8
        guard utf8.count > maxBytes else { return text }
        var start = utf8.index(utf8.endIndex, offsetBy: -maxBytes)
        while start < utf8.endIndex, utf8[start] != 0x20, utf8[start] != 0x0A { start = utf8.index(after: start) }
        guard start < utf8.endIndex else { return "" }
        return String(text[start...]).trimmingCharacters(in: [" ", "\n"])
    }

    /// Breaks a long paragraph at sentence ends, and sentences longer than `maxBytes` at spaces.
    private func pieces(of paragraph: String, maxBytes: Int) -> [String] {
        var sentences: [Substring] = []
        var start = paragraph.startIndex
        var i = paragraph.startIndex
        while i < paragraph.endIndex {
            let c = paragraph[i]
            let next = paragraph.index(after: i)
            if (c == "." || c == "?" || c == "!" || c == ";"), next == paragraph.endIndex || paragraph[next] == " " || paragraph[next] == "\n" {
                sentences.append(paragraph[start..<next])
                start = next
            }
            i = next
        }
        if start < paragraph.endIndex { sentences.append(paragraph[start...]) }

        var out: [String] = []
        var current = ""
        for s in sentences {
            let sentence = s.trimmingCharacters(in: .whitespaces)
            if sentence.isEmpty { continue }
            if sentence.utf8.count > maxBytes {
                if !current.isEmpty { out.append(current); current = "" }
                var line = ""
                for word in sentence.split(separator: " ") {
                    if !line.isEmpty, line.utf8.count + word.utf8.count + 1 > maxBytes { out.append(line); line = "" }
                    // A single "word" longer than the budget (a hash, a URL) is cut by bytes at a character boundary.
                    if word.utf8.count > maxBytes {
                        var rest = Substring(word)
                        while !rest.isEmpty {
                            var cut = rest.utf8.index(rest.utf8.startIndex, offsetBy: min(maxBytes, rest.utf8.count))
                            // Step back off UTF-8 continuation bytes (10xxxxxx) so no character is cut in two.
                            while cut > rest.utf8.startIndex, cut < rest.utf8.endIndex, rest.utf8[cut] & 0xC0 == 0x80 { cut = rest.utf8.index(before: cut) }
                            if cut == rest.utf8.startIndex { cut = rest.endIndex }
                            let head = String(rest[..<cut])
                            out.append(head)
                            rest = rest[cut...]
                        }
                        continue
                    }
                    line += line.isEmpty ? String(word) : " " + word
                }
                if !line.isEmpty { current = line }
                continue
            }
            if !current.isEmpty, current.utf8.count + sentence.utf8.count + 1 > maxBytes {
                out.append(current)
                current = ""
            }
            current += current.isEmpty ? sentence : " " + sentence
        }
        if !current.isEmpty { out.append(current) }
        return out
    }
}
