import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SamarindaCore

extension SamarindaService {
    /// `GET /v1/tools` and `POST /v1/tools/{plugin}/{tool}`: the caller's plugin tools, JSON in, JSON out.
    func addToolRoutes(to router: Router<ServerContext>) {
        let tools = self.tools
        let metrics = self.metrics
        let platform = self.platform
        router.get("/v1/tools") { _, context in
            let principal = try await context.authorize(.listTools, platform)
            let list = await tools.tools(for: principal)
            // Written by hand so the schemas go in as the JSON text serialized when the plugin loaded,
            // instead of being parsed and serialized again on every request. Keys sorted, slashes
            // unescaped: the same text `jsonResponse` wrote.
            var out: [UInt8] = []
            func key(_ name: String) { out += ",\"\(name)\":".utf8 }
            func string(_ s: String) { JSONValue.quote(s, into: &out) }
            func schema(_ data: Data) { if data.isEmpty { out += "{}".utf8 } else { out += data } }
            out += "{\"data\":[".utf8
            for (i, t) in list.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out += "{\"classification\":".utf8; string(t.classification.name)
                key("description"); string(t.description)
                key("input_schema"); schema(t.inputSchema)
                key("name"); string(t.name)
                if let o = t.outputSchema { key("output_schema"); schema(o) }
                key("plugin"); string(t.plugin)
                key("read_only"); out += (t.readOnly ? "true" : "false").utf8
                key("tool"); string(t.tool)
                out.append(UInt8(ascii: "}"))
            }
            out += "],\"object\":\"list\"}".utf8
            return jsonResponse(bytes: out)
        }
        router.post("/v1/tools/{plugin}/{tool}") { request, context in
            let (principal, deadline) = try await context.begin(.listTools, platform, request)
            let plugin = try context.parameters.require("plugin")
            let tool = try context.parameters.require("tool")
            var body = try await readBody(request, context)
            if body.isEmpty { body = Data("{}".utf8) }
            // The provider parses the body once (malformed JSON comes back as `invalid_json`).
            let arguments = body, requestID = context.requestID
            let outcome = try await deadline.run { await tools.call(plugin: plugin, tool: tool, arguments: arguments, as: principal, requestID: requestID) }
            // Metric labels name only tools that exist: a path value that is not one would add a series
            // per made-up name, forever (unknown tools answer 404).
            let known: Bool
            if case .failure(.notFound, _, _) = outcome { known = false } else { known = true }
            let (pluginLabel, toolLabel) = known ? (plugin, tool) : ("unknown", "unknown")
            switch outcome {
            case .success(let output, let classification):
                metrics.toolCall(plugin: pluginLabel, tool: toolLabel, outcome: "ok")
                var response = jsonResponse(bytes: output)
                response.headers[HTTPField.Name("X-Samarinda-Classification")!] = classification.name
                return response
            case .failure(let kind, let code, let message):
                metrics.toolCall(plugin: pluginLabel, tool: toolLabel, outcome: known ? code : "not_found")
                var error = APIError(kind: kind, code: code, message: message)
                // The plugin host writes one tool.call event for every call it received, refused or not;
                // only arguments that are not JSON never reached it.
                error.audited = code != "invalid_json"
                throw error
            }
        }
    }
}

/// Reads the whole request body up to `[server] max_body_bytes`, answering 413 beyond it.
func readBody(_ request: Request, _ context: ServerContext) async throws -> Data {
    do {
        var buffer = try await request.body.collect(upTo: context.maxUploadSize)
        return Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
    } catch is NIOTooManyBytesError {
        throw APIError(status: .contentTooLarge, type: "invalid_request_error", code: "body_too_large",
                       message: "the request body is larger than the server accepts (\(context.maxUploadSize) bytes, [server] max_body_bytes); send a smaller body")
    } catch is CancellationError {
        throw CancellationError()
    } catch {
        // The connection broke off mid-body (fewer bytes than its Content-Length, a bad chunk): the
        // client's fault, not a 500.
        throw APIError.badRequest("invalid_body", "the request body could not be read to its end (\(error)); send the whole body with a correct Content-Length")
    }
}

extension JSONEncoder {
    /// How the API writes JSON: keys sorted, `/` not escaped.
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}

/// A JSON response from an `Encodable`, in one encoding pass (the same options as below).
func jsonResponse(encoding value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    jsonResponse(bytes: try JSONEncoder.sorted.encode(value), status: status)
}

/// A JSON response from bytes that are JSON already (written by hand, embedded, or from an encoder).
func jsonResponse(bytes: some Sequence<UInt8>, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
}

/// A JSON response from Foundation objects (for shapes that are easier to build than to declare).
func jsonResponse(_ object: Any, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    return jsonResponse(bytes: data, status: status)
}

extension SamarindaService {
    /// `GET /v1/plugins` (admin): every plugin's load state, requested vs granted capabilities, errors.
    func addPluginRoutes(to router: Router<ServerContext>) {
        let host = platform.plugins
        let platform = self.platform
        router.get("/v1/plugins") { _, context in
            try await context.authorize(.readPluginStatus, platform)
            let items: [[String: Any]] = host.status().map { s in
                var item: [String: Any] = ["id": s.id, "state": s.state.rawValue, "tools": s.tools, "errors": s.errors,
                                           "warnings": s.warnings, "idle_memory_bytes": s.idleMemoryBytes]
                if let v = s.version { item["version"] = v }
                if let d = s.department { item["department"] = d }
                if let g = s.grants { item["requested"] = g.requested; item["granted"] = g.granted; item["denied"] = g.denied }
                return item
            }
            return try jsonResponse(["object": "list", "data": items])
        }
    }
}
