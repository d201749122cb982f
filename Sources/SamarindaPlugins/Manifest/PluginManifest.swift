import Foundation
import SamarindaCore
import TOMLKit

/// The host API version plugins declare compatibility with (`host_api` in plugin.toml).
public let hostAPIVersion = SemanticVersion(1, 0, 0)

/// One tool a plugin offers.
public struct ToolManifest: Sendable {
    public let name: String
    public let handler: String
    public let description: String
    /// The highest classification of data the tool returns; callers need at least this clearance.
    public let classification: Classification
    /// False when the tool changes state: announced to MCP clients as destructive and recorded on each
    /// tool.call event; not enforced, and no approval step (docs/PLUGINS.md).
    public let readOnly: Bool
    /// Departments whose principals may call it; `*` for all.
    public let allowed: [String]
    /// Roles that may call it (`roles = ["staff", "dept_admin"]`); empty: every role that calls tools.
    /// Admins always may. Enforced by the platform's policy, so no plugin checks roles in Lua.
    public let roles: [Role]
    public let inputSchema: JSONSchema
    public let outputSchema: JSONSchema?
    /// Personal data processing (purpose, categories, legal basis, retention), for the record of processing.
    public var processing = ToolProcessing()

    public func allows(department: String) -> Bool { allowed.contains("*") || allowed.contains(department) }

    /// The tool as the access policy sees it.
    public func access(plugin: String) -> ToolAccess {
        ToolAccess(name: "\(plugin).\(name)", departments: allowed, roles: roles, classification: classification)
    }
}

/// A validated `plugin.toml`.
public struct PluginManifest: Sendable {
    public let id: String
    public let name: String
    public let version: SemanticVersion
    public let department: String
    public let description: String
    public let hostAPI: VersionRange
    public let entry: String
    public let capabilities: [String]
    public let limits: PluginLimits
    public let tools: [ToolManifest]
    /// Things that do not stop loading (a limit capped by the operator maximum, say).
    public let warnings: [String]

    public func tool(_ name: String) -> ToolManifest? { tools.first { $0.name == name } }

    static var idPattern: Regex<Substring> { /^[a-z][a-z0-9-]*\.[a-z][a-z0-9_-]*$/ }
    static var toolNamePattern: Regex<Substring> { /^[a-z][a-z0-9_]{0,63}$/ }
    static var identifierPattern: Regex<Substring> { /^[A-Za-z_][A-Za-z0-9_]*$/ }

