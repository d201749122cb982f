import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SamarindaCore
import SamarindaRuntime
import SamarindaServer

/// A real service on a loopback port with its own data folder, and a few keys of each role.
final class TestServer: @unchecked Sendable {
    let dir: TemporaryDirectory
    let platform: Platform
    let service: SamarindaService
    private var task: Task<Void, any Error>?
    private(set) var port = 0
    var keys: [String: String] = [:]

    /// The repository's shipped department plugins.
    static let shippedPlugins = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Plugins").path

    init(configText: String = "", withPlugins: Bool = false, extensions: [any ServiceExtension] = []) async throws {
        dir = try TemporaryDirectory(prefix: "samarinda-server")
        let text = """
            [storage]
            path = "\(dir.path)/data/samarinda.db"
            synchronous = "normal"
            [plugins]
            dir = "\(withPlugins ? Self.shippedPlugins : dir.path + "/Plugins")"
            [documents]
            seed_dir = ""
            \(configText)
            """
        let config = try SamarindaConfig.parse(text, file: "test.toml")
        platform = try await Platform.open(config: config)
        service = SamarindaService(platform: platform, extensions: extensions)
        for (name, department, role) in [("admin", "diskominfo", Role.admin), ("staff-dinkes", "dinkes", .staff),
                                         ("staff-bapenda", "bapenda", .staff), ("deptadmin-bapenda", "bapenda", .deptAdmin),
                                         ("auditor", "inspektorat", .auditor), ("service-dinkes", "dinkes", .service)] {
            keys[name] = try await platform.keys.create(name: name, department: department, role: role).key
        }
        await platform.plugins.start()
        (port, task) = await service.startInBackground()
    }

    func stop() async {
        task?.cancel()
        _ = try? await task?.value
        platform.plugins.stop()
        try? await platform.close()
    }

    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    }

    func request(_ method: String, _ path: String, key: String? = nil, json: Any? = nil, body: Data? = nil,
                 headers: [String: String] = [:]) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 30
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let body { request.httpBody = body }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (k, v) in http.allHeaderFields { fields[String(describing: k).lowercased()] = String(describing: v) }
        return Reply(status: http.statusCode, headers: fields, body: data)
    }

    func key(_ name: String) -> String { keys[name]! }
}

/// An audit event as the tests look at it.
struct SeenEvent {
    let action: String
    let keyID: String?
    let outcome: String
    let target: String
    let fields: [String: String]
    let requestID: String?
    let raw: String
}

extension TestServer {
    /// The audit events written so far with this action.
    func auditEvents(action: String) async throws -> [SeenEvent] {
        try platform.auditLog.tail(limit: 10_000, action: action).map(\.event).map {
            SeenEvent(action: $0.action, keyID: $0.actor.keyID, outcome: $0.outcome.name, target: $0.target, fields: $0.fields,
                      requestID: $0.requestID, raw: "\($0)")
        }
    }
}
