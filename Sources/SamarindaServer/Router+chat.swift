import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SamarindaCore
import SamarindaModels

extension SamarindaService {
    /// OpenAI-compatible `POST /v1/chat/completions` (with `stream: true` as SSE in OpenAI's chunk
    /// format) and `POST /v1/embeddings`.
    func addChatRoutes(to router: Router<ServerContext>) {
        let platform = self.platform
        let tools = self.tools
        let metrics = self.metrics
        router.post("/v1/chat/completions") { request, context in
            let principal = try await context.authorize(.chat(classification: nil), platform)
            let deadline = RequestDeadline(millis: platform.config.server.requestTimeoutMillis, audit: platform.audit, principal: principal,
                                           request: request, context: context)
            let body = try await readBody(request, context)
            let chat: ChatRequest
            let extras: ChatOrchestrator.Extras
            do {
                chat = try JSONDecoder().decode(ChatRequest.self, from: body)
                extras = try JSONDecoder().decode(ChatOrchestrator.Extras.self, from: body)
            } catch let e as RequestFieldError {
                throw APIError.invalidField(e)
            } catch {
                throw APIError.badRequest("invalid_json", "the body is not a chat completion request: \(describe(error)). Send {\"model\": \"samarinda-default\", \"messages\": [{\"role\": \"user\", \"content\": \"...\"}]}")
            }
            // The clearance question, asked here too so the refusal event names the entry point (web or HTTP).
            try await context.authorize(.chat(classification: chat.classification), platform)
            let orchestrator = ChatOrchestrator(platform: platform, tools: tools, principal: principal, requestID: context.requestID)
            let prepared: ChatOrchestrator.Prepared
            do {
                prepared = try await deadline.run { try await orchestrator.prepare(chat, retrieval: extras.retrieval) }
            } catch let e as ModelError { throw APIError(e) }
            if chat.stream == true {
                return streamResponse(orchestrator, prepared, metrics: metrics, deadline: deadline)
            }
            do {
                let (response, usage, level) = try await deadline.run { try await orchestrator.complete(prepared) }
                metrics.modelCall(provider: response.provider, outcome: "ok", tokensIn: usage.promptTokens, tokensOut: usage.completionTokens)
                var reply = response
                reply.usage = usage
                var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(reply)) as? [String: Any] ?? [:]
                object["model"] = chat.model
                object["provider"] = response.provider
                object["classification"] = level.name
                object["citations"] = try JSONSerialization.jsonObject(with: JSONEncoder().encode(Citation.from(prepared.passages)))
                return try jsonResponse(object)
            } catch let e as ModelError {
                metrics.modelCall(provider: "-", outcome: e.code.rawValue, tokensIn: 0, tokensOut: 0)
                throw APIError(e)
            }
        }

        router.post("/v1/embeddings") { request, context in
            let principal = try await context.authorize(.embed(classification: nil), platform)
            let deadline = RequestDeadline(millis: platform.config.server.requestTimeoutMillis, audit: platform.audit, principal: principal,
                                           request: request, context: context)
            let body = try await readBody(request, context)
            let embedding: EmbeddingRequest
            do {
                embedding = try JSONDecoder().decode(EmbeddingRequest.self, from: body)
            } catch let e as RequestFieldError {
                throw APIError.invalidField(e)
            } catch {
                throw APIError.badRequest("invalid_json", "the body is not an embeddings request: \(describe(error)). Send {\"model\": \"samarinda-default\", \"input\": [\"teks\"]}")
            }
            try await context.authorize(.embed(classification: embedding.classification), platform)
            do {
                let call = ModelCallContext(principal: principal, requestID: context.requestID)
                let response = try await deadline.run { try await platform.models.embed(embedding, context: call) }
                return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(bytes: try response.openAIJSON())))
            } catch let e as ModelError { throw APIError(e) }
        }
    }
}

