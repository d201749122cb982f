import Foundation
import SamarindaCore
import SamarindaTestSupport

/// The outside world for the function-calling tests: an OpenAI-compatible model on loopback that,
/// when offered tools, calls the one named in its URL path with the given arguments, and once it
/// sees the tool's result answers with it: Tests/Fixtures/scripted_model.py (Python stdlib) as a subprocess.
final class ScriptedModel: @unchecked Sendable {
    private let server: LoopbackScriptServer
    var port: Int { server.port }

    init() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/scripted_model.py").path
        server = try LoopbackScriptServer(scriptPath: script, arguments: ["--exit-with-stdin"])
    }

    /// Base URL of a model that calls `function` with `arguments` (JSON text).
    func baseURL(calling function: String, arguments: String) -> String {
        let encoded = Data(arguments.utf8).base64EncodedString().replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "+", with: "-")
        return "http://127.0.0.1:\(port)/\(function)/\(encoded)/v1"
    }
}
