import Foundation
import SamarindaCore

/// A question as search understood it: the analyzer's reading (`QueryAnalysis`), spelling
/// corrections made against the index, and the parts of a service standard it asks for.
public struct UnderstoodQuery: Sendable, Equatable, Codable {
    public var analysis: QueryAnalysis
    /// Typed word → the indexed stem it was read as ("persyartan" → "syarat").
    public var corrections: [String: String]
    /// Parts of a service standard asked for ("requirements", "procedure", "cost", …).
    public var asking: [String]

    var components: Set<ServiceComponent> { Set(asking.compactMap(ServiceComponent.init(rawValue:))) }
    public var concepts: [QueryAnalysis.Concept] { analysis.concepts }
    public var matchTerms: [String] { analysis.matchTerms }
    public var matchUnits: [[String]] { analysis.matchUnits }
}

extension DocumentStore {
    /// Shortest word that spelling correction touches: short words are abbreviations more often than typos.
    static let minimumCorrectableLength = 5

    /// Understands `query` for a search within `scope`: normalisation and synonyms (the analyzer),
    /// then spelling correction of words that are neither in the lexicon nor in any chunk the caller
    /// may see (one edit away from a lexicon word that is: "persyartan" → persyaratan → syarat).
    /// Correction looks only at chunks in scope, so it reveals nothing the caller could not find.
    func understand(_ query: String, scope: AccessScope) throws -> UnderstoodQuery {
        var analysis = analyzer.analyzeQuery(query)
        var corrections: [String: String] = [:]
        if !scope.isEmpty, analyzer.everydayLanguage {
            let standardByStem = Dictionary(analysis.words.filter { !$0.stopword && !$0.normalized.contains(" ") }.map { ($0.stem, $0.normalized) },
                                            uniquingKeysWith: { a, _ in a })
            let candidates = analysis.concepts.enumerated().compactMap { n, concept -> (Int, String, String)? in
                guard concept.added.isEmpty, concept.terms.count == 1, let word = standardByStem[concept.terms[0]],
                      word.utf8.count >= Self.minimumCorrectableLength, word.utf8.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }),
                      !analyzer.stemmer.analyze(word).known else { return nil }
                return (n, concept.terms[0], word)
            }
            // Each word's own check stays a scoped count: a term the index lacks costs FTS5 one failed lookup
            // either way, so the vocabulary pays only for the many one-edit candidates below.
            for (n, term, word) in candidates {
                guard try matchCount(term, scope: scope, upTo: 1) == 0 else { continue }
                if let better = try correction(of: word, scope: scope) {
                    analysis.concepts[n] = .init(terms: [better], added: [], reason: "spelling: \(word) → \(better)")
                    corrections[word] = better
                }
            }
        }
        let asking = ServiceComponent.asked(in: analysis.normalizedText).map(\.rawValue).sorted()
        return UnderstoodQuery(analysis: analysis, corrections: corrections, asking: asking)
    }

    /// The stem of the lexicon word one edit (delete, swap, replace, insert) from `word` that the most
    /// chunks in scope hold, if any (Norvig's spelling corrector, with the index as the word counts).
    func correction(of word: String, scope: AccessScope) throws -> String? {
        let letters = Array("abcdefghijklmnopqrstuvwxyz".utf8)
        let w = Array(word.utf8)
        var variants = Set<[UInt8]>()
        for i in 0...w.count {
            if i < w.count { variants.insert(Array(w[..<i] + w[(i + 1)...])) }
            if i + 1 < w.count { var s = w; s.swapAt(i, i + 1); variants.insert(s) }
            for c in letters {
                if i < w.count, w[i] != c { var s = w; s[i] = c; variants.insert(s) }
                variants.insert(Array(w[..<i]) + [c] + Array(w[i...]))
            }
        }
        var stems = Set<String>()
        for v in variants {
            let a = analyzer.stemmer.analyze(String(decoding: v, as: UTF8.self))
            if a.known, a.stem.utf8.count >= 3 { stems.insert(a.stem) }
        }
        var best: (stem: String, count: Int)?
        // Most one-edit variants are lexicon words no chunk holds: only those in the index's vocabulary are counted in scope.
        for stem in try indexedTerms(Array(stems)).sorted() {
            let count = try matchCount(stem, scope: scope, upTo: 50)
            if count > 0, count > (best?.count ?? 0) { best = (stem, count) }
        }
        return best?.stem
    }

    /// Which of `terms` occur anywhere in the index (FTS5's vocabulary, one lookup each inside SQLite, no
    /// ranking, no access filter: used only to skip terms, never to answer).
    func indexedTerms(_ terms: [String]) throws -> Set<String> {
        guard !terms.isEmpty else { return [] }
        let list = String(decoding: try JSONEncoder().encode(terms), as: UTF8.self)
        return Set(try database.read { c in
            try c.query("SELECT term FROM doc_chunks_vocab WHERE term IN (SELECT value FROM json_each(?))", [.text(list)]) { $0.text(0) }
        })
    }

    /// How many chunks in scope hold `term`, counting at most `upTo`.
    func matchCount(_ term: String, scope: AccessScope, upTo: Int) throws -> Int {
        let cond = scope.condition(alias: "c")
        return try database.read { c in
            try c.queryFirst("""
                SELECT count(*) FROM (SELECT 1 FROM doc_chunks_fts CROSS JOIN doc_chunk_access c ON c.chunk_id = doc_chunks_fts.rowid
                WHERE doc_chunks_fts MATCH ? AND \(cond.sql) LIMIT ?)
                """, [.text(Self.matchExpression([[term]]))] + cond.arguments + [.integer(Int64(upTo))]) { $0.int(0) }
        } ?? 0
    }
}
