import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SamarindaCore
import SamarindaModels
import SamarindaRuntime

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
            let extras: ChatExtras
            do {
                chat = try JSONDecoder().decode(ChatRequest.self, from: body)
                extras = try JSONDecoder().decode(ChatExtras.self, from: body)
            } catch let e as RequestFieldError {
                throw APIError.invalidField(e)
            } catch {
                throw APIError.badRequest("invalid_json", "the body is not a chat completion request: \(describe(error)). Send {\"model\": \"samarinda-default\", \"messages\": [{\"role\": \"user\", \"content\": \"...\"}]}")
            }
            let service = ChatService(platform: platform, tools: tools, principal: principal, requestID: context.requestID, via: context.entry)
            let options = ChatService.Options(retrieval: extras.retrieval, conversationID: extras.conversation_id, store: extras.store ?? false)
            let prepared: ChatService.Prepared
            do {
                prepared = try await deadline.run { try await service.prepare(chat, options: options) }
            } catch let e as ModelError { throw APIError(e) } catch let e as ChatError { throw APIError(e) }
            if chat.stream == true {
                return streamResponse(service, prepared, metrics: metrics, deadline: deadline)
            }
            do {
                let answer = try await deadline.run { try await service.complete(prepared) }
                metrics.modelCall(provider: answer.provider, outcome: "ok", tokensIn: answer.usage.promptTokens, tokensOut: answer.usage.completionTokens)
                let message = ChatMessage(role: .assistant, content: answer.content.isEmpty && !answer.toolCalls.isEmpty ? nil : answer.content,
                                          toolCalls: answer.toolCalls.isEmpty ? nil : answer.toolCalls)
                let reply = ChatResponse(id: answer.id, created: answer.created, message: message, finishReason: answer.finishReason,
                                         usage: answer.usage, provider: answer.provider, model: chat.model)
                var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(reply)) as? [String: Any] ?? [:]
                object["classification"] = answer.classification.name
                object["citations"] = try JSONSerialization.jsonObject(with: JSONEncoder().encode(answer.citations))
                object["samarinda"] = try JSONSerialization.jsonObject(with: JSONEncoder().encode(AnswerMarker(answer)))
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

/// What the client asked for beyond OpenAI's fields.
struct ChatExtras: Decodable {
    var retrieval: Bool?
    var stream_options: StreamOptions?
    /// Continue this stored conversation of the caller (its turns are put before `messages`).
    var conversation_id: String?
    /// Keep this exchange as a new stored conversation (as OpenAI's `store`); its id comes back in `samarinda.conversation_id`.
    var store: Bool?
    struct StreamOptions: Decodable { var include_usage: Bool? }
}

/// Our extension object on every answer: the explicit AI-generated marker (SE Menkominfo 9/2023), the
/// request id its audit events carry, and the stored conversation it went into.
struct AnswerMarker: Encodable {
    let ai_generated: Bool
    let request_id: String
    let conversation_id: String?
    let provider: String
    let classification: String
    /// Stored turns of the conversation left out by `[chat]` history limits; absent when none were.
    let history_turns_omitted: Int?

    init(_ answer: ChatService.Answer) {
        ai_generated = answer.aiGenerated
        request_id = answer.requestID
        conversation_id = answer.conversationID
        provider = answer.provider
        classification = answer.classification.name
        history_turns_omitted = answer.historyTurnsOmitted > 0 ? answer.historyTurnsOmitted : nil
    }
}

/// Streams the exchange as OpenAI chunks. Plugin tool calls are run server-side between rounds (in
/// `ChatService`) and never shown as tool-call chunks; a failure mid-way ends the stream with an
/// error event, never a silently truncated answer.
private func streamResponse(_ service: ChatService, _ prepared: ChatService.Prepared, metrics: ServerMetrics,
                            deadline: RequestDeadline) -> Response {
    let headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"]
    return Response(status: .ok, headers: headers, body: .init { writer in
        let id = "chatcmpl-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(24)
        let created = Int(Date().timeIntervalSince1970)
        let model = prepared.request.model
        let encoder = JSONEncoder()
        var provider = ""

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

        for await event in deadline.bound(service.stream(prepared), timeout: { .failed($0) }) {
            switch event {
            case .start(let p, _):
                provider = p
                try await send(ChatStreamChunk(id: id, created: created, model: model,
                                               choices: [.init(delta: .init(role: .assistant, content: ""))], provider: p))
            case .delta(let text):
                if let chunk = ChatStreamChunk.from(.delta(text), id: id, created: created, model: model) { try await send(chunk) }
            case .done(let answer):
                // Client-side tools are the client's to run: pass them on as OpenAI does.
                for (index, call) in answer.toolCalls.enumerated() {
                    try await send(ChatStreamChunk(id: id, created: created, model: model, choices: [.init(delta: .init(toolCalls: [
                        ToolCallDelta(index: index, id: call.id, name: call.function.name, arguments: call.function.arguments)]))]))
                }
                try await send(FinalChunk(id: id, created: created, model: model, answer: answer))
                metrics.modelCall(provider: answer.provider, outcome: "ok", tokensIn: answer.usage.promptTokens, tokensOut: answer.usage.completionTokens)
                try await sendRaw("data: [DONE]\n\n")
                try await writer.finish(nil)
                return
            case .failed(let error):
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
        try await finish(with: APIError.internalError("the model stream ended without finishing; the answer is incomplete"))
    })
}

/// The last chunk: finish reason, usage of all rounds, what the answer rests on, and the AI-generated marker.
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
    let samarinda: AnswerMarker

    init(id: String, created: Int, model: String, answer: ChatService.Answer) {
        self.id = id
        self.created = created
        self.model = model
        self.choices = [.init(delta: .init(), finishReason: answer.finishReason)]
        self.usage = answer.usage
        self.provider = answer.provider
        self.classification = answer.classification.name
        self.citations = answer.citations
        self.samarinda = AnswerMarker(answer)
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
