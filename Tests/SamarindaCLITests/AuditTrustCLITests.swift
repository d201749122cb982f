import Foundation
import SamarindaCore
import SamarindaTestSupport
import Testing

/// Issue 24 through the real binary: the actor behind `--as`, read-only commands that create nothing,
/// verdicts before data with one exit code, plugin loads recorded only when a plugin changed.
@Suite struct AuditTrustCLITests {
    static var osUser: String {
        guard let pw = getpwuid(geteuid()), let n = pw.pointee.pw_name else { return "uid:\(geteuid())" }
        return String(cString: n)
    }

    func tamper(_ cli: CLI, _ statements: [String]) throws {
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sqlite.arguments = ["python3", "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1])\nfor s in sys.argv[2:]: c.execute(s)\nc.commit()",
                            cli.dir.path + "/data/samarinda.db"] + statements
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(sqlite.terminationStatus == 0)
    }

    @Test func readOnlyAuditCommandsInAnEmptyFolderCreateNothing() throws {
        let cli = try CLI()
        for command in [["audit", "key"], ["audit", "verify"], ["audit", "tail"], ["audit", "report", "--month", "2026-11"],
                        ["audit", "checkpoint"], ["audit", "export"], ["audit", "digest", "6472014501900003"]] {
            let r = try cli.run(command)
            #expect(r.status == 2, "\(command): \(r.stdout) \(r.stderr)")
            #expect(r.stderr.contains("nothing was created") || r.stderr.contains("Nothing was created"), "\(command): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: cli.dir.path + "/data"), "no data folder, database or key was created")
    }

    @Test func pluginRunAsNamesTheOSUserAndTheImpersonatedPrincipalAndIsCountedApart() throws {
        let cli = try CLI()
        try CallerErrorPlugin.write(into: cli.dir.path + "/Plugins")
        let run = try cli.run(["plugin", "run", "dinkes.jadwal.cek_tanggal", "--as", "dinkes:staff", "--args", "{\"tanggal\": \"2026-03-01\"}"])
        #expect(run.status == 0, "\(run.stderr)")
        let tail = try cli.run(["audit", "tail", "--action", "tool.call", "--json"])
        #expect(tail.status == 0, "\(tail.stderr)")
        let line = try #require(tail.stdout.split(separator: "\n").first)
        let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(event["principal"] as? String == "operator:\(Self.osUser)" || (event["principal"] as? String)?.hasPrefix("operator:") == true, "\(event)")
        #expect(event["on_behalf_of"] as? String == "dinkes:staff", "\(event)")
        #expect(event["os_user"] as? String == Self.osUser, "\(event)")
        #expect((event["host"] as? String)?.isEmpty == false)
        #expect(event["department"] as? String == "dinkes")
        // Readable tail: verdict first, then the line that says who did it for whom, in WITA.
        let readable = try cli.run(["audit", "tail", "--action", "tool.call"])
        #expect(readable.stdout.hasPrefix("Jejak audit TERVERIFIKASI"), "\(readable.stdout)")
        #expect(readable.stdout.contains("on behalf of dinkes:staff (\(Self.osUser)@") && readable.stdout.contains(" WITA "), "\(readable.stdout)")
        // The monthly report counts it apart from dinkes' own activity.
        let month = String(ISO8601DateFormatter().string(from: Date().addingTimeInterval(8 * 3600)).prefix(7))
        let report = try cli.run(["audit", "report", "--month", month, "--format", "json"])
        #expect(report.status == 0, "\(report.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let own = (json["departments"] as? [[String: Any]] ?? []).first { $0["department"] as? String == "dinkes" }
        let onBehalf = (json["on_behalf"] as? [[String: Any]] ?? []).first { $0["department"] as? String == "dinkes" }
        #expect(own == nil || own?["tool_calls"] as? Int == 0, "\(json)")
        #expect(onBehalf?["tool_calls"] as? Int == 1, "\(json)")
        #expect((json["verification"] as? [String: Any])?["status"] as? String == "verified")
    }

    @Test func alteredFilterColumnsOrDroppedTriggersMakeTailReportAndDoctorWarn() throws {
        let cli = try CLI()
        #expect(try cli.run(["keys", "create", "--name", "a", "--department", "dinkes", "--role", "staff"]).status == 0)
        #expect(try cli.run(["doctor"]).stdout.contains("audit trail: Audit trail verified"))
        try tamper(cli, ["DROP TRIGGER audit_events_no_update"])
        let verify = try cli.run(["audit", "verify"])
        #expect(verify.status == 1 && verify.stdout.isEmpty && verify.stderr.contains("audit_events_no_update"), "\(verify.stdout) \(verify.stderr)")
        let doctorTriggers = try cli.run(["doctor"])
        #expect(doctorTriggers.status == 1 && doctorTriggers.stdout.contains("[FAIL] audit trail"), "\(doctorTriggers.stdout)")
        try tamper(cli, ["UPDATE audit_events SET department = 'bapenda' WHERE seq = 1"])
        let tail = try cli.run(["audit", "tail", "--department", "bapenda"])
        #expect(tail.status == 1 && tail.stdout.hasPrefix("PERINGATAN: Jejak audit GAGAL diverifikasi."), "\(tail.stdout)")
        #expect(tail.stdout.contains("#1, diubah") && tail.stderr.contains("PERINGATAN"), "\(tail.stdout) \(tail.stderr)")
        let report = try cli.run(["audit", "report", "--month", "2026-11"])
        #expect(report.status == 1 && report.stdout.contains("PERINGATAN: jejak audit tidak terverifikasi"), "\(report.stdout)")
        let doctor = try cli.run(["doctor"])
        #expect(doctor.status == 1 && doctor.stdout.contains("[FAIL] audit trail: Audit trail FAILED verification"), "\(doctor.stdout)")
        let english = try cli.run(["audit", "verify", "--lang", "en"])
        #expect(english.status == 1 && english.stderr.contains("The first event that cannot be trusted: #1"), "\(english.stderr)")
    }

    @Test func aBareNIKFindsTheToolCallAndAKeyFingerprintIsPrinted() throws {
        let cli = try CLI()
        try CallerErrorPlugin.write(into: cli.dir.path + "/Plugins")
        // The NIK as one of several fields; the tool ignores it.
        _ = try cli.run(["plugin", "run", "dinkes.jadwal.cek_tanggal", "--as", "dinkes:staff", "--args", "{\"tanggal\": \"2026-03-01\", \"nik\": \"6472014501900003\"}"])
        let found = try cli.run(["audit", "digest", "6472014501900003"])
        #expect(found.status == 0, "\(found.stderr)")
        #expect(found.stderr.contains("tool.call"), "without --json, the NIK still finds the call: \(found.stderr)")
        let key = try cli.run(["audit", "key"])
        let lines = key.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[1].hasPrefix("fingerprint: ") && lines[0].hasPrefix("samarinda.ai/audit+"), "\(key.stdout)")
    }

