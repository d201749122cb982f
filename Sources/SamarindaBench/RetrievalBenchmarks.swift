import Foundation
import SamarindaCore
import SamarindaRuntime
import SamarindaDocuments

/// Retrieval quality (issue 22): the stemmer's agreement with Sastrawi's published test pairs and
/// with our government word list, and recall@5, MRR and nDCG@10 on the judged questions over the
/// starter corpus, overall and per way of asking. Each figure beside its "before": the stemmer with
/// our own small lexicon only, and search without everyday-language reading or synonyms.
/// Reads Corpus/ and Tests/Fixtures/ from the package root (Scripts/bench runs there).
let retrievalBenchmarks: [Benchmark] = [
    Benchmark(name: "retrieval.stemmer") { _ in
        let before = IndonesianAnalyzer(stemmer: IndonesianStemmer(roots: RootWords.all, bareRoots: []))
        let after = IndonesianAnalyzer()
        var out: [Measurement] = []
        for (file, label, goal) in [("sastrawi-pairs.tsv", "Sastrawi's published test pairs", 0.90), ("government-words.tsv", "government word list", 0.98)] {
            let pairs = try RetrievalEvaluation.loadPairs("Tests/Fixtures/stemmer/" + file)
            let a = RetrievalEvaluation.stemmerAgreement(pairs, analyzer: after).agreement * 100
            let b = RetrievalEvaluation.stemmerAgreement(pairs, analyzer: before).agreement * 100
            out.append(Measurement(name: "stemmer agreement, \(label) (\(pairs.count) pairs)", value: a, unit: "%",
                                   baseline: b, baselineName: "own lexicon only", goal: "≥ \(Int(goal * 100)) %", met: a >= goal * 100))
        }
        return out
    },
    Benchmark(name: "retrieval.quality") { ctx in
        let questions = try RetrievalEvaluation.loadQuestions("Tests/Fixtures/retrieval/questions.txt")
        let admin = Principal(id: "bench", name: "bench", department: "diskominfo", role: .admin, clearance: .sangatRahasia)
        func report(_ analyzer: IndonesianAnalyzer, _ name: String) async throws -> RetrievalEvaluation.Report {
            let database = try Database(path: ctx.scratch + "/\(name).db", options: .init(synchronousFull: false))
            try database.migrate([DocumentStore.migrations])
            let store = DocumentStore(database: database, config: DocumentsConfig(), audit: MemoryAuditSink(), policy: Policy(), analyzer: analyzer)
            _ = try await store.seed(from: "Corpus")
            return try await RetrievalEvaluation.run(questions, store: store, principal: admin)
        }
        let plain = IndonesianAnalyzer(stemmer: IndonesianStemmer(roots: RootWords.all, bareRoots: []), everydayLanguage: false)
        let full = IndonesianAnalyzer()
        full.setSynonyms(try SynonymTable.load(files: ["Corpus/synonyms.toml"]))
        let before = try await report(plain, "before")
        let after = try await report(full, "after")
        let formal = after.byStyle["formal"]
        var out: [Measurement] = [
            Measurement(name: "recall@5, \(questions.count) questions", value: after.overall.recallAt5, unit: "",
                        baseline: before.overall.recallAt5, baselineName: "before", goal: "≥ 0.9", met: after.overall.recallAt5 >= 0.9),
            Measurement(name: "MRR", value: after.overall.mrr, unit: "", baseline: before.overall.mrr, baselineName: "before",
                        goal: "≥ 0.75", met: after.overall.mrr >= 0.75),
            Measurement(name: "nDCG@10", value: after.overall.ndcgAt10, unit: "", baseline: before.overall.ndcgAt10, baselineName: "before"),
        ]
        for style in after.byStyle.keys.sorted() {
            guard let s = after.byStyle[style], let b = before.byStyle[style] else { continue }
            let gap = ["informal", "abbreviated"].contains(style) ? formal.map { s.recallAt5 >= $0.recallAt5 - 0.05 && s.mrr >= $0.mrr - 0.05 } : nil
            out.append(Measurement(name: "\(style) (\(s.questions)): recall@5", value: s.recallAt5, unit: "", baseline: b.recallAt5, baselineName: "before",
                                   goal: gap == nil ? nil : "within 5 points of formal", met: gap))
            out.append(Measurement(name: "\(style): MRR", value: s.mrr, unit: "", baseline: b.mrr, baselineName: "before"))
            out.append(Measurement(name: "\(style): nDCG@10", value: s.ndcgAt10, unit: "", baseline: b.ndcgAt10, baselineName: "before"))
        }
        // What each change did to single questions: those now ranked worse than before, then the misses.
        for (n, q) in questions.enumerated() {
            let (b, a) = (before.firstRelevantRank[n] ?? 11, after.firstRelevantRank[n] ?? 11)
            if a > b { print("  worse than before: \(q.style) | \(q.text): rank \(b > 10 ? "-" : String(b)) → \(a > 10 ? "-" : String(a))") }
            if ProcessInfo.processInfo.environment["RETRIEVAL_VERBOSE"] != nil, a > 1 { print("  ranked \(a > 10 ? "-" : String(a)): \(q.style) | \(q.text)") }
        }
        for miss in after.misses {
            print("  miss: \(miss.question.style) | \(miss.question.text) → \(miss.top.map(\.description).joined(separator: ", "))")
        }
        return out
    },
]
