import Foundation
import SamarindaCore

/// Measures retrieval against judged questions (Tests/Fixtures/retrieval/questions.txt) and the
/// stemmer against published word → stem pairs (Tests/Fixtures/stemmer/*.tsv). One implementation
/// for the test that asserts the goals and for `Scripts/bench --filter retrieval`.
public enum RetrievalEvaluation {
    /// A passage named so that it survives re-ingesting: the document's file name and the section
    /// heading path search cites ("" for the text before the first heading).
    public struct PassageKey: Hashable, Sendable, CustomStringConvertible {
        public var document: String
        public var section: String
        public var description: String { "\(document)#\(section)" }
    }

    public struct Question: Sendable {
        public var style: String
        public var text: String
        public var relevant: Set<PassageKey>
        public var line: Int
    }

    public struct Scores: Sendable, Codable, Equatable {
        public var questions: Int
        public var recallAt5: Double
        public var mrr: Double
        public var ndcgAt10: Double
    }

    public struct Miss: Sendable {
        public var question: Question
        /// The first five passages search returned.
        public var top: [PassageKey]
    }

    public struct Report: Sendable {
        public var overall: Scores
        public var byStyle: [String: Scores]
        /// Questions with no relevant passage in the top five.
        public var misses: [Miss]
        /// Each question's rank (1-based) of its first relevant passage in the top ten, in file order.
        public var firstRelevantRank: [Int?]
    }

    /// Reads a question file: `style | question | file#section; file#section`, `#` comments.
    public static func loadQuestions(_ path: String) throws -> [Question] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var out: [Question] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 3, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw DocumentsError(.invalidInput, "\(path):\(n + 1): expected 'style | question | file#section; …'")
            }
            var relevant = Set<PassageKey>()
            for item in fields[2].split(separator: ";") {
                let parts = item.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw DocumentsError(.invalidInput, "\(path):\(n + 1): '\(item)' is not file#section")
                }
                relevant.insert(PassageKey(document: parts[0].trimmingCharacters(in: .whitespaces), section: parts[1].trimmingCharacters(in: .whitespaces)))
            }
            guard !relevant.isEmpty else { throw DocumentsError(.invalidInput, "\(path):\(n + 1): no relevant passage") }
            out.append(Question(style: fields[0], text: fields[1], relevant: relevant, line: n + 1))
        }
        return out
    }

    /// Reads word → stem pairs: `word<TAB>stem`, `#` comments, `\n` for a newline inside a word.
    public static func loadPairs(_ path: String) throws -> [(word: String, stem: String)] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap { line in
            if line.hasPrefix("#") || line.trimmingCharacters(in: .whitespaces).isEmpty { return nil }
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count == 2 else { throw DocumentsError(.invalidInput, "\(path): '\(line)' is not word<TAB>stem") }
            return (String(f[0]).replacingOccurrences(of: "\\n", with: "\n"), String(f[1]))
        }
    }

    /// The share of pairs whose word the analyzer stems to the expected stem(s), and the pairs it
    /// disagrees on. The word's stems, all words kept, are joined by spaces and compared in lowercase.
    public static func stemmerAgreement(_ pairs: [(word: String, stem: String)], analyzer: IndonesianAnalyzer)
        -> (agreement: Double, disagreements: [String]) {
        var wrong: [String] = []
        for p in pairs {
            let got = analyzer.stems(p.word).joined(separator: " ")
            if got != p.stem.lowercased() { wrong.append("\(p.word.replacingOccurrences(of: "\n", with: "\\n")) → \(got) (expected \(p.stem))") }
        }
        return (pairs.isEmpty ? 0 : Double(pairs.count - wrong.count) / Double(pairs.count), wrong)
    }

    /// Runs every question through `store.search` as `principal` and scores the rankings.
    /// A section split into several chunks counts once, at its best rank.
    public static func run(_ questions: [Question], store: DocumentStore, principal: Principal) async throws -> Report {
        let documents = Dictionary(try store.list(for: principal).map { ($0.id, $0.sourceName) }, uniquingKeysWith: { a, _ in a })
        var rows: [(style: String, recall: Double, rr: Double, ndcg: Double)] = []
        var misses: [Miss] = []
        var firstRanks: [Int?] = []
        for q in questions {
            let hits = try await store.search(query: q.text, principal: principal, limit: 10)
            var ranked: [PassageKey] = []
            for h in hits {
                let key = PassageKey(document: documents[h.documentID] ?? "?", section: h.section)
                if !ranked.contains(key) { ranked.append(key) }
            }
            let found5 = Set(ranked.prefix(5)).intersection(q.relevant)
            let recall = Double(found5.count) / Double(q.relevant.count)
            let first = ranked.prefix(10).firstIndex(where: q.relevant.contains)
            firstRanks.append(first.map { $0 + 1 })
            let rr = first.map { 1 / Double($0 + 1) } ?? 0
            var dcg = 0.0
            for (i, key) in ranked.prefix(10).enumerated() where q.relevant.contains(key) { dcg += 1 / log2(Double(i + 2)) }
            let ideal = (0..<min(q.relevant.count, 10)).reduce(0.0) { $0 + 1 / log2(Double($1 + 2)) }
            rows.append((q.style, recall, rr, dcg / ideal))
            if found5.isEmpty { misses.append(Miss(question: q, top: Array(ranked.prefix(5)))) }
        }
        func scores(_ r: [(style: String, recall: Double, rr: Double, ndcg: Double)]) -> Scores {
            let n = Double(max(r.count, 1))
            return Scores(questions: r.count, recallAt5: r.map(\.recall).reduce(0, +) / n,
                          mrr: r.map(\.rr).reduce(0, +) / n, ndcgAt10: r.map(\.ndcg).reduce(0, +) / n)
        }
        let styles = Dictionary(grouping: rows, by: \.style).mapValues(scores)
        return Report(overall: scores(rows), byStyle: styles, misses: misses, firstRelevantRank: firstRanks)
    }
}
