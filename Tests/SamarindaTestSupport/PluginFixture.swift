import Foundation

/// A small department plugin written into a plugins folder: the fixture the benchmarks
/// (`SamarindaBench`) and the plugin-host fuzzer (`SamarindaFuzz`) start from, so each states only
/// what differs (its tools, its Lua, its capabilities and limits) and the manifest is spelled once.
public struct PluginFixture: Sendable {
    /// One `[[tools]]` entry: callable by everyone (`allowed = ["*"]`), its input an object.
    public struct Tool: Sendable {
        public var name: String
        public var description: String
        public var readOnly: Bool
        /// TOML lines under `[tools.input_schema]` after `type = "object"` (`required`, `properties.x`).
        public var input: String
        /// TOML lines under `[tools.output_schema]` after `type = "object"`; nil for no output schema.
        public var output: String?

        public init(_ name: String, description: String, readOnly: Bool = true, input: String = "", output: String? = nil) {
            self.name = name
            self.description = description
            self.readOnly = readOnly
            self.input = input
            self.output = output
        }

        var toml: String {
            var lines = ["[[tools]]", "name = \"\(name)\"", "description = \"\(description)\"", "read_only = \(readOnly)",
                         "allowed = [\"*\"]", "[tools.input_schema]", "type = \"object\"", input]
            if let output { lines += ["[tools.output_schema]", "type = \"object\"", output] }
            return lines.filter { !$0.isEmpty }.joined(separator: "\n")
        }
    }

    /// `department.name`; the department is the part before the dot.
    public var id: String
    public var name: String
    public var description: String
    public var capabilities: [String]
    /// TOML lines under `[limits]` (`memory_mb = 8`…); empty for the defaults.
    public var limits: String
    public var tools: [Tool]
    /// `main.lua`.
    public var main: String

    public init(id: String, name: String, description: String, capabilities: [String] = [], limits: String = "", tools: [Tool], main: String) {
        self.id = id
        self.name = name
        self.description = description
        self.capabilities = capabilities
        self.limits = limits
        self.tools = tools
        self.main = main
    }

    /// `plugin.toml`.
    public var manifest: String {
        let department = id.split(separator: ".").first.map(String.init) ?? id
        var lines = ["[plugin]", "id = \"\(id)\"", "name = \"\(name)\"", "version = \"1.0.0\"", "department = \"\(department)\"",
                     "description = \"\(description)\"", "host_api = \"^1.0\"",
                     "capabilities = [\(capabilities.map { "\"\($0)\"" }.joined(separator: ", "))]"]
        if !limits.isEmpty { lines += ["[limits]", limits] }
        return (lines + tools.map(\.toml)).joined(separator: "\n") + "\n"
    }

    /// Writes the plugin's folder (`pluginsDir/id`, created if missing) and returns its path.
    @discardableResult
    public func write(into pluginsDir: String) throws -> String {
        let folder = pluginsDir + "/" + id
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try manifest.write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        try main.write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
        return folder
    }
}
