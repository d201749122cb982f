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
            let (principal, deadline) = try await context.begin(.chat(classification: nil), platform, request)
            // One parse of the body for OpenAI's fields and ours.
            let body = try await decodeBody(ChatCompletionBody.self, request, context, what: "a chat completion request",
                                            example: #"{"model": "samarinda-default", "messages": [{"role": "user", "content": "..."}]}"#)
            let chat = body.request, extras = body.extras
            let service = ChatService(platform: platform, tools: tools, principal: principal, requestID: context.requestID, via: context.entry)
            let options = ChatService.Options(retrieval: extras.retrieval, conversationID: extras.conversation_id, store: extras.store ?? false)
            if chat.stream == true {
                let prepared: ChatService.Prepared
                do {
                    prepared = try await deadline.run { try await service.prepare(chat, options: options) }
                } catch let e as ModelError { throw APIError(e) } catch let e as ChatError { throw APIError(e) }
                return try await streamResponse(service, prepared, metrics: metrics, deadline: deadline)
            }
            do {
                // Preparing and answering under one deadline (one timer, one race).
                let answer = try await deadline.run {
                    let prepared: ChatService.Prepared
                    do {
                        prepared = try await service.prepare(chat, options: options)
                    } catch let e as ModelError { throw APIError(e) } catch let e as ChatError { throw APIError(e) }
                    return try await service.complete(prepared)
                }
                metrics.modelCall(provider: answer.provider, outcome: "ok", tokensIn: answer.usage.promptTokens, tokensOut: answer.usage.completionTokens)
                let message = ChatMessage(role: .assistant, content: answer.content.isEmpty && !answer.toolCalls.isEmpty ? nil : answer.content,
                                          toolCalls: answer.toolCalls.isEmpty ? nil : answer.toolCalls)
                let reply = ChatResponse(id: answer.id, created: answer.created, message: message, finishReason: answer.finishReason,
                                         usage: answer.usage, provider: answer.provider, model: chat.model)
                return jsonResponse(bytes: try CompletionReply(response: reply, answer: answer).jsonBytes())
            } catch let e as ModelError {
                metrics.modelCall(provider: "-", outcome: e.code.rawValue, tokensIn: 0, tokensOut: 0)
                throw APIError(e)
            }
        }

        router.post("/v1/embeddings") { request, context in
            let (principal, deadline) = try await context.begin(.embed(classification: nil), platform, request)
            let embedding = try await decodeBody(EmbeddingRequest.self, request, context, what: "an embeddings request",
                                                 example: #"{"model": "samarinda-default", "input": ["teks"]}"#)
            try await context.authorize(.embed(classification: embedding.classification), platform)
            do {
                let call = ModelCallContext(principal: principal, requestID: context.requestID)
                let response = try await deadline.run { try await platform.models.embed(embedding, context: call) }
                return jsonResponse(bytes: try response.openAIJSON())
            } catch let e as ModelError { throw APIError(e) }
        }
    }
}

/// Reads the body and decodes it as `T`; a body that is not one answers 400 with what was wrong and
/// an example of a good one.
func decodeBody<T: Decodable>(_ type: T.Type, _ request: Request, _ context: ServerContext, what: String, example: String) async throws -> T {
    let body = try await readBody(request, context)
    if let readable = T.self as? any ReadInPlace.Type, let fast = readable.fastRead(body) as? T { return fast }
    do {
        return try JSONDecoder().decode(T.self, from: body)
    } catch let e as RequestFieldError {
        throw APIError.invalidField(e)
    } catch {
        throw APIError.badRequest("invalid_json", "the body is not \(what): \(describe(error)). Send \(example)")
    }
}

/// A body with a reader for its common shape that `decodeBody` tries before JSONDecoder (nil: not that shape).
protocol ReadInPlace {
    static func fastRead(_ data: Data) -> Self?
}

/// A chat completion request as sent: OpenAI's fields and ours, decoded from one parse of the body.
struct ChatCompletionBody: Decodable, ReadInPlace {
    var request: ChatRequest
    var extras: ChatExtras

    init(from decoder: any Decoder) throws {
        request = try ChatRequest(from: decoder)
        extras = try ChatExtras(from: decoder)
    }

    init(request: ChatRequest, extras: ChatExtras) {
        self.request = request
        self.extras = extras
    }

