import Foundation
import Testing
import SamarindaCore

@Suite struct ConsoleTests {
    @Test func oneCommandWithDashC() throws {
        let cli = try CLI()
        let help = try cli.run(["console", "-c", "help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("key create"))
        #expect(!help.stdout.contains("\u{1B}["), "no colour when not on a terminal")
        let unknown = try cli.run(["console", "-c", "kyes"])
        #expect(unknown.status == 1)
        #expect(unknown.stdout.contains("unknown command 'kyes'. Did you mean 'keys'?"))
    }

    @Test func commandsFromAPipe() throws {
        let cli = try CLI()
        let result = try cli.run(["console"], stdin: "key create loket disdukcapil staff\nkeys\nkey revoke nothere\nquit\nkeys\n")
        #expect(result.status == 1, "a failed command makes the script fail")
        #expect(result.stdout.contains("smd_"))
        #expect(result.stdout.contains("loket"))
        #expect(result.stdout.contains("no API key with id 'nothere'"))
        #expect(result.stdout.components(separatedBy: "NAME").count == 2, "nothing runs after quit")
    }

    @Test func configMasksSecrets() throws {
        let cli = try CLI(extra: """
            [[providers]]
            name = "offline"
            kind = "offline"
            [[providers]]
            name = "premium"
            kind = "openai"
            base_url = "https://api.example.com/v1"
            api_key_env = "SAMARINDA_TEST_SECRET"
            external = true
            """)
        let result = try cli.run(["console", "-c", "config"])
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("api_key_env = SAMARINDA_TEST_SECRET (NOT SET)"))
    }
}

/// Drives the console on a real pseudo-terminal through tmux (Debian's tmux; Scripts/test installs it).
@Suite(.serialized) struct ConsoleTerminalTests {
    let tmux = "/usr/bin/tmux"
    /// A private tmux server per test run.
    let socket = NSTemporaryDirectory() + "smd-tmux-\(UUID().uuidString.prefix(8))"

    /// Runs tmux through posix_spawn. (Foundation's Process never sees `tmux new-session -d` exit:
    /// the daemonised tmux server inherits the descriptor Process watches.) Output goes through a file.
    func sh(_ args: [String]) throws -> String {
        let outPath = socket + ".out"
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // The tmux server outlives this call: it must not inherit our other descriptors (pipes of
        // other tests' subprocesses), or those would never see end-of-file.
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.compactMap { Int32($0) } ?? []
        for fd in open where fd > 2 && fcntl(fd, F_GETFD) != -1 { posix_spawn_file_actions_addclose(&actions, fd) }
        let argv = ([tmux, "-S", socket] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        guard posix_spawn(&pid, tmux, &actions, nil, argv, environ) == 0 else { throw CLIError(message: "cannot start tmux") }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    }

    func screen(_ session: String, until text: String, timeout: Double = 10) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try sh(["capture-pane", "-p", "-t", session])
            if last.contains(text) { return last }
            usleep(100_000)
        }
        return last
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/bin/tmux")))
    func completionAndHistoryAcrossRestarts() throws {
        let cli = try CLI()
        let session = "smd\(Int.random(in: 1000...9999))"
        let command = "\(CLI.binary.path) console --config \(cli.configPath)"
        _ = try sh(["new-session", "-d", "-s", session, "-x", "160", "-y", "40", "-c", cli.dir.path, command])
        defer { _ = try? sh(["kill-server"]) }
        #expect(try screen(session, until: "samarinda>").contains("Samarinda.ai console"))
        // Tab completes a command name.
        _ = try sh(["send-keys", "-t", session, "con", "Tab"])
        #expect(try screen(session, until: "samarinda> config").contains("samarinda> config"))
        _ = try sh(["send-keys", "-t", session, "Enter"])
        #expect(try screen(session, until: "[storage]").contains("embedded defaults") == false)
        // Tab completes an argument (a role).
        _ = try sh(["send-keys", "-t", session, "key create k1 dinkes sta", "Tab", "Enter"])
        #expect(try screen(session, until: "shown only now").contains("smd_"))
        _ = try sh(["send-keys", "-t", session, "quit", "Enter"])
        usleep(300_000)
        // libedit's history format escapes spaces as \040.
        let history = try String(contentsOfFile: cli.dir.path + "/data/console_history", encoding: .utf8).replacingOccurrences(of: "\\040", with: " ")
        #expect(history.contains("key create k1 dinkes staff"))
        let attributes = try FileManager.default.attributesOfItem(atPath: cli.dir.path + "/data/console_history")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        // A new console recalls the previous session's lines with the Up arrow.
        let second = session + "b"
        _ = try sh(["new-session", "-d", "-s", second, "-x", "160", "-y", "40", "-c", cli.dir.path, command])
        _ = try screen(second, until: "samarinda>")
        _ = try sh(["send-keys", "-t", second, "Up", "Up"])
        #expect(try screen(second, until: "key create k1").contains("samarinda> key create k1 dinkes staff"))
        _ = try sh(["send-keys", "-t", second, "C-u", "quit", "Enter"])
        usleep(300_000)
    }
}

@Suite struct ConsoleAuditTests {
    @Test func auditVerifyMatchesTheCLIVerdictAndExitCode() throws {
        let cli = try CLI()
        try cli.run(["keys", "create", "--name", "a", "--department", "dinkes", "--role", "staff"])
        let console = try cli.run(["console", "-c", "audit verify"])
        let direct = try cli.run(["audit", "verify"])
        #expect(console.status == 0)
        #expect(direct.status == 0)
        #expect(console.stdout.contains("verified"), "\(console.stdout)")
        // Tamper: rewrite one stored event behind the triggers' back, as an attacker with the file would.
        let db = cli.dir.path + "/data/samarinda.db"
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sqlite.arguments = ["python3", "-c", """
            import sqlite3; c = sqlite3.connect('\(db)')
            c.execute('DROP TRIGGER IF EXISTS audit_events_no_update')
            for (name,) in c.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall(): c.execute('DROP TRIGGER ' + name)
            c.execute("UPDATE audit_events SET entry = CAST(replace(CAST(entry AS TEXT), 'key.create', 'key.revoke') AS BLOB) WHERE seq = 1")
            c.commit()
            """]
        try sqlite.run()
        sqlite.waitUntilExit()
        let brokenConsole = try cli.run(["console", "-c", "audit verify"])
        let brokenDirect = try cli.run(["audit", "verify"])
        #expect(brokenDirect.status == 1)
        #expect(brokenConsole.status == brokenDirect.status)
        #expect(brokenConsole.stdout.contains("seq 1") || brokenConsole.stdout.contains("#1"), "\(brokenConsole.stdout)")
    }

    @Test func operatorActionsAreAudited() throws {
        let cli = try CLI()
        try cli.run(["console", "-c", "keys"])
        let tail = try cli.run(["console", "-c", "audit tail 5 --action console.command"])
        #expect(tail.stdout.contains("console.command"))
        #expect(tail.stdout.contains("keys"))
    }
}
