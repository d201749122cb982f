import Foundation
import Testing

/// `samarinda plugin test DIR` as a developer reads it: each test's log lines right under it, and a
/// failed deep equality naming the first differing path.
@Suite struct PluginTestOutputTests {
    @Test func logLinesFollowTheirTestAndFailuresNameThePath() throws {
        let cli = try CLI()
        let folder = cli.dir.path + "/Plugins/dinkes.urut"
        try FileManager.default.createDirectory(atPath: folder + "/tests", withIntermediateDirectories: true)
        try """
        [plugin]
        id = "dinkes.urut"
        name = "Urut"
        version = "1.0.0"
        department = "dinkes"
        description = "orders"
        host_api = "^1.0"
        [[tools]]
        name = "daftar"
        description = "list"
        allowed = ["dinkes"]
        [tools.input_schema]
        type = "object"
        """.write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        try "return { daftar = function() return { items = { { nama = 'A' }, { nama = 'B' } } } end }"
            .write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
        try """
        test("pertama", function() print("log pertama") end)
        test("kedua", function()
          print("log kedua")
          assert_eq(call_tool("daftar", {}), { items = { { nama = "A" }, { nama = "A" } } })
        end)
        test("ketiga", function() print("log ketiga") end)
        """.write(toFile: folder + "/tests/urut_test.lua", atomically: true, encoding: .utf8)
        let r = try cli.run(["plugin", "test", folder])
        #expect(r.status == 1, "\(r.stdout) \(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        func index(_ prefix: String) -> Int { lines.firstIndex { $0.hasPrefix(prefix) } ?? -1 }
        #expect(index("ok    pertama") >= 0 && index("  log [info] log pertama") == index("ok    pertama") + 1, "\(lines)")
        #expect(index("FAIL  kedua") >= 0 && index("  log [info] log kedua") == index("FAIL  kedua") + 1, "\(lines)")
        #expect(index("ok    ketiga") >= 0 && index("  log [info] log ketiga") == index("ok    ketiga") + 1, "\(lines)")
        #expect(r.stdout.contains("actual.items[2].nama: expected \"A\", got \"B\""), "\(r.stdout)")
        #expect(r.stdout.contains("2 passed, 1 failed"))
    }
}
