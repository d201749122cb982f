import Foundation
import SamarindaCore
import SamarindaRuntime
@testable import SamarindaPlugins
import Testing

/// Stand-ins for the outside world the plugin host reaches through `PluginHostServices`:
/// documents, models, PII redaction and HTTP. `delay` makes model and HTTP calls slow on purpose.
struct StandInServices: PluginHostServices {
    var delay: Duration = .zero

    struct NoSuchCollection: Error, CustomStringConvertible {
        let name: String
        var description: String { "no collection named '\(name)' that you may read; see 'samarinda docs list'" }
    }

    /// Each department owns one collection named `<department>-layanan`, as the store would answer.
    func searchDocuments(_ request: PluginSearchRequest) async throws -> [Passage] {
        if !request.collections.isEmpty {
            for name in request.collections where !request.departments.contains(where: { name == "\($0)-layanan" }) { throw NoSuchCollection(name: name) }
            return request.collections.enumerated().map { i, name in
                Passage(documentID: Int64(i + 1), chunkID: 1, collection: name, title: "Dokumen \(name)", section: "",
                        text: "hasil untuk \(request.query)", classification: .biasa, score: 1)
            }
        }
        return request.departments.enumerated().map { i, dept in
            Passage(documentID: Int64(i + 1), chunkID: 1, collection: dept, title: "Dokumen \(dept)", section: "",
                    text: "hasil untuk \(request.query)", classification: dept == "rahasia-dept" ? .rahasia : .biasa, score: 1)
        }
    }
    func document(_ request: PluginDocumentRequest) async throws -> PluginDocument? {
        PluginDocument(id: request.documentID, collection: request.departments.first ?? "", title: "Dokumen", classification: .biasa, text: "isi")
    }
    func generate(_ request: PluginModelRequest) async throws -> PluginModelResponse {
        if delay > .zero { try await Task.sleep(for: delay) }
        return PluginModelResponse(text: "jawaban: " + (request.messages.last?.content ?? ""), model: "stand-in", provider: "stand-in")
    }
    func redact(_ text: String, context: PluginCallContext) async throws -> PluginRedaction {
        PluginRedaction(text: text.replacingOccurrences(of: "3201234567890001", with: "[NIK_1]"), counts: ["nik": 1])
    }
    func http(_ request: PluginHTTPRequest) async throws -> PluginHTTPResponse {
        if delay > .zero { try await Task.sleep(for: delay) }
        return PluginHTTPResponse(status: 200, headers: ["content-type": "text/plain"], body: "\(request.method) \(request.url.absoluteString)")
    }
}

/// A plugins folder in a temporary directory, with a real database and a host over it.
final class PluginLab: @unchecked Sendable {
    let directory: TemporaryDirectory
    let database: Database
    let audit = MemoryAuditSink()
    var config: SamarindaConfig
    private(set) var host: PluginHost!

    init(watchIntervalMillis: Int = 0, configure: (inout SamarindaConfig) -> Void = { _ in }) throws {
        directory = try TemporaryDirectory(prefix: "samarinda-plugins")
        try FileManager.default.createDirectory(atPath: directory.path + "/Plugins", withIntermediateDirectories: true)
        database = try Database(path: directory.path + "/test.db")
        try database.migrate([PluginKV.migrations])
        config = SamarindaConfig()
        config.plugins.dir = directory.path + "/Plugins"
        config.plugins.watch = true
        config.plugins.watchIntervalMillis = watchIntervalMillis
        configure(&config)
    }

    var pluginsDir: String { config.plugins.dir }

    func start(services: any PluginHostServices = StandInServices(), log: PluginLogHandler? = nil) async -> PluginHost {
        host = PluginHost(config: config, services: services, audit: audit, database: database, policy: Policy(), log: log)
        await host.refresh()
        return host
    }

    /// Writes a plugin folder. `tools` is raw TOML for the [[tools]] entries.
    @discardableResult
    func write(id: String, version: String = "1.0.0", capabilities: [String] = [], limits: String = "", tools: String, main: String,
               extraFiles: [String: String] = [:]) throws -> String {
        let folder = pluginsDir + "/" + id
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let dept = String(id.split(separator: ".")[0])
        let caps = capabilities.map { "\"\($0)\"" }.joined(separator: ", ")
        let manifest = """
        [plugin]
        id = "\(id)"
        name = "Test plugin \(id)"
        version = "\(version)"
        department = "\(dept)"
        description = "A plugin written by a test"
        host_api = "^1.0"
        entry = "main.lua"
        capabilities = [\(caps)]
        \(limits.isEmpty ? "" : "[limits]\n" + limits)

        \(tools)
        """
        try manifest.write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        try main.write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
        for (name, text) in extraFiles {
            let path = folder + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return folder
    }

    /// The well-behaved plugin every hostile test runs beside.
    func writeWellBehaved() throws {
        try write(id: "dinkes.baik", tools: Self.tool("halo", schema: #"properties.nama = { type = "string" }"#), main: """
        local M = {}
        function M.halo(args) return { pesan = "halo " .. (args.nama or "dunia") } end
        return M
        """)
    }

    /// A [[tools]] entry open to every department.
    static func tool(_ name: String, classification: String = "biasa", schema: String = "", output: String? = nil) -> String {
        """
        [[tools]]
        name = "\(name)"
        handler = "\(name)"
        description = "tool \(name)"
        classification = "\(classification)"
        read_only = true
        allowed = ["*"]
        [tools.input_schema]
        type = "object"
        \(schema)
        \(output.map { "[tools.output_schema]\n" + $0 } ?? "")
        """
    }

    static let staff = Principal(id: "key:test", name: "petugas", department: "dinkes", role: .staff, clearance: .terbatas)
    static let admin = Principal(id: "key:admin", name: "admin", department: "diskominfo", role: .admin, clearance: .sangatRahasia)

    func call(_ plugin: String, _ tool: String, _ args: JSONValue = [:], as principal: Principal = PluginLab.staff) async -> Result<JSONValue, PluginError> {
        do { return .success(try await host.invoke(plugin: plugin, tool: tool, arguments: args, as: principal, requestID: "test")) } catch {
            return .failure(error)
        }
    }

    /// The well-behaved plugin still answers normally.
    func expectWellBehavedAnswers(sourceLocation: SourceLocation = #_sourceLocation) async {
        let r = await call("dinkes.baik", "halo", ["nama": "Siti"])
        #expect(r == .success(["pesan": "halo Siti"]), sourceLocation: sourceLocation)
    }
}

extension Result where Failure == PluginError {
    var error: PluginError? { if case .failure(let e) = self { return e }; return nil }
    var value: Success? { if case .success(let v) = self { return v }; return nil }
}