    /// The usual request — model, messages with text, `max_tokens`, `temperature`, `stream` and our
    /// `retrieval`, `conversation_id`, `store` — read in place (issue 18); nil for any other key or shape,
    /// and for a value out of range, which JSONDecoder then reads or refuses with its precise message.
    /// `ChatFastReadingTests` holds it to JSONDecoder's result.
    static func fastRead(_ data: Data) -> ChatCompletionBody? {
        JSONCursor.read(data) { c in
            var model = "samarinda-default", messages: [ChatMessage]?, maxTokens: Int?, temperature: Double?, stream: Bool?
            var extras = ChatExtras()
            try c.object { c, key in
                switch key {
                case "model": if !c.null() { model = try c.string() }
                case "messages":
                    var list: [ChatMessage] = []
                    try c.array { c in list.append(try ChatMessage.read(&c)) }
                    messages = list
                case "max_tokens":
                    if c.null() { break }
                    let n = try c.integer()
                    guard RequestLimits.maxTokens.contains(n) else { throw JSONCursor.Miss() }
                    maxTokens = n
                case "temperature":
                    if c.null() { break }
                    let t = try c.number()
                    guard RequestLimits.temperature.contains(t) else { throw JSONCursor.Miss() }
                    temperature = t
                case "stream": stream = c.null() ? nil : try c.bool()
                case "retrieval": extras.retrieval = c.null() ? nil : try c.bool()
                case "store": extras.store = c.null() ? nil : try c.bool()
                case "conversation_id": extras.conversation_id = c.null() ? nil : try c.string()
                default: throw JSONCursor.Miss()
                }
            }
            guard let messages else { throw JSONCursor.Miss() }
            return ChatCompletionBody(request: ChatRequest(model: model, messages: messages, maxTokens: maxTokens,
                                                           temperature: temperature, stream: stream),
                                      extras: extras)
        }
    }
}

/// The non-streamed answer: OpenAI's `chat.completion` and our fields beside it, encoded in one pass.
struct CompletionReply: Encodable {
    let response: ChatResponse
    let classification: String
    let citations: [Citation]
    let samarinda: AnswerMarker

    init(response: ChatResponse, answer: ChatService.Answer) {
        self.response = response
        classification = answer.classification.name
        citations = answer.citations
        samarinda = AnswerMarker(answer)
    }

    enum Keys: String, CodingKey { case classification, citations, samarinda }

