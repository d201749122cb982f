import Foundation
import SamarindaCore
import Testing

/// `samarinda pdp …` and `keys create --role dpo` through the real binary (issue 20).
@Suite struct PdpCLITests {
    static let nik = "6472011508900001"

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }

    @Test func aDPOKeyARequestWithErasureAnIncidentAndItsNoticeFromTheCommandLine() throws {
        let cli = try CLI()
        let key = try cli.run(["keys", "create", "--name", "ppid", "--department", "diskominfo", "--role", "dpo"])
        #expect(key.status == 0, "\(key.stderr)")
        #expect(key.stderr.contains("(dpo, diskominfo"), "\(key.stderr)")
        // The DPO sees no document content through search.
        let keyText = key.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let file = cli.dir.path + "/ba.md"
        try "# Berita acara\n\nPemohon Siti Aminah, NIK \(Self.nik), telah menerima KTP-el.".write(toFile: file, atomically: true, encoding: .utf8)
        let other = cli.dir.path + "/lain.md"
        try "# Register\n\nBerkas 64720115089000011 dipindahkan.".write(toFile: other, atomically: true, encoding: .utf8)
        #expect(try cli.run(["docs", "ingest", file, other, "--collection", "arsip", "--classification", "biasa", "--department", "disdukcapil"]).status == 0)
        let dpoSearch = try cli.run(["docs", "search", "Siti Aminah", "--as", keyText])
        #expect(dpoSearch.status != 0 || !dpoSearch.stdout.contains(Self.nik), "\(dpoSearch.stdout)")

        let access = try cli.run(["pdp", "request", "open", "--subject", "NIK \(Self.nik)", "--json"])
        #expect(access.status == 0, "\(access.stderr)")
        let report = try json(access.stdout)
        #expect((report["counts"] as? [String: Int])?["document_chunk"] == 1, "the look-alike register is not hers: \(report)")
        #expect(report["status"] as? String == "completed")

        let erased = try cli.run(["pdp", "request", "open", "--subject", Self.nik, "--erase"])
        #expect(erased.status == 0, "\(erased.stderr)")
        #expect(erased.stdout.contains("erased"))
        let search = try cli.run(["docs", "search", "Siti Aminah", "--json"])
        #expect(!search.stdout.contains(Self.nik), "\(search.stdout)")
        #expect(try cli.run(["docs", "search", "register berkas"]).stdout.contains("Register"), "the other document stays")

        let list = try cli.run(["pdp", "request", "list"])
        #expect(list.stdout.contains("erase") && list.stdout.contains("access") && !list.stdout.contains(Self.nik), "\(list.stdout)")
        let show = try cli.run(["pdp", "request", "show", "2", "--json"])
        let shown = try json(show.stdout)
        #expect(show.status == 0 && shown["kind"] as? String == "erase")
        #expect(try cli.run(["pdp", "request", "show", "99"]).status == 1)

        #expect(try cli.run(["audit", "verify"]).status == 0)
        let trail = try cli.run(["audit", "tail", "--action", "pdp.erase", "--json"])
        #expect(trail.stdout.contains("request:2"), "\(trail.stdout)")

        let incident = try cli.run(["pdp", "incident", "open", "--description", "Berkas terkirim ke alamat yang salah", "--discovered", "2026-11-29 08:00",
                                    "--measures", "Akses dicabut", "--json"])
        #expect(incident.status == 0, "\(incident.stderr)")
        let id = try #require((try json(incident.stdout))["id"] as? Int)
        let notice = try cli.run(["pdp", "incident", "notice", String(id)])
        #expect(notice.status == 0, "\(notice.stderr)")
        for text in ["Pasal 46", "Data Pribadi yang terungkap", "Upaya penanganan dan pemulihan", "Akses dicabut", "Berkas terkirim ke alamat yang salah",
                     "Lembaga Pelindungan Data Pribadi", "Batas waktu pemberitahuan"] {
            #expect(notice.stdout.contains(text), "\(text)")
        }
        #expect(try cli.run(["pdp", "incident", "list"]).stdout.contains("open"))
    }

    @Test func badArgumentsAreRefusedWithExitTwoAndSayWhatToGive() throws {
        let cli = try CLI()
        let empty = try cli.run(["pdp", "request", "open", "--subject", "ab"])
        #expect(empty.status == 2 && empty.stderr.contains("names no identifier"), "\(empty.stderr)")
        let both = try cli.run(["pdp", "request", "open", "--subject", Self.nik, "--erase", "--restrict"])
        #expect(both.status == 2, "\(both.stderr)")
        let time = try cli.run(["pdp", "incident", "open", "--description", "x", "--discovered", "kemarin"])
        #expect(time.status == 2 && time.stderr.contains("is not a time"), "\(time.stderr)")
        #expect(try cli.run(["pdp", "request", "list"]).stdout.contains("No data subject requests"))
    }

    @Test func aRestrictionIsLiftedFromTheCommandLineAndSearchFindsTheChunkAgain() throws {
        let cli = try CLI()
        let file = cli.dir.path + "/ba.md"
        try "# Berita acara\n\nPemohon Siti Aminah, NIK \(Self.nik), telah menerima KTP-el.".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try cli.run(["docs", "ingest", file, "--collection", "arsip", "--classification", "biasa", "--department", "disdukcapil"]).status == 0)
        #expect(try cli.run(["docs", "search", "Siti Aminah"]).stdout.contains(Self.nik))
        let restricted = try cli.run(["pdp", "request", "open", "--subject", "NIK \(Self.nik)", "--restrict"])
        #expect(restricted.status == 0 && restricted.stdout.contains("restricted"), "\(restricted.stdout) \(restricted.stderr)")
        #expect(!(try cli.run(["docs", "search", "Siti Aminah"]).stdout.contains(Self.nik)), "withheld from search")
        let lifted = try cli.run(["pdp", "request", "lift", "1"])
        #expect(lifted.status == 0 && lifted.stdout.contains("restriction of request #1 lifted") && lifted.stdout.contains("1 document_chunk"), "\(lifted.stdout) \(lifted.stderr)")
        #expect(try cli.run(["docs", "search", "Siti Aminah"]).stdout.contains(Self.nik), "search finds the chunk again")
        let twice = try cli.run(["pdp", "request", "lift", "1"])
        #expect(twice.status == 1 && twice.stderr.contains("already lifted"), "\(twice.stderr)")
        #expect(try cli.run(["pdp", "request", "open", "--subject", Self.nik]).status == 0)
        let access = try cli.run(["pdp", "request", "lift", "2"])
        #expect(access.status == 2 && access.stderr.contains("only a restriction"), "\(access.stderr)")
        let unknown = try cli.run(["pdp", "request", "lift", "9"])
        #expect(unknown.status == 1 && unknown.stderr.contains("no data subject request #9"), "\(unknown.stderr)")
        let shown = try json(try cli.run(["pdp", "request", "show", "1", "--json"]).stdout)
        #expect(shown["lifted_at"] is String)
        let trail = try cli.run(["audit", "tail", "--action", "pdp.restrict.lift", "--json"])
        #expect(trail.stdout.components(separatedBy: "request:1").count == 2, "one lift event: \(trail.stdout)")
        #expect(try cli.run(["audit", "verify"]).status == 0)
    }

    @Test func theRegisterPrintsMarkdownAndJSON() throws {
        let cli = try CLI(extra: "[retention]\nconversations = \"90d\"\n")
        let markdown = try cli.run(["pdp", "register"])
        #expect(markdown.status == 0, "\(markdown.stderr)")
        #expect(markdown.stdout.contains("Catatan kegiatan pemrosesan") && markdown.stdout.contains("90 hari"))
        let json = try cli.run(["pdp", "register", "--json"])
        let object = try self.json(json.stdout)
        #expect(object["conversation_retention"] as? String == "90 hari")
        #expect((object["providers"] as? [[String: Any]])?.first?["name"] as? String == "offline")
    }

    @Test func retentionDryRunListsAndApplyDeletes() throws {
        let cli = try CLI(extra: "[retention]\n[retention.collections]\narsip = \"1d\"\n")
        let file = cli.dir.path + "/a.md"
        try "# A\n\nIsi.".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try cli.run(["docs", "ingest", file, "--collection", "arsip", "--classification", "biasa", "--department", "umum"]).status == 0)
        let dry = try cli.run(["pdp", "retention"])
        #expect(dry.stdout.contains("Nothing is due"), "just ingested: \(dry.stdout)")
        let applied = try cli.run(["pdp", "retention", "--apply", "--json"])
        #expect(applied.status == 0 && applied.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]" || applied.stdout.contains("[]"), "\(applied.stdout)")
    }

    @Test func pluginCheckWarnsAboutPersonalDataWithoutPurposeAndNamesTheLineOfABadBasis() throws {
        let cli = try CLI()
        let folder = cli.dir.path + "/Plugins/dinkes.catatan"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "function catat() return {} end".write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
        func manifest(_ extra: String) -> String {
            """
            [plugin]
            id = "dinkes.catatan"
            name = "Catatan"
            version = "1.0.0"
            department = "dinkes"
            description = "Catatan"
            host_api = "^1.0"
            [[tools]]
            name = "catat"
            description = "Keep a note"
            \(extra)
            [tools.input_schema]
            type = "object"
            """
        }
        try manifest("personal_data = [\"nama\", \"kesehatan\"]").write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        let warned = try cli.run(["plugin", "check", folder])
        #expect(warned.status == 0, "a warning does not stop loading: \(warned.stderr)")
        #expect(warned.stdout.contains("warning: tool catat handles personal data (nama, kesehatan) but declares no purpose"), "\(warned.stdout)")
        try manifest("legal_basis = \"sesuka_hati\"").write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        let bad = try cli.run(["plugin", "check", folder])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("plugin.toml:11") && bad.stderr.contains("legal_basis") && bad.stderr.contains("tugas_publik"), "\(bad.stderr)")
    }
}
