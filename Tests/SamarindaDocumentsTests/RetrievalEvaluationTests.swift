import Foundation
import SamarindaCore
import Testing
@testable import SamarindaDocuments

/// The goals of issue 22, asserted on the repository's fixtures: the stemmer's agreement with
/// Sastrawi's published test pairs and with our government word list, and retrieval quality on the
/// judged questions over the starter corpus, overall and for each way of asking.
@Suite struct RetrievalEvaluationTests {
    static var fixtures: String {
        (CorpusTests.corpusPath as NSString).deletingLastPathComponent + "/Tests/Fixtures"
    }

    @Test func stemmerAgreesWithSastrawisPublishedPairs() throws {
        let pairs = try RetrievalEvaluation.loadPairs(Self.fixtures + "/stemmer/sastrawi-pairs.tsv")
        #expect(pairs.count >= 160)
        let result = RetrievalEvaluation.stemmerAgreement(pairs, analyzer: IndonesianAnalyzer())
        #expect(result.agreement >= 0.90, "agreement \(result.agreement): \(result.disagreements.joined(separator: "; "))")
    }

    @Test func stemmerAgreesWithTheGovernmentWordList() throws {
        let pairs = try RetrievalEvaluation.loadPairs(Self.fixtures + "/stemmer/government-words.tsv")
        #expect(pairs.count >= 100)
        let result = RetrievalEvaluation.stemmerAgreement(pairs, analyzer: IndonesianAnalyzer())
        #expect(result.agreement >= 0.98, "agreement \(result.agreement): \(result.disagreements.joined(separator: "; "))")
    }

    @Test func retrievalMeetsItsGoalsForEveryWayOfAsking() async throws {
        let questions = try RetrievalEvaluation.loadQuestions(Self.fixtures + "/retrieval/questions.txt")
        #expect(questions.count >= 150)
        let f = try StoreFixture()
        f.store.analyzer.setSynonyms(try SynonymTable.load(files: [CorpusTests.corpusPath + "/synonyms.toml"]))
        _ = try await f.store.seedIfNeeded(from: CorpusTests.corpusPath)
        // Every judged passage exists: a renamed heading must fail here, not silently lower the scores.
        var keys = Set<RetrievalEvaluation.PassageKey>()
        for d in try f.store.list(for: People.admin) {
            for chunk in try await f.store.document(id: d.id, for: People.admin).chunks {
                keys.insert(RetrievalEvaluation.PassageKey(document: d.sourceName, section: chunk.section))
            }
        }
        for q in questions { for key in q.relevant { #expect(keys.contains(key), "questions.txt:\(q.line): no passage \(key)") } }

        let report = try await RetrievalEvaluation.run(questions, store: f.store, principal: People.admin)
        let misses = report.misses.map { "\($0.question.line): \($0.question.text) → \($0.top.map(\.description).joined(separator: ", "))" }
        #expect(report.overall.recallAt5 >= 0.9, "recall@5 \(report.overall.recallAt5); misses:\n\(misses.joined(separator: "\n"))")
        #expect(report.overall.mrr >= 0.75, "MRR \(report.overall.mrr)")
        let formal = try #require(report.byStyle["formal"])
        for style in ["informal", "abbreviated"] {
            let s = try #require(report.byStyle[style])
            #expect(s.recallAt5 >= formal.recallAt5 - 0.05, "\(style) recall@5 \(s.recallAt5) vs formal \(formal.recallAt5)")
            #expect(s.mrr >= formal.mrr - 0.05, "\(style) MRR \(s.mrr) vs formal \(formal.mrr)")
        }
    }
}
