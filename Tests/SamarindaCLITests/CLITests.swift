import Foundation
import Testing
import SamarindaCore

@Suite struct CLITests {
    @Test func versionAndHelpAreForPeople() throws {
        let cli = try CLI()
        let version = try cli.run(["--version"], withConfig: false)
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == SamarindaVersion.current)
        let help = try cli.run(["--help"], withConfig: false)
        #expect(help.status == 0)
        #expect(help.stdout.contains("keys"))
        #expect(help.stdout.contains("doctor"))
        #expect(help.stdout.contains("serve"))
    }

    @Test func unknownCommandsAndBadArgumentsExitTwoWithUsage() throws {
        let cli = try CLI()
        let unknown = try cli.run(["frobnicate"], withConfig: false)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("Usage:"))
        let missing = try cli.run(["keys", "create", "--name", "x"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--department"))
    }

    @Test func keysCreateListRevoke() throws {
        let cli = try CLI()
        let created = try cli.run(["keys", "create", "--name", "loket-1", "--department", "disdukcapil", "--role", "staff"])
        #expect(created.status == 0, "\(created.stderr)")
        let key = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.hasPrefix("smd_"))
        #expect(created.stderr.contains("only time"))
        let id = String(key.split(separator: "_")[1])
        let listed = try cli.run(["keys", "list"])
        #expect(listed.stdout.contains(id))
        #expect(listed.stdout.contains("loket-1"))
        #expect(!listed.stdout.contains(key))
        #expect(try cli.run(["keys", "revoke", id]).status == 0)
        let json = try cli.run(["keys", "list", "--json"])
        let rows = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: String]]
        #expect(rows?.first?["revoked"]?.isEmpty == false)
        let unknown = try cli.run(["keys", "revoke", "ffffffff"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no API key with id"))
        let badRole = try cli.run(["keys", "create", "--name", "x", "--department", "dinkes", "--role", "root"])
        #expect(badRole.status == 2)
        #expect(badRole.stderr.contains("- dept_admin") && badRole.stderr.contains("- dpo"))
    }

    @Test func badConfigNamesFileAndLine() throws {
        let cli = try CLI(extra: "[audit]\ncheckpoint_evry = 5\n")
        let result = try cli.run(["keys", "list"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("samarinda.toml:"))
        #expect(result.stderr.contains("audit.checkpoint_evry: unknown key"))
    }

    @Test func doctorPassesOnAHealthyInstallAndFailsOnACorruptDatabase() throws {
        let cli = try CLI()
        #expect(try cli.run(["keys", "list"]).status == 0)
        let healthy = try cli.run(["doctor"])
        #expect(healthy.status == 0, "\(healthy.stdout)")
        #expect(healthy.stdout.contains("database integrity"))
        #expect(healthy.stdout.contains("liblua5.4"))
        // Fill the database so corruption lands in real pages, then damage it.
        for i in 0..<40 { try cli.run(["keys", "create", "--name", "k\(i)-" + String(repeating: "x", count: 150), "--department", "dinkes", "--role", "staff"]) }
        let path = cli.dir.path + "/data/samarinda.db"
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: 4096)
        handle.write(Data(repeating: 0x5A, count: 4096 * 3))
        try handle.close()
        try? FileManager.default.removeItem(atPath: path + "-wal")
        let broken = try cli.run(["doctor"])
        #expect(broken.status == 1)
        #expect(broken.stdout.contains("FAIL"))
        #expect(broken.stdout.contains("backup"))
    }

    @Test func serveAnswersHealthzAndStopsOnSIGTERM() throws {
        let cli = try CLI()
        let (server, port) = try cli.startServer()
        let (status, body) = try httpGet("http://127.0.0.1:\(port)/healthz")
        #expect(status == 200)
        #expect(body.contains("\"ok\""))
        server.terminate()
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
    }

    /// Tool arguments reach the trail only as a keyed digest: the NIK is not in it, the plain SHA-256
    /// of the arguments is not either, and `audit digest --json` (itself audited) finds the event.
    @Test func auditDigestFindsTheToolCallWithoutTheNIKBeingInTheTrail() throws {
        let cli = try CLI(pluginsDir: Repo.plugins)
        let nik = "6472014501900003"
        let call = try cli.run(["plugin", "run", "disdukcapil.cek-nik.cek_nik", "--as", "disdukcapil:staff", "--args", "{\"nik\": \"\(nik)\"}"])
        #expect(call.status == 0, "\(call.stderr)")
        let tail = try cli.run(["audit", "tail", "--action", "tool.call", "--json"])
        #expect(tail.status == 0 && tail.stdout.contains("tool.call"), "\(tail.stdout) \(tail.stderr)")
        #expect(!tail.stdout.contains(nik))
        #expect(!tail.stdout.contains(Digest.sha256Hex("{\"nik\":\"\(nik)\"}")))
        let digest = try cli.run(["audit", "digest", "--json", "{ \"nik\" : \"\(nik)\" }"])
        #expect(digest.status == 0, "\(digest.stderr)")
        let value = digest.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(value.hasPrefix("hmac-sha256:"))
        #expect(tail.stdout.contains(value), "the digest of the canonical arguments matches the event")
        let lookups = try cli.run(["audit", "tail", "--action", "audit.digest", "--json"])
        #expect(lookups.stdout.contains(value), "looking a value up is itself in the trail")
        let bad = try cli.run(["audit", "digest", "--json", "{nik"])
        #expect(bad.status == 2 && bad.stderr.contains("not valid JSON"), "\(bad.stderr)")
    }

    /// A receipt for one event, checked off the machine with the public key alone; an edited one is refused.
    @Test func auditReceiptIsCheckedWithThePublicKeyAlone() throws {
        let cli = try CLI()
        #expect(try cli.run(["keys", "create", "--name", "loket", "--department", "disdukcapil", "--role", "staff"]).status == 0)
        let key = String(try cli.run(["audit", "key"]).stdout.split(separator: "\n")[0])  // then its fingerprint
        let file = cli.dir.path + "/receipt.json"
        let made = try cli.run(["audit", "receipt", "1", "--output", file])
        #expect(made.status == 0 && made.stdout.contains("written to"), "\(made.stdout) \(made.stderr)")
        let checked = try cli.run(["audit", "check-receipt", file, "--key", key], withConfig: false)
        #expect(checked.status == 0 && checked.stdout.contains("receipt verified: event 1"), "\(checked.stdout) \(checked.stderr)")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "loket", with: "lokeT").write(toFile: file, atomically: true, encoding: .utf8)
        let edited = try cli.run(["audit", "check-receipt", file, "--key", key], withConfig: false)
        #expect(edited.status == 1 && edited.stderr.contains("receipt NOT valid"), "\(edited.stdout) \(edited.stderr)")
        #expect(try cli.run(["audit", "receipt", "999"]).status == 1)
    }
}
