import Foundation
import Testing

/// Issue 16 through the real binary: the commands that end on a module error through `exiting(_:on:)`
/// say it in one line on standard error, print nothing on standard output, and exit with their status
/// (2: the input could not be used; 1: what was checked is not valid).
@Suite struct CLIErrorExitTests {
    /// One `samarinda: …` line on standard error and nothing on standard output.
    func expectOneLine(_ r: CLI.Result, status: Int32, saying text: String, _ command: [String]) {
        #expect(r.status == status, "\(command): \(r.stdout) \(r.stderr)")
        #expect(r.stdout.isEmpty, "\(command): \(r.stdout)")
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 1 && lines.first?.hasPrefix("samarinda: ") == true && r.stderr.contains(text), "\(command): \(r.stderr)")
    }

    @Test func auditCommandsSayAnUnusableExportKeyWitnessOrMonthInOneLineAndExitTwo() throws {
        let cli = try CLI()
        #expect(try cli.run(["keys", "list"]).status == 0, "the platform opens once, so the trail and its key exist")
        let missing = cli.dir.path + "/no-such-export.jsonl"
        let cases: [([String], String)] = [
            (["audit", "verify", "--from-export", missing, "--key", "x"], "is not a verifier key"),
            (["audit", "verify", "--witness", cli.dir.path + "/no-such-checkpoint"], "cannot read the witness checkpoint"),
            (["audit", "report", "--month", "2026-13"], "is not YYYY-MM"),
            (["audit", "report", "--month", "2026-11", "--from-export", missing, "--key", "x"], "is not a verifier key"),
            (["audit", "lookup-key", "--month", "2026-13"], "is not YYYY-MM"),
            (["audit", "digest", "6472014501900003", "--from-export", missing, "--key", "x", "--lookup-key", "y"], "is not a verifier key"),
        ]
        for (command, text) in cases {
            expectOneLine(try cli.run(command), status: 2, saying: text, command)
        }
    }

    @Test func aKeyThatIsNotAnArchiveKeyOrAnArchiveThatIsNotOneSaySoInOneLine() throws {
        let cli = try CLI()
        let key = cli.dir.path + "/backup.key"
        #expect(try cli.run(["backup", "keygen", "--out", key], withConfig: false).status == 0)
        let noKey = ["backup", "verify", cli.dir.path + "/x.sambackup", "--key-file", cli.dir.path + "/no-such.key"]
        expectOneLine(try cli.run(noKey), status: 2, saying: "cannot read the backup key file", noKey)
        let notAnArchive = ["backup", "verify", cli.dir.path + "/x.sambackup", "--key-file", key]
        expectOneLine(try cli.run(notAnArchive), status: 1, saying: "backup NOT valid: ", notAnArchive)
    }

    @Test func pluginRunPrintsALuaErrorsTracebackBelowTheErrorToAnAdminOnly() throws {
        let cli = try CLI()
        let folder = cli.dir.path + "/Plugins/dinkes.rusak"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try """
            [plugin]
            id = "dinkes.rusak"
            name = "Rusak"
            version = "1.0.0"
            department = "dinkes"
            description = "Fails on purpose"
            host_api = "^1.0"
            entry = "main.lua"
            [[tools]]
            name = "gagal"
            handler = "gagal"
            description = "Indexes a missing field"
            classification = "biasa"
            read_only = true
            allowed = ["*"]
            [tools.input_schema]
            type = "object"
            """.write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        try """
            local function dalam(t)
              return t.tidak_ada.juga
            end

            function gagal(args)
              return dalam({})
            end
            """.write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)

        let admin = try cli.run(["plugin", "run", "dinkes.rusak.gagal", "--as", "dinkes:admin"])
        #expect(admin.status == 1 && admin.stdout.isEmpty, "\(admin.stdout) \(admin.stderr)")
        let lines = admin.stderr.split(separator: "\n")
        #expect(lines.first?.hasPrefix("samarinda: plugin_error: dinkes.rusak/main.lua:2: attempt to index a nil value") == true, "\(admin.stderr)")
        #expect(lines.dropFirst().contains("stack traceback:"), "the traceback follows the error, unprefixed: \(admin.stderr)")

        let staff = try cli.run(["plugin", "run", "dinkes.rusak.gagal", "--as", "dinkes:staff"])
        expectOneLine(staff, status: 1, saying: "plugin_error: dinkes.rusak/main.lua:2: attempt to index a nil value", ["plugin", "run", "as staff"])
        #expect(!staff.stderr.contains("stack traceback"), "\(staff.stderr)")
    }
}
