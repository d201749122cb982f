import Foundation
import SamarindaCore

/// A tool as offered to a caller (in `GET /v1/tools`, as an OpenAI function tool, as an MCP tool).
public struct ToolDescriptor: Sendable {
    /// `<plugin>.<tool>`, e.g. `bapenda.pbb.hitung`.
    public var name: String
    public var plugin: String
    public var tool: String
    public var description: String
    /// The JSON Schema of the arguments, as JSON text (valid JSON: `GET /v1/tools` splices it in unparsed).
    public var inputSchema: Data
    public var outputSchema: Data?
    /// The input schema as a value, when the provider has it as one (offered to models without parsing `inputSchema` again).
    public var parameters: JSONValue?
    public var readOnly: Bool
    public var classification: Classification

    public init(plugin: String, tool: String, description: String, inputSchema: Data, outputSchema: Data? = nil,
                readOnly: Bool, classification: Classification, parameters: JSONValue? = nil) {
        self.name = "\(plugin).\(tool)"
        self.plugin = plugin
        self.tool = tool
        self.description = description
        self.inputSchema = inputSchema
        self.outputSchema = outputSchema
        self.parameters = parameters
        self.readOnly = readOnly
        self.classification = classification
    }

    /// The name as an OpenAI function name (only `[a-zA-Z0-9_-]` allowed there): dots become `__`.
    public var functionName: String { name.replacingOccurrences(of: ".", with: "__") }
}

/// What a tool call came to: JSON output, or a structured error with its kind (mapped to HTTP in ErrorMapping.swift).
public enum ToolOutcome: Sendable {
    case success(output: Data, classification: Classification)
    case failure(kind: ErrorKind, code: String, message: String)
}

/// The plugin host as the service sees it. SamarindaRuntime adapts the real plugin host to this,
/// so the HTTP, OpenAI function-calling and MCP surfaces share one path into the sandbox.
public protocol ToolProvider: Sendable {
    func tools(for principal: Principal) async -> [ToolDescriptor]
    func call(plugin: String, tool: String, arguments: Data, as principal: Principal, requestID: String) async -> ToolOutcome
}
