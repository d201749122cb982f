import Foundation
import SamarindaCore

/// The outside world for the function-calling tests: an OpenAI-compatible model on loopback that,
/// when offered tools, calls the one named in its URL path with the given arguments, and once it
/// sees the tool's result answers with it: Tests/Fixtures/scripted_model.py (Python stdlib) as a subprocess.
final class ScriptedModel: @unchecked Sendable {
    let port: Int
    private let process: Process
    private let dir: TemporaryDirectory
    /// The model's stdin: it exits when this closes, so it never outlives the test process.
    private let lifeline = Pipe()

    init() throws {
        dir = try TemporaryDirectory(prefix: "scripted-model")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/scripted_model.py").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", script, "--exit-with-stdin"]
        let out = Pipe()
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
        port = Int(String(decoding: line, as: UTF8.self)) ?? 0
    }

    deinit { process.terminate() }

    /// Base URL of a model that calls `function` with `arguments` (JSON text).
    func baseURL(calling function: String, arguments: String) -> String {
        let encoded = Data(arguments.utf8).base64EncodedString().replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "+", with: "-")
        return "http://127.0.0.1:\(port)/\(function)/\(encoded)/v1"
    }
}
