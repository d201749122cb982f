import Foundation
import SamarindaTestSupport
import Testing

/// Issue 25: `samarinda plugin run` reports a plugin's own caller error by its code (as HTTP and MCP
/// do, see PluginCallerErrorTests), exits 1, and the trail keeps no plain text of the arguments.
@Suite struct PluginRunCallerErrorTests {
    @Test func pluginRunReportsThePluginsCodeAndTheTrailHoldsNoArgumentText() throws {
        let cli = try CLI()
        try CallerErrorPlugin.write(into: cli.dir.path + "/Plugins")
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
