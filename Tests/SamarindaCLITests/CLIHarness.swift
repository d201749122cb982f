import Foundation
import SamarindaCore

/// Runs the real `samarinda` binary (built next to the test bundle) as a subprocess.
struct CLI {
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("samarinda")
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    let dir: TemporaryDirectory
    let configPath: String

    /// A fresh data folder and a config file pointing at it; `extra` is appended to the config.
    /// `pluginsDir` and `seedDir` default to an empty plugins folder and no corpus.
    init(extra: String = "", port: Int = 0, pluginsDir: String? = nil, seedDir: String = "") throws {
        dir = try TemporaryDirectory(prefix: "samarinda-cli")
        configPath = dir.path + "/samarinda.toml"
        let config = """
            [server]
            listen = "127.0.0.1:\(port)"
            [storage]
            path = "\(dir.path)/data/samarinda.db"
            [plugins]
            dir = "\(pluginsDir ?? dir.path + "/Plugins")"
            watch_interval_ms = 50
            [documents]
            seed_dir = "\(seedDir)"
            \(extra)
            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    @discardableResult
    func run(_ arguments: [String], withConfig: Bool = true, stdin: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments + (withConfig ? ["--config", configPath] : [])
        process.currentDirectoryURL = dir.url
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Starts `samarinda serve` and waits until /healthz answers.
    func startServer() throws -> (Process, Int) {
        for _ in 0..<5 {
            let port = Int.random(in: 20000...60000)
            let process = Process()
            process.executableURL = Self.binary
            process.arguments = ["serve", "--config", configPath, "--listen", "127.0.0.1:\(port)"]
            process.currentDirectoryURL = dir.url
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<100 {
                if let (status, _) = try? httpGet("http://127.0.0.1:\(port)/healthz"), status == 200 { return (process, port) }
                if !process.isRunning { break }
                usleep(100_000)
            }
            if process.isRunning { process.terminate() }
        }
        throw CLIError(message: "server did not start")
    }
}

struct CLIError: Error { let message: String }

/// A blocking GET over loopback with URLSession-free sockets is overkill; curl is on every machine that builds us.
func httpGet(_ url: String) throws -> (Int, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    process.arguments = ["-s", "-m", "2", "-o", "-", "-w", "\n%{http_code}", url]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard let nl = text.lastIndex(of: "\n"), let code = Int(text[text.index(after: nl)...]) else { throw CLIError(message: "no response") }
    return (code, String(text[..<nl]))
}
