import ArgumentParser
import Foundation
import SamarindaCore
import SamarindaDocuments

extension DocsCommand {
    struct Analyze: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show how search reads text: each word, its standard form and its stem.",
            discussion: """
                Informal spellings and abbreviations are replaced by standard words ("gimana" → "bagaimana",
                "yg" → "yang"); stopwords are marked; the stem is what search matches. Needs no database.
                """)
        @Argument(help: "The text, e.g. \"gimana ngurus KK yg hilang?\".") var text: String
        @Flag(help: "Print a JSON list of objects with token, normalized, stem (and stopword).") var json = false

        func run() async throws {
            let analysis = IndonesianAnalyzer().analyzeQuery(text)
            let words = analysis.words
            if json {
                try printJSON(words)
            } else if words.isEmpty {
                print("No words in \"\(text)\".")
            } else {
                print(analysis.wordTable)
            }
        }
    }

    struct Explain: PlatformCommand {
        static let configuration = CommandConfiguration(
            abstract: "Explain a search: how the question was understood and why the top passages ranked where they did.",
            discussion: """
                Shows the words as read (standard forms, stems), the concepts matched with the synonyms or
                renamed terms added (from [documents] synonyms) and spelling corrections, the part of a
                service standard asked for, then each passage's BM25 score and the title, heading and
                asked-part boosts that make its final score. The search is audited like any other.
                """)
        @OptionGroup var options: ConfigOptions
        @OptionGroup var request: SearchRequest

        func run(on handle: PlatformHandle) async throws {
            try await request.answer(on: handle, { try await $0.explain(query: $1, principal: $2, collections: $3, limit: $4) }) { explanation in
                print(DocsAnalysisText.explanation(explanation, analyzer: handle.platform.documents.analyzer))
            }
        }
    }
}

/// The text form of `docs explain`.
enum DocsAnalysisText {
    static func explanation(_ e: SearchExplanation, analyzer: IndonesianAnalyzer) -> String {
        var lines: [String] = []
        lines.append("Words:")
        lines.append(e.query.analysis.wordTable.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        lines.append("")
        lines.append("Matched as (a passage matches a concept through any of its terms):")
        for (n, c) in e.query.concepts.enumerated() {
            var line = "  \(n + 1). " + c.terms.joined(separator: " ")
            if !c.added.isEmpty { line += "  + " + c.added.map { $0.joined(separator: " ") }.joined(separator: " | ") }
            if let reason = c.reason { line += "   [\(reason)]" }
            lines.append(line)
        }
        if e.query.concepts.isEmpty { lines.append("  (nothing to match: every word is a stopword)") }
        if !e.query.asking.isEmpty {
            lines.append("Asks for: \(e.query.asking.joined(separator: ", ")) (a section with that heading in the best-matching documents gets ×\(DocumentStore.askedPartFactor))")
        }
        lines.append("")
        if e.hits.isEmpty {
            lines.append("No passages you may see match.")
        }
        let matchTerms = Set(e.query.matchTerms)
        for (n, hit) in e.hits.enumerated() {
            let r = n < e.ranking.count ? e.ranking[n] : nil
            lines.append("\(n + 1). \(hit.title)\(hit.section.isEmpty ? "" : " — \(hit.section)")  [doc \(hit.documentID), chunk \(hit.chunkID), \(hit.collection)]")
            if let r {
                lines.append(String(format: "   score %.3f = base %.3f × (1 + %.2f × title %.2f + %.2f × heading %.2f)", r.score, r.base,
                                    DocumentStore.titleWeight, r.titleShare, DocumentStore.headingWeight, r.sectionShare)
                             + (r.askedPart ? String(format: " × %.1f (asked part)", DocumentStore.askedPartFactor) : ""))
            }
            let matched = Set(analyzer.terms(hit.title + " " + hit.text)).intersection(matchTerms).sorted()
            lines.append("   matched terms: \(matched.isEmpty ? "-" : matched.joined(separator: ", "))")
            lines.append("   \(hit.snippet)")
        }
        return lines.joined(separator: "\n")
    }
}
