import Foundation

/// The outside world in tests: a Python script (stdlib only) run as a server on loopback. The
/// script prints its port as its first line of output and exits when its stdin closes. Its stdin
/// is held by this object, so it closes with the test process, even one that crashed: test
/// children inherit an ignored SIGTERM, so `terminate()` alone could leave them running.
public final class LoopbackScriptServer: Sendable {
    public let port: Int
    private let process: Process
    /// The script's stdin; the script exits when it closes.
    private let lifeline: Pipe

    /// Runs the script at `path` with `arguments` and waits for the port it prints.
    public init(scriptPath path: String, arguments: [String] = []) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", path] + arguments
        let out = Pipe()
        lifeline = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = lifeline
        try process.run()
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)) ?? 0
    }

    /// Writes `source` to a temporary file and runs it (the file may go once Python has read it).
    public convenience init(source: String, arguments: [String] = []) throws {
        let path = NSTemporaryDirectory() + "/samarinda-test-server-\(UUID().uuidString).py"
        try source.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try self.init(scriptPath: path, arguments: arguments)
    }

    deinit { process.terminate() }
}