/// Streams the exchange as OpenAI chunks. Plugin tool calls are run server-side between rounds and
/// never shown as tool-call chunks; a failure mid-way ends the stream with an error event, never a
/// silently truncated answer.
private func streamResponse(_ orchestrator: ChatOrchestrator, _ prepared: ChatOrchestrator.Prepared, metrics: ServerMetrics,
                            deadline: RequestDeadline) -> Response {
    let headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"]
    return Response(status: .ok, headers: headers, body: .init { writer in
        let id = "chatcmpl-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(24)
        let created = Int(Date().timeIntervalSince1970)
        let model = prepared.request.model
        let encoder = JSONEncoder()
        var request = prepared.request
        request.stream = true
        var toolClassifications: [Classification] = []
        var total = Usage(promptTokens: 0, completionTokens: 0)
        var provider = ""
        var sentRole = false

        func send(_ object: some Encodable) async throws {
            var buffer = ByteBuffer(string: "data: ")
            buffer.writeBytes(try encoder.encode(object))
            buffer.writeString("\n\n")
            try await writer.write(buffer)
        }
        func sendRaw(_ text: String) async throws { try await writer.write(ByteBuffer(string: text)) }
        /// Ends the stream with an error event in the API's error shape (the status line went out already).
        func finish(with error: APIError) async throws {
            try await writer.write(ByteBuffer(string: "data: "))
            try await writer.write(ByteBuffer(bytes: error.body))
            try await sendRaw("\n\ndata: [DONE]\n\n")
            try await writer.finish(nil)
        }

        rounds: for round in 1...ChatOrchestrator.maxRounds {
            let ctx = orchestrator.context(prepared, toolClassifications: toolClassifications)
            var pending: [Int: (id: String, name: String, arguments: String)] = [:]
            var assistantText = ""
            for await event in deadline.bound(orchestrator.platform.models.stream(request, context: ctx)) {
                switch event {
                case .start(let p, _):
                    provider = p
                    if !sentRole {
                        sentRole = true
                        try await send(ChatStreamChunk(id: id, created: created, model: model,
                                                       choices: [.init(delta: .init(role: .assistant, content: ""))], provider: p))
                    }
                case .delta(let text):
                    assistantText += text
                    if let chunk = ChatStreamChunk.from(event, id: id, created: created, model: model) { try await send(chunk) }
                case .toolCall(let delta):
                    var entry = pending[delta.index] ?? (id: "", name: "", arguments: "")
                    if let v = delta.id { entry.id = v }
                    if let v = delta.function?.name { entry.name += v }
                    if let v = delta.function?.arguments { entry.arguments += v }
                    pending[delta.index] = entry
                case .usage(let u):
                    total = Usage(promptTokens: total.promptTokens + u.promptTokens, completionTokens: total.completionTokens + u.completionTokens)
                case .finish(let reason):
                    let calls = pending.sorted { $0.key < $1.key }.map { ToolCall(id: $0.value.id, name: $0.value.name, arguments: $0.value.arguments) }
                    let ours = calls.filter { prepared.pluginTools[$0.function.name] != nil }
                    if !ours.isEmpty, round < ChatOrchestrator.maxRounds {
                        request.messages.append(ChatMessage(role: .assistant, content: assistantText.isEmpty ? nil : assistantText, toolCalls: ours))
                        let toolCalls = ours
                        let results: [(ChatMessage, Classification)]
                        do {
                            results = try await deadline.run { await orchestrator.runTools(toolCalls, offered: prepared.pluginTools) }
                        } catch let e as APIError {
                            try await finish(with: e)
                            return
                        }
                        for (message, level) in results {
                            request.messages.append(message)
                            toolClassifications.append(level)
                        }
                        continue rounds
                    }
                    // Client-side tools are the client's to run: pass them on as OpenAI does.
                    for (index, call) in calls.enumerated() where prepared.pluginTools[call.function.name] == nil {
                        try await send(ChatStreamChunk(id: id, created: created, model: model, choices: [.init(delta: .init(toolCalls: [
                            ToolCallDelta(index: index, id: call.id, name: call.function.name, arguments: call.function.arguments)]))]))
                    }
                    let level = ModelRouter.classification(of: request, context: ctx)
                    try await send(FinalChunk(id: id, created: created, model: model, finishReason: reason, usage: total, provider: provider,
                                              classification: level.name, citations: Citation.from(prepared.passages)))
                    metrics.modelCall(provider: provider, outcome: "ok", tokensIn: total.promptTokens, tokensOut: total.completionTokens)
                    try await sendRaw("data: [DONE]\n\n")
                    try await writer.finish(nil)
                    return
                case .error(let error):
                    metrics.modelCall(provider: provider.isEmpty ? "-" : provider, outcome: error.code.rawValue, tokensIn: 0, tokensOut: 0)
                    var shaped = APIError(error)
                    if error.code == .timeout, deadline.expired {
                        // The status line went out long ago: the 504 travels as the stream's last event.
                        shaped = deadline.error
                        try await deadline.recordTimeout()
                    }
                    try await finish(with: shaped)
                    return
                }
            }
        }
        try await finish(with: APIError.internalError("the model stream ended without finishing; the answer is incomplete"))
    })
}

/// The last chunk: finish reason, usage of all rounds, and what the answer rests on.
private struct FinalChunk: Encodable {
    let id: String
    let object = "chat.completion.chunk"
    let created: Int
    let model: String
    let choices: [ChatStreamChunk.Choice]
    let usage: Usage
    let provider: String
    let classification: String
    let citations: [Citation]

    init(id: String, created: Int, model: String, finishReason: String, usage: Usage, provider: String, classification: String, citations: [Citation]) {
        self.id = id
        self.created = created
        self.model = model
        self.choices = [.init(delta: .init(), finishReason: finishReason)]
        self.usage = usage
        self.provider = provider
        self.classification = classification
        self.citations = citations
    }
}

/// A decoding error in a sentence a client developer can act on.
func describe(_ error: any Error) -> String {
    guard let e = error as? DecodingError else { return "\(error)" }
    switch e {
    case .keyNotFound(let key, let c): return "missing field '\((c.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
    case .typeMismatch(_, let c), .valueNotFound(_, let c): return "wrong type at '\(c.codingPath.map(\.stringValue).joined(separator: "."))': \(c.debugDescription)"
    case .dataCorrupted(let c): return c.codingPath.isEmpty ? "not valid JSON" : "invalid value at '\(c.codingPath.map(\.stringValue).joined(separator: "."))': \(c.debugDescription)"
    @unknown default: return "\(error)"
    }
}
