import Foundation
import SamarindaCore
import SamarindaPlugins

/// The platform's plugin host as the service's `ToolProvider`: one path into the sandbox for
/// `/v1/tools`, OpenAI function calling, MCP and every chat entry point (`ChatService`). The host checks the schema, `allowed`, the
/// classification against the caller's clearance, the limits, and audits every call.
public struct PlatformTools: ToolProvider {
    public let platform: Platform

    public init(platform: Platform) { self.platform = platform }

    /// The schemas' JSON text comes serialized from the plugin's load; only the caller's filter runs here.
    public func tools(for principal: Principal) async -> [ToolDescriptor] {
        platform.plugins.tools(for: principal).map { t in
            ToolDescriptor(plugin: t.plugin, tool: t.tool, description: t.description,
                           inputSchema: t.inputSchemaJSON, outputSchema: t.outputSchemaJSON,
                           readOnly: t.readOnly, classification: t.classification, parameters: t.inputSchema)
        }
    }

    public func call(plugin: String, tool: String, arguments: Data, as principal: Principal, requestID: String) async -> ToolOutcome {
        let json: JSONValue
        do {
            json = try JSONDecoder().decode(JSONValue.self, from: arguments)
        } catch {
            return .failure(kind: .invalidRequest, code: "invalid_json",
                            message: "the arguments are not valid JSON: send a JSON object of the tool's arguments, e.g. {\"layanan\": \"ktp-el\"}")
        }
        do {
            // The level comes with the output from the plugin that ran the call, not from a second lookup
            // that a reload in between could answer with another version's manifest.
            let (output, level) = try await platform.plugins.invokeClassified(plugin: plugin, tool: tool, arguments: json, as: principal, requestID: requestID)
            return .success(output: Data(output.jsonText.utf8), classification: level)
        } catch {
            let visible = error.visible(to: principal)
            var message = visible.message
            if case .pluginError(_, let traceback?) = visible { message += "\n" + traceback }
            return .failure(kind: visible.errorKind, code: visible.code, message: message)
        }
    }
}