    /// The JSON that `jsonResponse(encoding:)` makes of this reply (keys sorted, slashes unescaped),
    /// written by hand: JSONEncoder's generic containers were a visible share of the CPU of every
    /// completion (perf, issue 18). Citations and tool calls, absent from most answers, still go
    /// through JSONEncoder. A test checks these bytes against JSONEncoder's.
    func jsonBytes() throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512 + (response.message.content?.utf8.count ?? 0))
        // Made only for the parts most answers lack (tool calls, citations).
        func encoded(_ value: some Encodable) throws -> Data { try JSONEncoder.sorted.encode(value) }
        func raw(_ text: StaticString) { out.append(text) }
        func string(_ s: String) { JSONValue.quote(s, into: &out) }
        func int(_ n: Int) { out.append(contentsOf: String(n).utf8) }
        let m = response.message
        raw(#"{"choices":[{"finish_reason":"#); string(response.finishReason)
        raw(#","index":0,"message":{"content":"#)
        if let c = m.content { string(c) } else { raw("null") }
        if let name = m.name { raw(#","name":"#); string(name) }
        raw(#","role":"#); string(m.role.rawValue)
        if let id = m.toolCallID { raw(#","tool_call_id":"#); string(id) }
        if let calls = m.toolCalls { raw(#","tool_calls":"#); out.append(contentsOf: try encoded(calls)) }
        raw(#"}}],"citations":"#)
        if citations.isEmpty { raw("[]") } else { out.append(contentsOf: try encoded(citations)) }
        raw(#","classification":"#); string(classification)
        raw(#","created":"#); int(response.created)
        raw(#","id":"#); string(response.id)
        raw(#","model":"#); string(response.model)
        raw(#","object":"chat.completion","provider":"#); string(response.provider)
        raw(#","samarinda":{"ai_generated":"#); raw(samarinda.ai_generated ? "true" : "false")
        raw(#","classification":"#); string(samarinda.classification)
        if let id = samarinda.conversation_id { raw(#","conversation_id":"#); string(id) }
        if let n = samarinda.history_turns_omitted { raw(#","history_turns_omitted":"#); int(n) }
        raw(#","provider":"#); string(samarinda.provider)
        raw(#","request_id":"#); string(samarinda.request_id)
        raw("}")
        if let u = response.usage {
            raw(#","usage":{"completion_tokens":"#); int(u.completionTokens)
            raw(#","prompt_tokens":"#); int(u.promptTokens)
            raw(#","total_tokens":"#); int(u.totalTokens)
            raw("}")
        }
        raw("}")
        return out
    }

    func encode(to encoder: any Encoder) throws {
        try response.encode(to: encoder)
        // A second keyed container on the same encoder adds to the same object.
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(classification, forKey: .classification)
        try c.encode(citations, forKey: .citations)
        try c.encode(samarinda, forKey: .samarinda)
    }
}

/// What the client asked for beyond OpenAI's fields.
struct ChatExtras: Decodable {
    var retrieval: Bool? = nil
    var stream_options: StreamOptions? = nil
    /// Continue this stored conversation of the caller (its turns are put before `messages`).
    var conversation_id: String? = nil
    /// Keep this exchange as a new stored conversation (as OpenAI's `store`); its id comes back in `samarinda.conversation_id`.
    var store: Bool? = nil
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
///
/// The response starts with the exchange's first batch of events, not before it: when that batch
/// already ends the exchange (an answer that came whole, as from a fast model or a cache), head, chunks
/// and end go to the client in one write instead of three (issue 18); otherwise the head and that batch
/// go out together and the rest streams as it comes. The status is 200 either way, and a failure is
/// the stream's last event, as before.
private func streamResponse(_ service: ChatService, _ prepared: ChatService.Prepared, metrics: ServerMetrics,
                            deadline: RequestDeadline) async throws -> Response {
    let headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"]
    let batches = BatchReader(deadline.bound(timeout: { [.failed($0)] }, { service.run(prepared, on: EventLoopTaskExecutor.current, into: $0) }))
    var chunks = StreamChunks(model: prepared.request.model, metrics: metrics, deadline: deadline)
    var out = ByteBuffer()
    if try await chunks.append(await batches.next(), to: &out) {
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: out))
    }
    let first = out
    return Response(status: .ok, headers: headers, body: .init { [chunks] writer in
        var chunks = chunks
        try await writer.write(first)
        while true {
            var out = ByteBuffer()
            let ended = try await chunks.append(await batches.next(), to: &out)
            if out.readableBytes > 0 { try await writer.write(out) }
            if ended { break }
        }
        try await writer.finish(nil)
    })
}

/// The exchange's batches of events, read by one task at a time (the route, then its response body).
private final class BatchReader: @unchecked Sendable {
    // @unchecked: the iterator is used by one task at a time: the route reads the first batch before
    // it returns the response whose body reads the rest.
    private var iterator: AsyncStream<[ChatService.Event]>.Iterator

    init(_ stream: AsyncStream<[ChatService.Event]>) { iterator = stream.makeAsyncIterator() }

    /// The next batch; nil when the exchange's stream ended.
    func next() async -> [ChatService.Event]? { await iterator.next() }
}

/// The SSE bytes of one streamed exchange, batch by batch.
private struct StreamChunks: Sendable {
    let id = "chatcmpl-" + randomID()
    let created = Int(Date().timeIntervalSince1970)
    let model: String
    let metrics: ServerMetrics
    let deadline: RequestDeadline
    /// Every text piece is the same chunk around different text: its bytes before and after the text
    /// are made once per stream, and each piece only has its text escaped (no encoder per piece).
    let piece: ChunkTemplate
    var provider = ""

    init(model: String, metrics: ServerMetrics, deadline: RequestDeadline) {
        self.model = model
        self.metrics = metrics
        self.deadline = deadline
        piece = ChunkTemplate(id: id, created: created, model: model)
    }

    /// Appends the chunks of `events` (nil: the stream ended) to `out`; true when the exchange ended,
    /// its last event and `[DONE]` written.
    mutating func append(_ events: [ChatService.Event]?, to out: inout ByteBuffer) async throws -> Bool {
        guard let events else {
            finish(with: APIError.internalError("the model stream ended without finishing; the answer is incomplete"), into: &out)
            return true
        }
        for event in events {
            switch event {
            case .start(let p, _):
                provider = p
                var chunk = piece.start(provider: p)
                out.writeBuffer(&chunk)
            case .delta(let text):
                var chunk = piece.chunk(text)
                out.writeBuffer(&chunk)
            case .done(let answer):
                // Client-side tools are the client's to run: pass them on as OpenAI does.
                let encoder = JSONEncoder()
                for (index, call) in answer.toolCalls.enumerated() {
                    out.writeString("data: ")
                    out.writeBytes(try encoder.encode(ChatStreamChunk(id: id, created: created, model: model, choices: [.init(delta: .init(toolCalls: [
                        ToolCallDelta(index: index, id: call.id, name: call.function.name, arguments: call.function.arguments)]))])))
                    out.writeString("\n\n")
                }
                var chunk = try piece.final(answer)
                out.writeBuffer(&chunk)
                metrics.modelCall(provider: answer.provider, outcome: "ok", tokensIn: answer.usage.promptTokens, tokensOut: answer.usage.completionTokens)
                out.writeString("data: [DONE]\n\n")
                return true
            case .failed(let error):
                metrics.modelCall(provider: provider.isEmpty ? "-" : provider, outcome: error.code.rawValue, tokensIn: 0, tokensOut: 0)
                var shaped = APIError(error)
                if error.code == .timeout, deadline.expired {
                    // A stream's status is 200 (its head may have gone out long ago): the 504 travels as its last event.
                    shaped = deadline.error
                    try await deadline.recordTimeout()
                }
                finish(with: shaped, into: &out)
                return true
            }
        }
        return false
    }

    /// Ends the stream with an error event in the API's error shape (the status line is 200).
    private func finish(with error: APIError, into out: inout ByteBuffer) {
        out.writeString("data: ")
        out.writeBytes(error.body)
        out.writeString("\n\ndata: [DONE]\n\n")
    }
}

/// The bytes of a stream's chunks, written by hand from a per-stream prefix (issue 18): JSONEncoder's
/// generic containers were 6 % of a streamed answer's CPU. Each is the JSON the encoder makes of the
/// chunk (`ChatStreamChunk` for a text piece and the first chunk, `FinalChunk` for the last), keys in
/// the encoder's order, strings quoted as `JSONValue` writes them; `ChunkTemplateTests` holds them to it.
struct ChunkTemplate {
    /// `data: {"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":[{"index":0,"delta":{`
    private let head: [UInt8]
    private static let tail = Array(#"},"finish_reason":null}]}"#.utf8) + [0x0A, 0x0A]

    init(id: String, created: Int, model: String) {
        head = Array(#"data: {"id":"#.utf8) + JSONValue.string(id).jsonBytes
            + Array(#","object":"chat.completion.chunk","created":\#(created),"model":"#.utf8)
            + JSONValue.string(model).jsonBytes + Array(#","choices":[{"index":0,"delta":{"#.utf8)
    }

    /// A text piece: `ChatStreamChunk.from(.delta(text), …)`.
    func chunk(_ text: String) -> ByteBuffer {
        var out = head
        out.append(#""content":"#)
        JSONValue.quote(text, into: &out)
        out.append(contentsOf: Self.tail)
        return ByteBuffer(bytes: out)
    }

    /// The first chunk: the assistant's role, no text yet, and the provider answering.
    func start(provider: String) -> ByteBuffer {
        var out = head
        out.append(#""role":"assistant","content":""},"finish_reason":null}],"provider":"#)
        JSONValue.quote(provider, into: &out)
        out.append("}\n\n")
        return ByteBuffer(bytes: out)
    }

    /// The last chunk (`FinalChunk`): finish reason, usage of all rounds, what the answer rests on and
    /// the AI-generated marker. Citations, absent from most answers, still go through JSONEncoder.
    func final(_ answer: ChatService.Answer) throws -> ByteBuffer {
        var out = head
        out.reserveCapacity(out.count + 512)
        func raw(_ text: StaticString) { out.append(text) }
        func string(_ s: String) { JSONValue.quote(s, into: &out) }
        func int(_ n: Int) { out.append(contentsOf: String(n).utf8) }
        let marker = AnswerMarker(answer)
        raw(#"},"finish_reason":"#); string(answer.finishReason)
        raw(#"}],"usage":{"prompt_tokens":"#); int(answer.usage.promptTokens)
        raw(#","completion_tokens":"#); int(answer.usage.completionTokens)
        raw(#","total_tokens":"#); int(answer.usage.totalTokens)
        raw(#"},"provider":"#); string(answer.provider)
        raw(#","classification":"#); string(answer.classification.name)
        raw(#","citations":"#)
        if answer.citations.isEmpty { raw("[]") } else { out.append(contentsOf: try JSONEncoder().encode(answer.citations)) }
        raw(#","samarinda":{"ai_generated":"#); raw(marker.ai_generated ? "true" : "false")
        raw(#","request_id":"#); string(marker.request_id)
        if let id = marker.conversation_id { raw(#","conversation_id":"#); string(id) }
        raw(#","provider":"#); string(marker.provider)
        raw(#","classification":"#); string(marker.classification)
        if let n = marker.history_turns_omitted { raw(#","history_turns_omitted":"#); int(n) }
        raw("}}\n\n")
        return ByteBuffer(bytes: out)
    }
}

/// The last chunk: finish reason, usage of all rounds, what the answer rests on, and the AI-generated marker.
/// `ChunkTemplate.final` writes it by hand; the tests encode this type to check those bytes.
struct FinalChunk: Encodable {
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
