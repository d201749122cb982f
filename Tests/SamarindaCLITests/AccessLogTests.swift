import Foundation
import Testing
import SamarindaCore

@Suite(.serialized) struct AccessLogTests {
    /// `[server] log_format = "json"`: the real binary writes one JSON object per request on stdout.
    @Test func jsonLogFormatWritesOneObjectPerRequestWithIDPrincipalRouteStatusAndDuration() throws {
        let cli = try CLI(extra: "")
        var text = try String(contentsOfFile: cli.configPath, encoding: .utf8)
        text = text.replacingOccurrences(of: "[server]\n", with: "[server]\nlog_format = \"json\"\n")
        try text.write(toFile: cli.configPath, atomically: true, encoding: .utf8)
        let created = try cli.run(["keys", "create", "--name", "log-test", "--department", "dinkes", "--role", "staff"])
        let key = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.hasPrefix("smd_"))
        let port = Int.random(in: 20000...60000)
        let logPath = cli.dir.path + "/stdout.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["serve", "--config", cli.configPath, "--listen", "127.0.0.1:\(port)"]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var up = false
        for _ in 0..<100 where !up {
            if let (status, _) = try? httpGet("http://127.0.0.1:\(port)/healthz"), status == 200 { up = true } else { usleep(100_000) }
        }
        #expect(up)
        _ = try curl(["-H", "Authorization: Bearer \(key)", "http://127.0.0.1:\(port)/v1/models"])
        _ = try curl(["-H", "Authorization: Bearer wrong", "http://127.0.0.1:\(port)/v1/models"])
        process.terminate()
        process.waitUntilExit()
        let lines = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("{") }
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let all = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n")
        #expect(objects.count == all.count && objects.count >= 3, "every line on stdout is one JSON object: \(all)")
        let models = objects.filter { $0["path"] as? String == "/v1/models" }
        let ok = try #require(models.first { $0["status"] as? Int == 200 })
        #expect((ok["principal"] as? String)?.isEmpty == false)
        #expect(ok["department"] as? String == "dinkes" && ok["role"] as? String == "staff")
        #expect((ok["request_id"] as? String)?.count == 16)
        #expect(ok["route"] as? String == "/v1/models")
        #expect(ok["duration_ms"] is Double || ok["duration_ms"] is Int)
        let denied = try #require(models.first { $0["status"] as? Int == 401 })
        #expect(denied["principal"] is NSNull)
    }
}

func curl(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    process.arguments = ["-s", "-m", "5"] + arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
