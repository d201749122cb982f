import Foundation
import Testing

/// Issue 25: a counter kept by a plugin is never lost, whether the increments come from one running
/// service or from `samarinda plugin run` processes beside it on the same data folder.
@Suite struct CounterAcrossProcessesTests {
    static let manifest = """
        [plugin]
        id = "dinkes.antrian"
        name = "Nomor antrian"
        version = "1.0.0"
        department = "dinkes"
        description = "Memberi nomor antrian"
        host_api = "^1.0"
        entry = "main.lua"
        capabilities = ["kv"]

        [[tools]]
        name = "ambil"
        handler = "ambil"
        description = "Take the next queue number"
        classification = "biasa"
        read_only = false
        allowed = ["dinkes"]
        [tools.input_schema]
        type = "object"

        [[tools]]
        name = "ubah"
        handler = "ubah"
        description = "Append to the queue list with kv.update"
        classification = "biasa"
        read_only = false
        allowed = ["dinkes"]
        [tools.input_schema]
        type = "object"

        [[tools]]
        name = "lihat"
        handler = "lihat"
        description = "Show the counter and the list's length"
        classification = "biasa"
        read_only = true
        allowed = ["dinkes"]
        [tools.input_schema]
        type = "object"
        """

    static let main = """
        local M = {}
        function M.ambil() return { nomor = samarinda.kv.incr("antrian") } end
        function M.ubah()
          local list = samarinda.kv.update("daftar", function(old) old = old or {}; old[#old + 1] = #old + 1; return old end)
          return { panjang = #list }
        end
        function M.lihat()
          local list = samarinda.kv.get("daftar") or {}
          return { antrian = samarinda.kv.get("antrian") or 0, daftar = #list, urut = table.concat(list, ",") }
        end
        return M
        """

    /// Starts `count` processes at once and waits for all of them, ending any still running after
    /// `limit` seconds (a bound, not a timing assert: a hung run fails the test instead of hanging it).
    static func runAll(_ cli: CLI, _ count: Int, _ arguments: [String], limit: TimeInterval = 240) throws -> [CLI.Result] {
        var running: [(Process, Pipe, Pipe)] = []
        for _ in 0..<count {
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = arguments + ["--config", cli.configPath]
            process.currentDirectoryURL = cli.dir.url
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            running.append((process, out, err))
        }
        return waitAll(running, limit: limit)
    }

    static func waitAll(_ running: [(Process, Pipe, Pipe)], limit: TimeInterval) -> [CLI.Result] {
        let deadline = Date().addingTimeInterval(limit)
        return running.map { process, out, err in
            // Outputs are small, so a finished process never blocks on a full pipe before we read.
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { process.terminate() }
            let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return CLI.Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
        }
    }

    /// 50 POSTs at once from one curl (`--parallel`), answering each one's status as `CODE:<n>`.
    static func startCurl(_ url: String, key: String, count: Int) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "--parallel", "--parallel-immediate", "--parallel-max", String(count), "-m", "200",
                             "-X", "POST", "-H", "Authorization: Bearer \(key)", "-H", "Content-Type: application/json", "-d", "{}",
                             "-w", "\nCODE:%{http_code}\n"] + Array(repeating: url, count: count)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    static func setUp() throws -> (CLI, String) {
        let cli = try CLI()
        let dir = cli.dir.path + "/Plugins/dinkes.antrian"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try manifest.write(toFile: dir + "/plugin.toml", atomically: true, encoding: .utf8)
        try main.write(toFile: dir + "/main.lua", atomically: true, encoding: .utf8)
        let key = try cli.run(["keys", "create", "--name", "puskesmas", "--department", "dinkes", "--role", "staff"])
        #expect(key.status == 0, "\(key.stderr)")
        return (cli, key.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Runs `tool` 30 times as `plugin run` processes and 50 times over HTTP to one service, all at once.
    static func hammer(_ cli: CLI, key: String, tool: String) throws -> (runs: [CLI.Result], codes: [String], stdout: String) {
        let (server, port) = try cli.startServer()
        defer { server.terminate(); server.waitUntilExit() }
        let curl = try startCurl("http://127.0.0.1:\(port)/v1/tools/dinkes.antrian/\(tool)", key: key, count: 50)
        let runs = try runAll(cli, 30, ["plugin", "run", "dinkes.antrian.\(tool)", "--as", "dinkes:staff", "--args", "{}"])
        let http = waitAll([curl], limit: 240)[0]
        let codes = http.stdout.split(separator: "\n").filter { $0.hasPrefix("CODE:") }.map { String($0.dropFirst(5)) }
        return (runs, codes, http.stdout)
    }

    @Test func thirtyPluginRunProcessesAndFiftyHTTPCallsIncrementOneKeyToEighty() throws {
        let (cli, key) = try Self.setUp()
        let (runs, codes, body) = try Self.hammer(cli, key: key, tool: "ambil")
        for r in runs { #expect(r.status == 0 && r.stdout.contains("nomor"), "\(r.stdout) \(r.stderr)") }
        #expect(codes.count == 50 && codes.allSatisfy { $0 == "200" }, "\(body.prefix(2000))")
        let seen = try Self.check(cli)
        #expect(seen["antrian"] as? Int == 80, "\(seen)")
    }

    @Test func thirtyPluginRunProcessesAndFiftyHTTPCallsUpdateOneListToEighty() throws {
        let (cli, key) = try Self.setUp()
        let (runs, codes, body) = try Self.hammer(cli, key: key, tool: "ubah")
        // An update that ran out of its 16 attempts answers conflict (409, exit status 1) and stored
        // nothing; every one that answered success is in the list exactly once.
        let ok = runs.filter { $0.status == 0 }.count + codes.filter { $0 == "200" }.count
        for r in runs where r.status != 0 { #expect(r.stderr.contains("conflict"), "\(r.stdout) \(r.stderr)") }
        #expect(codes.count == 50 && codes.allSatisfy { $0 == "200" || $0 == "409" }, "\(body.prefix(2000))")
        let seen = try Self.check(cli)
        #expect(seen["daftar"] as? Int == ok, "\(seen)")
        #expect(seen["urut"] as? String == (1...max(ok, 1)).map(String.init).joined(separator: ",") || ok == 0)
        #expect(ok > 0, "\(runs.map(\.stderr)) \(codes)")  // how many run out of attempts depends on the load; none is lost
    }

    static func check(_ cli: CLI) throws -> [String: Any] {
        let r = try cli.run(["plugin", "run", "dinkes.antrian.lihat", "--as", "dinkes:staff", "--args", "{}"])
        #expect(r.status == 0, "\(r.stderr)")
        return (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any] ?? [:]
    }
}
