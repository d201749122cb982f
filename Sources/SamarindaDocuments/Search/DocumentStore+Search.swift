import Crypto
import Foundation
import SamarindaCore

extension DocumentStore {
    /// Finds the chunks `principal` may see that best match `query`, best first.
    ///
    /// The query goes through the same Indonesian analyzer as the documents, so "mengajukan
    /// permohonan" finds "pengajuan ... dimohon". Ranking is FTS5's BM25 over the analyzed text;
    /// with an embedding service, the cosine top-k is fused with it by reciprocal rank fusion.
    /// The access filter (collections, classification) sits in the SQL of both. `grant` narrows
    /// a plugin's search to what it was granted, intersected with the caller's rights.
    /// Every call writes one `docs.search` audit event naming the chunks returned.
    public func search(query: String, principal: Principal, collections: [String]? = nil, limit: Int = 10,
                       grant: DocumentGrant? = nil, requestID: String? = nil) async throws -> [SearchHit] {
        try await searchExplained(query: query, principal: principal, collections: collections, limit: limit, grant: grant, requestID: requestID).hits
    }

    /// `search`, with how the question was understood and how each hit's score was made.
    func searchExplained(query: String, principal: Principal, collections: [String]?, limit: Int,
                         grant: DocumentGrant?, requestID: String?) async throws -> SearchExplanation {
        let started = ContinuousClock.now
        var fields = ["query": audit.contentDigest(query)]
        if let grant { fields["grant"] = grant.holder }
        if let collections, !collections.isEmpty { fields["collections"] = collections.joined(separator: ",") }

        let scope: AccessScope
        do {
            guard query.utf8.count <= 4096 else {
                throw DocumentsError(.invalidInput, "the query is longer than 4096 bytes; ask a shorter question")
            }
            scope = try accessScope(for: principal, grant: grant, requested: collections)
        } catch let e as DocumentsError {
            try await audit.record(AuditEvent(actor: AuditActor(principal), action: "docs.search", target: collections?.joined(separator: ",") ?? "*",
                                              outcome: e.kind == .accessDenied ? .denied(code: e.kind.rawValue) : .error(code: e.kind.rawValue),
                                              durationMicros: micros(since: started), fields: fields, requestID: requestID))
            throw e
        }
        let k = max(1, min(limit, 100))
        var hits: [SearchHit] = []
        var understood = UnderstoodQuery(analysis: analyzer.analyzeQuery(query), corrections: [:], asking: [])
        var ranked: [RankedChunk] = []
        if !scope.isEmpty {
            understood = try understand(query, scope: scope)
            ranked = try await rank(understood, query: query, principal: principal, requestID: requestID, scope: scope, limit: k, fields: &fields)
            hits = try hydrate(ranked.prefix(k).map { ($0.id, $0.score) }, terms: Set(understood.matchTerms), scope: scope)
        }

        fields["chunks"] = hits.map { String($0.chunkID) }.joined(separator: ",")
        fields["documents"] = Array(NSOrderedSet(array: hits.map(\.documentID))).compactMap { ($0 as? Int64).map(String.init) }.joined(separator: ",")
        fields["results"] = String(hits.count)
        try await audit.record(AuditEvent(actor: AuditActor(principal), action: "docs.search", target: collections?.joined(separator: ",") ?? "*",
                                          classification: hits.map(\.classification).max() ?? .biasa,
                                          durationMicros: micros(since: started), fields: fields, requestID: requestID))
        let byID = Dictionary(ranked.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return SearchExplanation(query: understood, hits: hits, ranking: hits.compactMap { byID[$0.chunkID] })
    }

    /// The FTS5 query for analyzed terms and phrases (a unit of several terms matches them in a row):
    /// any unit may match, BM25 rewards chunks matching more and rarer ones. Units are quoted, so
    /// nothing a user types is read as FTS5 syntax.
    static func matchExpression(_ units: [[String]]) -> String {
        units.map { "\"" + $0.joined(separator: " ").replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: " OR ")
    }

    /// How much a phrase the synonym table added weighs against the question's own words.
    static let addedPhraseWeight = 0.5
    /// Re-ranking: score × (1 + titleWeight × title share + headingWeight × heading share) × askedPartFactor
    /// for the part of a service standard asked for (see `boostedByHeadings`).
    public static let titleWeight = 0.5, headingWeight = 0.5, askedPartFactor = 2.0

    /// One candidate chunk with how its score was made (what `docs explain` shows).
    public struct RankedChunk: Sendable, Equatable, Codable {
        public var id: Int64
        /// BM25 (sign flipped), or the reciprocal-rank-fusion score with embeddings.
        public var base: Double
        /// Shares of the question's concepts found in the document's title and in the section heading.
        public var titleShare: Double
        public var sectionShare: Double
        /// Whether the section is the part of a service standard the question asks for.
        public var askedPart: Bool
        public var score: Double
    }

    /// Ranks the chunks in scope for an understood question: BM25 over every term (the question's
    /// own, synonyms, corrections; for a cost question also the words standards use for cost),
    /// fused with embeddings when configured, then re-ranked by titles and headings.
    func rank(_ understood: UnderstoodQuery, query: String, principal: Principal, requestID: String?, scope: AccessScope, limit k: Int,
              fields: inout [String: String]) async throws -> [RankedChunk] {
        let units = Array(understood.matchUnits.prefix(32))
        guard !units.isEmpty || embedder != nil else { return [] }
        // The question's own terms, and for a question that asks what something costs the words
        // standards use for it ("Berapa biaya PBG?" → the retribusi step; matching only, not boosts).
        var own = Array(understood.concepts.flatMap { $0.terms.map { [$0] } }.prefix(32))
        if understood.components.contains(.cost) {
            for t in ServiceComponent.costVocabulary.flatMap(analyzer.terms) where !own.contains([t]) { own.append([t]) }
        }
        let added = units.filter { !own.contains($0) }
        // Enough candidates for the heading boosts to lift a section BM25 alone ranks lower.
        let pool = max(embedder == nil ? k * 3 : k * 4, 40)
        // Phrases the synonym table added count half as much as the question's own words: "SPPT"
        // should find SPPT passages first, not the one that defines it under its long name.
        var scores: [Int64: Double] = [:]
        for (part, weight) in [(own, 1.0), (added, Self.addedPhraseWeight)] where !part.isEmpty {
            for hit in try bm25(units: part, scope: scope, limit: pool) { scores[hit.id, default: 0] += -hit.bm25 * weight }
        }
        let lexical = scores.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(pool).map { (id: $0.key, bm25: -$0.value) }
        var ranked: [(id: Int64, score: Double)] = lexical.map { ($0.id, -$0.bm25) }
        if let embedder {
            do {
                let dense = try await denseTopK(query: query, embedder: embedder, principal: principal, requestID: requestID, scope: scope, limit: k * 4)
                ranked = Self.reciprocalRankFusion([lexical.map(\.id), dense.map(\.id)])
            } catch {
                // Keyword results still answer; the failure is visible in the audit trail.
                fields["embeddings"] = "unavailable: \(error)"
            }
        }
        return try boostedByHeadings(ranked, concepts: understood.concepts, asking: understood.components)
    }

    /// Re-ranks candidates so a passage from a document (or section) *about* the question's words
    /// comes first: BM25 over short chunks alone ranks "KTP-el orang tua" in the akta kelahiran
    /// requirements above the KTP-el standard's own requirements. The score grows by half for a title
    /// naming every concept of the question and by half for such a section heading (scores here are
    /// higher-is-better and positive), and doubles for a section that is the part of a service
    /// standard the question asks for (`asking`: "bagaimana" → Prosedur, "berapa biaya" → Biaya).
    /// A concept is one thing the question names, with its synonyms: "e-KTP" counts once, matched by "KTP-el".
    func boostedByHeadings(_ ranked: [(id: Int64, score: Double)], concepts: [QueryAnalysis.Concept],
                           asking: Set<ServiceComponent> = []) throws -> [RankedChunk] {
        guard !ranked.isEmpty else { return [] }
        guard !concepts.isEmpty || !asking.isEmpty else {
            return ranked.map { RankedChunk(id: $0.id, base: $0.score, titleShare: 0, sectionShare: 0, askedPart: false, score: $0.score) }
        }
        let ids = "[" + ranked.map { String($0.id) }.joined(separator: ",") + "]"
        let headings = try database.read { c in
            try c.query("""
                SELECT c.id, d.title, c.section FROM doc_chunks c JOIN doc_documents d ON d.id = c.document_id
                WHERE c.id IN (SELECT value FROM json_each(?))
                """, [.text(ids)]) { ($0.int64(0), $0.text(1), $0.text(2)) }
        }
        func named(_ words: Set<String>) -> Int { concepts.filter { $0.isNamed(by: words) }.count }
        var overlap: [Int64: (title: Double, section: Double, part: Bool)] = [:]
        let count = Double(max(concepts.count, 1))
        let analyzed = headings.map { (id: $0.0, title: named(Set(analyzer.terms($0.1))), section: $0.2) }
        // The part boost applies only within the documents most about the question's subject (the
        // titles naming the most of its concepts): "berapa biaya PBG" must not lift the Biaya section
        // of the KK standard, nor "syarat pindah datang penduduk" the KTP-el (penduduk) standard's.
        let subject = analyzed.map(\.title).max() ?? 0
        for h in analyzed {
            let part = !asking.isEmpty && subject > 0 && h.title == subject
                && !asking.isDisjoint(with: ServiceComponent.named(byHeading: h.section))
            overlap[h.id] = (Double(h.title) / count, Double(named(Set(analyzer.terms(h.section)))) / count, part)
        }
        return ranked.map { r in
            let o = overlap[r.id] ?? (0, 0, false)
            let score = r.score * (1 + Self.titleWeight * o.title + Self.headingWeight * o.section) * (o.part ? Self.askedPartFactor : 1)
            return RankedChunk(id: r.id, base: r.score, titleShare: o.title, sectionShare: o.section, askedPart: o.part, score: score)
        }.sorted { $0.score > $1.score }
    }

    /// BM25 top-k (lower-is-better, as FTS5's bm25()) among the chunks the scope allows.
    /// `samarinda_bm25` is FTS5's bm25() with the chunk's length taken from the access row (see CSQLite).
    func bm25(units: [[String]], scope: AccessScope, limit: Int) throws -> [(id: Int64, bm25: Double)] {
        let cond = scope.condition(alias: "c")
        // CROSS JOIN keeps FTS5 as the outer loop: the index finds matches, the filter checks each by rowid.
        return try database.read { c in
            try c.query("""
                SELECT doc_chunks_fts.rowid, samarinda_bm25(doc_chunks_fts, c.tokens) AS score
                FROM doc_chunks_fts CROSS JOIN doc_chunk_access c ON c.chunk_id = doc_chunks_fts.rowid
                WHERE doc_chunks_fts MATCH ? AND \(cond.sql)
                ORDER BY score LIMIT ?
                """, [.text(Self.matchExpression(units))] + cond.arguments + [.integer(Int64(limit))]) { ($0.int64(0), $0.double(1)) }
        }
    }

    /// Cosine top-k over the stored vectors of chunks the scope allows (brute force: the city's corpus is small).
    func denseTopK(query: String, embedder: any EmbeddingService, principal: Principal, requestID: String?,
                   scope: AccessScope, limit: Int) async throws -> [(id: Int64, cosine: Float)] {
        // The question itself is the caller's words, sent at the lowest level (redacted for external providers).
        guard let q = try await embedder.embed([query], classification: .biasa, for: principal, requestID: requestID).first else { return [] }
        let unit = VectorMath.normalized(q)
        let cond = scope.condition(alias: "c")
        let rows = try database.read { c in
            try c.query("""
                SELECT e.chunk_id, e.vector FROM doc_embeddings e JOIN doc_chunks c ON c.id = e.chunk_id
                WHERE e.model = ? AND \(cond.sql)
                """, [.text(embedder.modelName)] + cond.arguments) { ($0.int64(0), $0.blob(1)) }
        }
        return rows.map { ($0.0, VectorMath.dot(unit, VectorMath.vector($0.1))) }
            .filter { $0.1.isFinite && $0.1 > 0 }  // unrelated (orthogonal) chunks are not "nearest" answers
            .sorted { $0.1 > $1.1 }
            .prefix(limit).map { (id: $0.0, cosine: $0.1) }
    }

    /// Reciprocal rank fusion (Cormack, Clarke & Büttcher 2009): score = Σ 1 / (60 + rank).
    static func reciprocalRankFusion(_ lists: [[Int64]], k: Double = 60) -> [(id: Int64, score: Double)] {
        var scores: [Int64: Double] = [:]
        for list in lists {
            for (rank, id) in list.enumerated() { scores[id, default: 0] += 1 / (k + Double(rank + 1)) }
        }
        return scores.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Loads titles, sections and text of ranked chunks, re-checking the scope in SQL.
    func hydrate(_ ranked: [(id: Int64, score: Double)], terms: Set<String>, scope: AccessScope) throws -> [SearchHit] {
        guard !ranked.isEmpty else { return [] }
        let cond = scope.condition(alias: "c")
        let ids = "[" + ranked.map { String($0.id) }.joined(separator: ",") + "]"
        let rows = try database.read { c in
            try c.query("""
                SELECT c.id, c.document_id, col.name, d.title, c.section, c.text, c.classification
                FROM doc_chunks c JOIN doc_documents d ON d.id = c.document_id JOIN doc_collections col ON col.id = c.collection_id
                WHERE c.id IN (SELECT value FROM json_each(?)) AND d.status = 'current' AND \(cond.sql)
                """, [.text(ids)] + cond.arguments) { s in
                (s.int64(0), s.int64(1), s.text(2), s.text(3), s.text(4), s.text(5), Classification(rawValue: s.int(6)) ?? .sangatRahasia)
            }
        }
        let byID = Dictionary(rows.map { ($0.0, $0) }, uniquingKeysWith: { a, _ in a })
        return ranked.compactMap { r in
            guard let row = byID[r.id] else { return nil }
            return SearchHit(documentID: row.1, chunkID: row.0, collection: row.2, title: row.3, section: row.4,
                             snippet: snippet(row.5, terms: terms), text: row.5, classification: row.6, score: r.score)
        }
    }

    /// The window of about `width` bytes of `text` holding the most matched words, matches wrapped in `**`.
    public func snippet(_ text: String, terms: Set<String>, width: Int = 240) -> String {
        let tokens = analyzer.tokens(text)
        let matched = tokens.filter { t in analyzer.term(forFolded: t.folded).map(terms.contains) ?? false }
        let utf8 = Array(text.utf8)
        var start = 0
        if let first = matched.first {
            // Slide a window over the matches and keep the one that covers the most.
            var best = (count: 0, start: first.range.lowerBound)
            var j = 0
            for i in matched.indices {
                while j < matched.count, matched[j].range.upperBound - matched[i].range.lowerBound <= width { j += 1 }
                if j - i > best.count { best = (j - i, matched[i].range.lowerBound) }
            }
            start = max(0, best.start - width / 6)
        }
        // Align to word boundaries so no word or UTF-8 sequence is cut.
        while start > 0, start < utf8.count, utf8[start - 1] != 0x20, utf8[start - 1] != 0x0A { start -= 1 }
        var end = min(utf8.count, start + width)
        while end < utf8.count, utf8[end] != 0x20, utf8[end] != 0x0A { end += 1 }
        var out: [UInt8] = start > 0 ? Array("…".utf8) : []
        var cursor = start
        for m in matched where m.range.lowerBound >= start && m.range.upperBound <= end {
            out += utf8[cursor..<m.range.lowerBound]
            out += Array("**".utf8) + utf8[m.range] + Array("**".utf8)
            cursor = m.range.upperBound
        }
        out += utf8[cursor..<end]
        if end < utf8.count { out += Array("…".utf8) }
        return String(decoding: out, as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
    }
}

extension DocumentStore: PassageRetriever {
    /// Passages for `ask` and for chat retrieval: the same access-filtered, audited search.
    public func retrieve(question: String, for principal: Principal, limit: Int, requestID: String?) async throws -> [Passage] {
        try await search(query: question, principal: principal, limit: limit, requestID: requestID).map(\.passage)
    }
}
