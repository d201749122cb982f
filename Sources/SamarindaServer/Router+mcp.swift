import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import MCP
import SamarindaCore

extension SamarindaService {
    /// MCP over streamable HTTP at `/mcp`, authenticated like every other route. Each HTTP request
    /// gets its own MCP server bound to the caller's principal (the SDK's stateless transport), so a
    /// tool list or call can only ever see what that caller may use.
    func addMCPRoutes(to router: Router<ServerContext>) {
        let tools = self.tools
        let timeoutMillis = platform.config.server.requestTimeoutMillis
        let audit = platform.audit
        let platform = self.platform
        router.post("/mcp") { request, context in
            let principal = try await context.authorize(.listTools, platform)
            let deadline = RequestDeadline(millis: timeoutMillis, audit: audit, principal: principal, request: request, context: context)
            let body = try await readBody(request, context)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let requestID = context.requestID
            let server = Server(name: "samarinda", version: SamarindaVersion.current,
                                capabilities: .init(tools: .init(listChanged: false)))
            await server.withMethodHandler(ListTools.self) { _ in
                let list = await tools.tools(for: principal)
                return .init(tools: list.map { t in
                    Tool(name: t.name, description: t.description,
                         inputSchema: (try? JSONDecoder().decode(Value.self, from: t.inputSchema)) ?? .object([:]),
                         annotations: .init(title: t.name, readOnlyHint: t.readOnly, destructiveHint: !t.readOnly, idempotentHint: t.readOnly, openWorldHint: false))
                })
            }
            await server.withMethodHandler(CallTool.self) { params in
                let parts = params.name.split(separator: ".")
                guard parts.count == 3 else {
                    return .init(content: [.text(text: "unknown tool '\(params.name)': tools are named <department>.<plugin>.<tool>; see tools/list", annotations: nil, _meta: nil)], isError: true)
                }
                let arguments = try JSONEncoder().encode(params.arguments ?? [:])
                switch await tools.call(plugin: "\(parts[0]).\(parts[1])", tool: String(parts[2]), arguments: arguments, as: principal, requestID: requestID) {
                case .success(let output, _):
                    let structured = try? JSONDecoder().decode(Value.self, from: output)
                    return .init(content: [.text(text: String(decoding: output, as: UTF8.self), annotations: nil, _meta: nil)], structuredContent: structured, isError: false)
                case .failure(_, let code, let message):
                    return .init(content: [.text(text: "\(code): \(message)", annotations: nil, _meta: nil)], isError: true)
                }
            }
            let transport = StatelessHTTPServerTransport(validationPipeline: StandardValidationPipeline(validators: [
                AcceptHeaderValidator(mode: .jsonOnly), ContentTypeValidator(), ProtocolVersionValidator(),
            ]))
            try await server.start(transport: transport)
            let reply: MCP.HTTPResponse
            do {
                let message = MCP.HTTPRequest(method: "POST", headers: headers, body: body, path: "/mcp")
                reply = try await deadline.run { await transport.handleRequest(message) }
            } catch {
                await server.stop()
                throw error
            }
            await server.stop()
            var fields: HTTPFields = [:]
            for (name, value) in reply.headers {
                if let n = HTTPField.Name(name) { fields[n] = value }
            }
            return Response(status: .init(code: reply.statusCode), headers: fields,
                            body: .init(byteBuffer: ByteBuffer(bytes: reply.bodyData ?? Data())))
        }
        router.get("/mcp") { _, _ -> Response in
            // No server-initiated messages: the stateless transport has no SSE stream to offer.
            throw APIError(status: .methodNotAllowed, type: "invalid_request_error", code: "method_not_allowed",
                           message: "this MCP endpoint is stateless: POST JSON-RPC messages to /mcp")
        }
    }
}
