import Foundation
import SamarindaCore
import Testing

/// `samarinda docs analyze` and `docs explain` through the real binary (issue 22).
@Suite struct DocsAnalyzeCLITests {
    static var corpus: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/Corpus"
    }

    @Test func analyzePrintsTokenNormalizedFormAndStem() throws {
        let cli = try CLI()
        let json = try cli.run(["docs", "analyze", "gimana ngurus KK yg hilang?", "--json"], withConfig: false)
        #expect(json.status == 0, "\(json.stderr)")
        let words = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(words.map { $0["token"] as? String } == ["gimana", "ngurus", "KK", "yg", "hilang"])
        #expect(words.map { $0["normalized"] as? String } == ["bagaimana", "mengurus", "kk", "yang", "hilang"])
        #expect(words.map { $0["stem"] as? String } == ["bagaimana", "urus", "kk", "yang", "hilang"])
        let text = try cli.run(["docs", "analyze", "Persyaratan penerbitan akte"], withConfig: false)
        #expect(text.status == 0 && text.stdout.contains("TOKEN") && text.stdout.contains("terbit") && text.stdout.contains("syarat"))
    }

    @Test func explainShowsSynonymsAndScoresAndRefusesABadSynonymFile() throws {
        let cli = try CLI(extra: "synonyms = [\"\(Self.corpus)/synonyms.toml\"]", seedDir: Self.corpus)
        let r = try cli.run(["docs", "explain", "IMB sekarang apa?", "--k", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("renamed: IMB"), "\(r.stdout)")
        #expect(r.stdout.contains("1. Persetujuan Bangunan Gedung (PBG)"), "\(r.stdout)")
        #expect(r.stdout.contains("score ") && r.stdout.contains("base "), "\(r.stdout)")

        let bad = try CLI(extra: "synonyms = [\"rusak.toml\"]")
        try "[[renamed]]\nold = \"IMB\"\n".write(toFile: bad.dir.path + "/rusak.toml", atomically: true, encoding: .utf8)
        let refused = try bad.run(["docs", "explain", "IMB"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("rusak.toml") && refused.stderr.contains("new"), "\(refused.stderr)")
    }
}
