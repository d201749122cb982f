import Foundation
import SamarindaCore
import SamarindaRuntime
import SamarindaDocuments

/// Benchmarks of SamarindaDocuments (see Harness.swift).
let documentBenchmarks: [Benchmark] = [
    Benchmark(name: "documents.ingest") { ctx in
        // Plain text in the shape of a regulation: Pasal headings over paragraphs of Indonesian words.
        let megabytes = ctx.quick ? 2 : 8
        var synthetic = SyntheticIndonesian(seed: 7)
        let text = synthetic.regulation(bytes: megabytes * 1_048_576)
        let path = ctx.scratch + "/perda.txt"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let database = try Database(path: ctx.scratch + "/ingest.db", options: .init(synchronousFull: false))
        try database.migrate([DocumentStore.migrations])
        let store = DocumentStore(database: database, config: DocumentsConfig(), audit: MemoryAuditSink(), policy: Policy())
        var summary = IngestSummary()
        let s = try await seconds {
            summary = try await store.ingest(paths: [path], collection: "bench", classification: .biasa, department: "public", by: .system)
        }
        let mbps = Double(text.utf8.count) / 1_048_576 / s
        // Where the time goes: the analyzer alone over the same text.
        let fresh = IndonesianAnalyzer()
        let analyzeSeconds = await seconds { _ = fresh.analyze(text) }
        return [
            Measurement(name: "of which: Indonesian analyzer alone (fresh stem cache)", value: Double(text.utf8.count) / 1_048_576 / analyzeSeconds, unit: "MiB/s"),
            Measurement(name: "ingest plain text (\(megabytes) MiB, \(summary.chunks) chunks, analyze + FTS5 insert, one core)",
                        value: mbps, unit: "MiB/s", goal: "≥ 5 MiB/s", met: mbps >= 5),
        ]
    },
    Benchmark(name: "documents.search") { ctx in
        let chunkCount = ctx.quick ? 20_000 : 100_000
        let database = try Database(path: ctx.scratch + "/search.db", options: .init(synchronousFull: false))
        try database.migrate([DocumentStore.migrations])
        let analyzer = IndonesianAnalyzer()
        var generator = SyntheticIndonesian(seed: 11)
        let departments = ["disdukcapil", "dpmptsp", "bapenda", "dinkes", "diskominfo", "public", "public", "bapenda", "dinkes", "umum"]
        // Setup writes rows directly (same schema, same analyzer) so that 100,000 chunks load in seconds.
        _ = try database.write { c in
            for (i, d) in departments.enumerated() {
                try c.run("INSERT INTO doc_collections (id, name, department, created_at, created_by) VALUES (?,?,?,0,'bench')",
                          [.integer(Int64(i + 1)), .text("koleksi-\(i)"), .text(d)])
            }
            let docs = chunkCount / 20
            for doc in 0..<docs {
                let collection = Int64(doc % departments.count + 1)
                let classification = Int64(doc % 7 == 0 ? 2 : doc % 3 == 0 ? 1 : 0)
                try c.run("""
                    INSERT INTO doc_documents (id, collection_id, source_name, title, format, content_hash, bytes, classification, ingested_by,
                        ingested_at, version, status) VALUES (?,?,?,?, 'txt', '', 0, ?, 'bench', 0, 1, 'current')
                    """, [.integer(Int64(doc + 1)), .integer(collection), .text("d\(doc).txt"), .text("Dokumen \(doc)"), .integer(classification)])
                for n in 0..<20 {
                    let text = generator.paragraph(bytes: 600)
                    try c.run("INSERT INTO doc_chunks (document_id, ordinal, section, text, collection_id, classification) VALUES (?,?,?,?,?,?)",
                              [.integer(Int64(doc + 1)), .integer(Int64(n)), .text("Pasal \(n + 1)"), .text(text), .integer(collection), .integer(classification)])
                    let chunkID = c.lastInsertRowID
                    try c.run("INSERT INTO doc_chunks_fts (rowid, terms) VALUES (?, ?)", [.integer(chunkID), .text(analyzer.analyze(text))])
                    try c.run(DocumentStore.insertAccessSQL,
                              [.integer(chunkID), .integer(collection), .integer(classification)])
                }
            }
            return 0
        }
        let store = DocumentStore(database: database, config: DocumentsConfig(), audit: MemoryAuditSink(), policy: Policy(), analyzer: analyzer)
        let staff = Principal(id: "bench", name: "staf", department: "dinkes", role: .staff, clearance: .terbatas)
        // Queries whose words are all stopwords match nothing in either path; leave them out of the timing.
        var queries: [String] = []
        while queries.count < 200 {
            let q = generator.query()
            if !analyzer.terms(q).isEmpty { queries.append(q) }
        }
        // Warm up caches and prepared statements.
        for q in queries.prefix(20) { _ = try await store.search(query: q, principal: staff, limit: 10) }

        var ours: [Double] = []
        var raw: [Double] = []
        let rawSQL = "SELECT rowid, bm25(doc_chunks_fts) AS score FROM doc_chunks_fts WHERE doc_chunks_fts MATCH ? ORDER BY score LIMIT 10"
        for q in queries {
            // Baseline: the bare FTS5 MATCH on the same table, same analyzed terms, no access filter, no snippets, no audit.
            let terms = Array(Set(analyzer.terms(q)))
            let match = terms.map { "\"\($0)\"" }.joined(separator: " OR ")
            raw.append(try await seconds { _ = try database.read { c in try c.query(rawSQL, [.text(match)]) { $0.int64(0) } } } * 1000)
            ours.append(try await seconds { _ = try await store.search(query: q, principal: staff, limit: 10) } * 1000)
        }
        let p50 = percentile(ours, 50)
        let base = percentile(raw, 50)
        return [
            Measurement(name: "search p50 over \(chunkCount) chunks (analyze, access filter in SQL, BM25, snippets, audit)\(ctx.quick ? " [quick: fewer chunks]" : "")",
                        value: p50, unit: "ms", baseline: base, baselineName: "raw FTS5 MATCH ORDER BY bm25 LIMIT 10",
                        goal: "≤ 10 ms and ≤ 2× raw", met: p50 <= 10 && p50 <= 2 * base),
            Measurement(name: "search p99", value: percentile(ours, 99), unit: "ms", baseline: percentile(raw, 99), baselineName: "raw FTS5 p99"),
        ]
    },
]