    @Test func pluginLoadsAreEventsOnlyWhenThePluginChanges() throws {
        let cli = try CLI()
        try CallerErrorPlugin.write(into: cli.dir.path + "/Plugins")
        for _ in 0..<3 {
            #expect(try cli.run(["plugin", "run", "dinkes.jadwal.cek_tanggal", "--as", "dinkes:staff", "--args", "{\"tanggal\": \"2026-03-01\"}"]).status == 0)
        }
        func loads() throws -> Int { try cli.run(["audit", "tail", "--action", "plugin.load", "--json"]).stdout.split(separator: "\n").count }
        #expect(try loads() == 1, "three processes, one plugin, one load event")
        try (CallerErrorPlugin.main + "\n-- edited\n").write(toFile: cli.dir.path + "/Plugins/\(CallerErrorPlugin.id)/main.lua", atomically: true, encoding: .utf8)
        #expect(try cli.run(["plugin", "run", "dinkes.jadwal.cek_tanggal", "--as", "dinkes:staff", "--args", "{\"tanggal\": \"2026-03-01\"}"]).status == 0)
        #expect(try loads() == 2, "an edited source is a new load event")
    }

    @Test func aSinceExportCheckedAgainstAnOlderWitnessSaysSoOnceWithExitOne() throws {
        let cli = try CLI()
        #expect(try cli.run(["keys", "create", "--name", "a", "--department", "dinkes", "--role", "staff"]).status == 0)
        let witness = cli.dir.path + "/old.note"
        #expect(try cli.run(["audit", "checkpoint", "--output", witness]).status == 0)
        let key = String(try cli.run(["audit", "key"]).stdout.split(separator: "\n")[0])
        #expect(try cli.run(["keys", "create", "--name", "c", "--department", "dinkes", "--role", "staff"]).status == 0)  // after the witness, before --since
        Thread.sleep(forTimeInterval: 1.6)
        let since = ISO8601DateFormatter().string(from: Date())
        Thread.sleep(forTimeInterval: 1.1)
        #expect(try cli.run(["keys", "create", "--name", "b", "--department", "dinkes", "--role", "staff"]).status == 0)
        let export = cli.dir.path + "/since.jsonl"
        #expect(try cli.run(["audit", "export", "--since", since, "--output", export]).status == 0)
        let r = try cli.run(["audit", "verify", "--from-export", export, "--key", key, "--witness", witness], withConfig: false)
        #expect(r.status == 1 && r.stdout.isEmpty, "\(r.stdout)")
        #expect(r.stderr.contains("BELUM TERVERIFIKASI SEPENUHNYA") && r.stderr.contains("TIDAK diperiksa"), "\(r.stderr)")
        // The report works from the export alone, off the machine.
        let full = cli.dir.path + "/full.jsonl"
        #expect(try cli.run(["audit", "export", "--output", full]).status == 0)
        let month = String(ISO8601DateFormatter().string(from: Date().addingTimeInterval(8 * 3600)).prefix(7))
        let report = try cli.run(["audit", "report", "--month", month, "--from-export", full, "--key", key], withConfig: false)
        #expect(report.status == 0 && report.stdout.contains("Jejak audit TERVERIFIKASI"), "\(report.stdout) \(report.stderr)")
    }

    @Test func serviceStartAndStopAndKeyListingAreEvents() throws {
        let cli = try CLI()
        #expect(try cli.run(["keys", "list"]).status == 0)
        let (server, _) = try cli.startServer()
        server.terminate()
        server.waitUntilExit()
        let tail = try cli.run(["audit", "tail", "--json"])
        #expect(tail.status == 0, "\(tail.stderr)")
        let events = tail.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let actions = events.compactMap { $0["action"] as? String }
        #expect(actions.contains("key.list"), "\(actions)")
        let start = try #require(events.first { $0["action"] as? String == "service.start" })
        #expect(start["os_user"] as? String == Self.osUser, "who started the service: \(start)")
        #expect(actions.contains("service.stop"), "\(actions)")
        #expect(actions.firstIndex(of: "service.start")! < actions.firstIndex(of: "service.stop")!)
    }
}