    /// Reads and validates `<folder>/plugin.toml`. Every problem names the file, key and line.
    public static func load(folder: String, config: SamarindaConfig) -> Result<PluginManifest, ConfigErrors> {
        let file = (folder as NSString).appendingPathComponent("plugin.toml")
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            return .failure(ConfigErrors([ConfigError(file: file, key: "", line: nil,
                message: "cannot read plugin.toml: every plugin folder needs one (see 'samarinda plugin new')")]))
        }
        return parse(file: file, text: text, folderName: (folder as NSString).lastPathComponent, config: config)
    }

    public static func parse(file: String, text: String, folderName: String?, config: SamarindaConfig) -> Result<PluginManifest, ConfigErrors> {
        let doc = TOMLDocument(file: file, text: text)
        if !doc.errors.isEmpty { return .failure(ConfigErrors(doc.errors)) }
        let root = doc.root
        var warnings: [String] = []

        guard let plugin = root.section("plugin") else {
            root.fail("plugin", "missing [plugin] table with id, name, version, department, description, host_api, entry")
            root.finish(allowed: ["plugin", "limits", "tools"])
            return .failure(ConfigErrors(doc.errors))
        }
        func required(_ s: TOMLSection, _ key: String, example: String) -> String? {
            if !s.has(key) { s.fail(key, "missing; e.g. \(key) = \(example)"); return nil }
            return s.string(key)
        }
        let id = required(plugin, "id", example: "\"disdukcapil.syarat\"") ?? ""
        let name = required(plugin, "name", example: "\"Syarat dokumen kependudukan\"") ?? ""
        let versionText = required(plugin, "version", example: "\"1.0.0\"")
        let department = required(plugin, "department", example: "\"disdukcapil\"") ?? ""
        let description = required(plugin, "description", example: "\"What the plugin does\"") ?? ""
        let hostAPIText = required(plugin, "host_api", example: "\"^1.0\"")
        let entry = plugin.string("entry") ?? "main.lua"
        let capabilities = plugin.strings("capabilities") ?? []
        plugin.finish(allowed: ["id", "name", "version", "department", "description", "host_api", "entry", "capabilities"])

        if !id.isEmpty, id.wholeMatch(of: idPattern) == nil {
            plugin.fail("id", "'\(id)' must be <department>.<name> in lowercase, e.g. \"disdukcapil.syarat\"")
        }
        if !department.isEmpty {
            if config.department(department) == nil {
                plugin.fail("department", "unknown department '\(department)'; known: \(config.departments.map(\.id).joined(separator: ", "))")
            } else if !id.isEmpty, !id.hasPrefix(department + ".") {
                plugin.fail("id", "'\(id)' must start with its department '\(department).'")
            }
        }
        if let folderName, !id.isEmpty, folderName != id {
            plugin.fail("id", "'\(id)' does not match the plugin folder '\(folderName)'; rename one so they are equal")
        }
        let version = versionText.flatMap { v -> SemanticVersion? in
            guard let parsed = SemanticVersion(v) else { plugin.fail("version", "'\(v)' is not a semantic version like \"1.2.0\""); return nil }
            return parsed
        }
        let hostAPI = hostAPIText.flatMap { r -> VersionRange? in
            guard let range = VersionRange(r) else { plugin.fail("host_api", "'\(r)' is not a version range like \"^1.0\""); return nil }
            if !range.contains(hostAPIVersion) {
                plugin.fail("host_api", "'\(r)' does not include this host's API version \(hostAPIVersion); this plugin needs a different samarinda release")
            }
            return range
        }
        if entry.hasPrefix("/") || entry.split(separator: "/").contains("..") || !entry.hasSuffix(".lua") {
            plugin.fail("entry", "'\(entry)' must be a .lua file inside the plugin folder, e.g. \"main.lua\"")
        } else if let folder = folderName.map({ _ in (file as NSString).deletingLastPathComponent }),
                  !FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent(entry)) {
            plugin.fail("entry", "'\(entry)' does not exist in the plugin folder")
        }
        for (i, c) in capabilities.enumerated() {
            if let problem = Capability.problem(c, config: config) { plugin.fail("capabilities[\(i)]", problem) }
        }
        if Set(capabilities).count != capabilities.count { plugin.fail("capabilities", "lists a capability twice") }

        var limits = PluginLimits()
        if let l = root.section("limits") {
            let max = config.plugins.maxLimits
            func capped(_ key: String, _ value: Int?, _ maximum: Int, _ unit: String) -> Int? {
                guard let value else { return nil }
                if value > maximum {
                    warnings.append("[limits] \(key) = \(value) is above the operator maximum \(maximum) \(unit); using \(maximum)")
                    return maximum
                }
                return value
            }
            limits.memoryMB = capped("memory_mb", l.int("memory_mb", range: 1...65536), max.memoryMB, "MB") ?? limits.memoryMB
            limits.cpuMillis = capped("cpu_ms", l.int("cpu_ms", range: 1...86_400_000), max.cpuMillis, "ms") ?? limits.cpuMillis
            limits.timeoutMillis = capped("timeout_ms", l.int("timeout_ms", range: 1...86_400_000), max.timeoutMillis, "ms") ?? limits.timeoutMillis
            l.finish(allowed: ["memory_mb", "cpu_ms", "timeout_ms"])
        }
        limits.memoryMB = min(limits.memoryMB, config.plugins.maxLimits.memoryMB)
        limits.cpuMillis = min(limits.cpuMillis, config.plugins.maxLimits.cpuMillis)
        limits.timeoutMillis = min(limits.timeoutMillis, config.plugins.maxLimits.timeoutMillis)

        var tools: [ToolManifest] = []
        let toolSections = root.sections("tools") ?? []
        if toolSections.isEmpty, !root.has("tools") { root.fail("tools", "a plugin needs at least one [[tools]] entry") }
        var names: Set<String> = []
        for t in toolSections {
            let toolName = required(t, "name", example: "\"cek_syarat\"") ?? ""
            let handler = t.string("handler") ?? toolName
            let toolDescription = required(t, "description", example: "\"What the tool does, for the model and for people\"") ?? ""
            let classification = t.has("classification") ? t.classification("classification") : Classification.biasa
            let readOnly = t.bool("read_only") ?? false
            let allowed = t.strings("allowed") ?? [department]
            let roleNames = t.strings("roles")
            let input = t.raw("input_schema").map { tomlToJSON($0) }
            let output = t.raw("output_schema").map { tomlToJSON($0) }
            let processing = ToolProcessing.parse(t, tool: toolName, warnings: &warnings)
            t.finish(allowed: ["name", "handler", "description", "classification", "read_only", "allowed", "roles", "input_schema", "output_schema"]
                     + ToolProcessing.keys)

            if !toolName.isEmpty, toolName.wholeMatch(of: toolNamePattern) == nil {
                t.fail("name", "'\(toolName)' must be lowercase letters, digits and _ (starting with a letter), at most 64 characters")
            }
            if !names.insert(toolName).inserted, !toolName.isEmpty { t.fail("name", "tool '\(toolName)' is declared twice") }
            if handler.wholeMatch(of: identifierPattern) == nil { t.fail("handler", "'\(handler)' must be the name of a Lua function exported by the entry file") }
            for (i, d) in allowed.enumerated() where d != "*" && config.department(d) == nil {
                t.fail("allowed[\(i)]", "unknown department '\(d)'; use \"*\" for all or one of: \(config.departments.map(\.id).joined(separator: ", "))")
            }
            var roles: [Role] = []
            for (i, r) in (roleNames ?? []).enumerated() {
                // Auditors never call tools, so naming them would promise something the policy refuses.
                guard let role = Role(rawValue: r), role != .auditor else {
                    t.fail("roles[\(i)]", "unknown role '\(r)'; tools may be restricted to: \(Role.allCases.filter { $0 != .auditor }.map(\.rawValue).joined(separator: ", "))")
                    continue
                }
                roles.append(role)
            }
            if roleNames?.isEmpty == true { t.fail("roles", "an empty list would open the tool to no one; leave roles out to open it to every role, or name them, e.g. roles = [\"staff\"]") }
            var schemaErrors: [String] = []
            guard let input else {
                t.fail("input_schema", "missing; every tool needs a JSON Schema for its arguments, e.g. [tools.input_schema] type = \"object\"")
                continue
            }
            let inputSchema = JSONSchema.compile(input, errors: &schemaErrors)
            if input["type"] != .string("object") { schemaErrors.append("type: tool arguments must be an object: set type = \"object\"") }
            for e in schemaErrors { t.fail("input_schema", e) }
            schemaErrors = []
            let outputSchema = output.map { JSONSchema.compile($0, errors: &schemaErrors) }
            for e in schemaErrors { t.fail("output_schema", e) }
            var tool = ToolManifest(name: toolName, handler: handler, description: toolDescription,
                                    classification: classification ?? .biasa, readOnly: readOnly, allowed: allowed, roles: roles,
                                    inputSchema: inputSchema, outputSchema: outputSchema)
            tool.processing = processing
            tools.append(tool)
        }
        root.finish(allowed: ["plugin", "limits", "tools"])
        guard doc.errors.isEmpty, let version, let hostAPI else { return .failure(ConfigErrors(doc.errors)) }
        return .success(PluginManifest(id: id, name: name, version: version, department: department, description: description,
                                       hostAPI: hostAPI, entry: entry, capabilities: capabilities, limits: limits,
                                       tools: tools, warnings: warnings))
    }

    /// TOML → JSON for schemas written as TOML tables.
    static func tomlToJSON(_ v: any TOMLValueConvertible) -> JSONValue {
        if let t = v.table {
            var o: [String: JSONValue] = [:]
            for k in t.keys { if let x = t[k] { o[k] = tomlToJSON(x) } }
            return .object(o)
        }
        if let a = v.array { return .array(a.map { tomlToJSON($0) }) }
        if let s = v.string { return .string(s) }
        if let b = v.bool { return .bool(b) }
        if let i = v.int { return .number(Double(i)) }
        if let d = v.double { return .number(d) }
        return .string(v.debugDescription)
    }
}