/// Deterministic Indonesian-looking text: real roots with real affixes plus generated rare words
/// (names, places, codes), ranked with stopwords first and drawn by Zipf's law (p ∝ 1/rank), the
/// shape of word frequencies in real documents.
struct SyntheticIndonesian {
    private var state: UInt64
    private let words: [String]
    private let cumulative: [Double]

    init(seed: UInt64) {
        state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        let roots = RootWords.all.sorted()
        var forms: [String] = []
        let affixes: [(String, String)] = [("", ""), ("me", "kan"), ("di", "kan"), ("pe", "an"), ("ke", "an"), ("ber", ""), ("", "an"), ("", "nya"), ("ter", "")]
        for (i, r) in roots.enumerated() {
            let (p, s) = affixes[i % affixes.count]
            forms.append(r)
            forms.append(p + r + s)
        }
        var rare: [String] = []
        let syllables = ["ka", "ri", "ma", "tu", "se", "lo", "ba", "ngi", "da", "pu", "we", "ra", "jo", "ta", "ni", "gu"]
        for a in syllables { for b in syllables { for c in syllables { rare.append(a + b + c) } } }
        let stop = ["yang", "dan", "di", "untuk", "dengan", "pada", "dalam", "atau", "ini", "itu", "adalah", "oleh", "dari", "ke", "akan", "tersebut"]
        words = stop + forms.shuffledDeterministically(seed: seed) + rare.shuffledDeterministically(seed: seed &+ 1)
        var sum = 0.0
        cumulative = words.indices.map { r in sum += 1 / Double(r + 1); return sum }
    }

    /// A word drawn with probability ∝ 1/rank.
    private mutating func word() -> String {
        let u = Double(next() % 1_000_000_007) / 1_000_000_007 * cumulative[cumulative.count - 1]
        var lo = 0, hi = cumulative.count - 1
        while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] < u { lo = mid + 1 } else { hi = mid } }
        return words[lo]
    }

    private mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }

    mutating func paragraph(bytes: Int) -> String {
        var s = ""
        var sentence = 0
        while s.utf8.count < bytes {
            let w = word()
            if sentence == 0 { s += w.prefix(1).uppercased() + w.dropFirst() } else { s += " " + w }
            sentence += 1
            if sentence > 12 + Int(next() % 8) { s += ". "; sentence = 0 }
        }
        return s
    }

    mutating func query() -> String {
        (0..<(2 + Int(next() % 3))).map { _ in word() }.joined(separator: " ")
    }

    mutating func regulation(bytes: Int) -> String {
        var s = "PERATURAN DAERAH KOTA SAMARINDA\n\n"
        var pasal = 1
        while s.utf8.count < bytes {
            if pasal % 10 == 1 { s += "BAB \(pasal / 10 + 1)\nKETENTUAN\n\n" }
            s += "Pasal \(pasal)\n"
            for _ in 0..<3 { s += paragraph(bytes: 300) + "\n\n" }
            pasal += 1
        }
        return s
    }
}

extension Array {
    func shuffledDeterministically(seed: UInt64) -> [Element] {
        var copy = self
        var s = seed | 1
        for i in stride(from: copy.count - 1, to: 0, by: -1) {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17
            copy.swapAt(i, Int(s % UInt64(i + 1)))
        }
        return copy
    }
}
