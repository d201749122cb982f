import Foundation
import Testing

/// Issue 25: `samarinda plugin run` reports a plugin's own caller error by its code (as HTTP and MCP
/// do, see PluginCallerErrorTests), exits 1, and the trail keeps no plain text of the arguments.
@Suite struct PluginRunCallerErrorTests {
    @Test func pluginRunReportsThePluginsCodeAndTheTrailHoldsNoArgumentText() throws {
        let cli = try CLI()
        let folder = cli.dir.path + "/Plugins/dinkes.jadwal"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try """
            [plugin]
            id = "dinkes.jadwal"
            name = "Jadwal imunisasi"
            version = "1.0.0"
            department = "dinkes"
            description = "Checks a date for the immunisation schedule"
            host_api = "^1.0"
            entry = "main.lua"
            [[tools]]
            name = "cek_tanggal"
            handler = "cek_tanggal"
            description = "Check a date"
            classification = "biasa"
            read_only = true
            allowed = ["*"]
            [tools.input_schema]
            type = "object"
            required = ["tanggal"]
            properties.tanggal = { type = "string" }
            """.write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        try """
            function cek_tanggal(args)
              if args.tanggal == "2026-02-30" then
                error({code = "invalid_arguments", message = "tanggal " .. args.tanggal .. " tidak ada", field = "tanggal"})
              end
              return {ok = true}
            end
            """.write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
        let bad = try cli.run(["plugin", "run", "dinkes.jadwal.cek_tanggal", "--as", "dinkes:staff", "--args", "{\"tanggal\": \"2026-02-30\"}"])
        #expect(bad.status == 1, "\(bad.stdout) \(bad.stderr)")
        #expect((bad.stdout + bad.stderr).contains("invalid_arguments"), "\(bad.stdout) \(bad.stderr)")
        #expect((bad.stdout + bad.stderr).contains("tanggal 2026-02-30 tidak ada"), "the caller sees the message in full")
        let good = try cli.run(["plugin", "run", "dinkes.jadwal.cek_tanggal", "--as", "dinkes:staff", "--args", "{\"tanggal\": \"2026-03-01\"}"])
        #expect(good.status == 0, "\(good.stderr)")
        let tail = try cli.run(["audit", "tail", "--action", "tool.call", "--json"])
        #expect(tail.stdout.contains("invalid_arguments"), "\(tail.stdout)")
        #expect(!tail.stdout.contains("2026-02-30"), "the trail holds the date in plain text")
    }
}
