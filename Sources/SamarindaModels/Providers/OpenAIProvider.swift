import Foundation
import SamarindaCore

/// Any OpenAI-compatible server: vLLM, llama.cpp `llama-server`, Ollama's `/v1`,
/// or a paid API. `base_url` ends with the version (`http://127.0.0.1:8081/v1`).
public struct OpenAIProvider: HTTPModelProvider {
    public let endpoint: ProviderEndpoint
    public init(endpoint: ProviderEndpoint) { self.endpoint = endpoint }

    func body(_ call: ProviderCall, stream: Bool) throws -> Data {
        var r = call.request
        r.model = call.model
        r.classification = nil // our field; not the provider's business
        r.stream = stream ? true : nil
        // Written by hand: JSONEncoder's generic containers were about a tenth of the gateway's CPU per
        // completion (perf, issue 18). `WireRequest` (the same JSON through JSONEncoder) is what tests
        // check these bytes against.
        return Data(Self.wireJSON(r, includeUsage: stream))
    }

    /// The request as OpenAI's JSON: the fields `ChatRequest.encode` writes (not `classification`,
    /// which the caller has cleared), plus `stream_options.include_usage` when `includeUsage`.
    static func wireJSON(_ r: ChatRequest, includeUsage: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + r.messages.reduce(0) { $0 + ($1.content?.utf8.count ?? 0) + 48 })
        func key(_ name: StaticString, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(name)
            out.append(contentsOf: "\":".utf8)
        }
        func string(_ s: String) { JSONValue.quote(s, into: &out) }
        func value(_ v: JSONValue) { out.append(contentsOf: v.jsonBytes) }
        out.append(UInt8(ascii: "{"))
        key("model", first: true); string(r.model)
        key("messages"); ChatMessage.writeJSON(r.messages, into: &out)
        if let tools = r.tools {
            key("tools")
            out.append(UInt8(ascii: "["))
            for (i, t) in tools.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "{"))
                key("type", first: true); string(t.type)
                key("function"); out.append(UInt8(ascii: "{"))
                key("name", first: true); string(t.function.name)
                if let d = t.function.description { key("description"); string(d) }
                if let p = t.function.parameters { key("parameters"); value(p) }
                out.append(contentsOf: "}}".utf8)
            }
            out.append(UInt8(ascii: "]"))
        }
        if let choice = r.toolChoice { key("tool_choice"); value(choice) }
        if let m = r.maxTokens { key("max_tokens"); out.append(contentsOf: String(m).utf8) }
        if let t = r.temperature { key("temperature"); value(.number(t)) }
        if let s = r.stream { key("stream"); out.append(contentsOf: (s ? "true" : "false").utf8) }
        if includeUsage { key("stream_options"); out.append(contentsOf: #"{"include_usage":true}"#.utf8) }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The request as sent: OpenAI's fields plus, when streaming, `stream_options.include_usage` (usage
    /// in the final chunk; servers that do not know the option ignore it).
    struct WireRequest: Encodable {
        var request: ChatRequest
        var includeUsage: Bool
        enum Keys: String, CodingKey { case streamOptions = "stream_options" }
        struct StreamOptions: Encodable { var include_usage = true }

        func encode(to encoder: any Encoder) throws {
            try request.encode(to: encoder)
            guard includeUsage else { return }
            // A second keyed container on the same encoder adds to the same object.
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(StreamOptions(), forKey: .streamOptions)
        }
    }


    public func chat(_ call: ProviderCall) async throws -> ChatResponse {
        let response = try await endpoint.send("/chat/completions", body: body(call, stream: false))
        var answer = try ChatResponse.fastRead(response.body)
            ?? decodeJSON(ChatResponse.self, response.body, provider: config.name, what: "chat completion")
        answer.provider = config.name
        if answer.model.isEmpty { answer.model = call.model }
        return answer
    }

    public func stream(_ call: ProviderCall) async throws -> AsyncThrowingStream<[ChatStreamEvent], any Error> {
        let response = try await endpoint.stream("/chat/completions", body: body(call, stream: true))
        return eventStream(response.body, OpenAIStreamDecoder(provider: config.name))
    }

    public func embed(_ inputs: [String]) async throws -> EmbeddingResponse {
        struct Body: Encodable { var model: String; var input: [String] }
        struct Answer: Decodable {
            struct Item: Decodable { var index: Int?; var embedding: [Float] }
            var data: [Item]
            var usage: Usage?
            var model: String?
        }
        let data = try JSONEncoder().encode(Body(model: config.wireEmbeddingModel, input: inputs))
        let response = try await endpoint.send("/embeddings", body: data)
        let answer = try decodeJSON(Answer.self, response.body, provider: config.name, what: "embeddings response")
        guard answer.data.count == inputs.count else {
            throw ModelError(.malformedResponse, "provider '\(config.name)' returned \(answer.data.count) embeddings for \(inputs.count) inputs")
        }
        let ordered = answer.data.enumerated().sorted { ($0.element.index ?? $0.offset) < ($1.element.index ?? $1.offset) }.map(\.element.embedding)
        return EmbeddingResponse(vectors: ordered, usage: answer.usage, provider: config.name, model: answer.model ?? config.wireEmbeddingModel)
    }

    public func listModels() async throws -> [ModelInfo] {
        struct Answer: Decodable { var data: [ModelInfo] }
        let response = try await endpoint.send("/models", body: nil)
        return try decodeJSON(Answer.self, response.body, provider: config.name, what: "model list").data
    }
}

/// An OpenAI-compatible SSE answer as our events: one `chat.completion.chunk` per event, until
/// `data: [DONE]` (bytes after it are not read). Ending without `[DONE]` is complete if a finish
/// reason came (the last events are read from what is left), and interrupted otherwise.
struct OpenAIStreamDecoder: ProviderStreamDecoder {
    let provider: String
    private var parser = ServerSentEventParser()
    private var finished = false
    private(set) var isComplete = false

    init(provider: String) { self.provider = provider }

    /// The events before a chunk that cannot be read still reach the caller, then the error: an
    /// answer that broke off after some text is interrupted, not one that never started.
    mutating func feed(_ chunk: Data) -> (events: [ChatStreamEvent], failure: (any Error)?) {
        var batch: [ChatStreamEvent] = []
        do {
            for event in try parser.feed(chunk) {
                if event.data == "[DONE]" { isComplete = true; break }
                try append(event.data, to: &batch)
            }
        } catch {
            return (batch, error)
        }
        return (batch, nil)
    }

    mutating func finish() -> (events: [ChatStreamEvent], failure: (any Error)?) {
        var tail: [ChatStreamEvent] = []
        if !isComplete {
            do {
                for event in parser.finish() where event.data != "[DONE]" { try append(event.data, to: &tail) }
            } catch {
                return (tail, error)
            }
        }
        if !finished && !isComplete {
            return (tail, streamClosedEarly(provider))
        }
        if !finished { tail.append(.finish(reason: "stop")) }
        return (tail, nil)
    }

    private mutating func append(_ data: String, to batch: inout [ChatStreamEvent]) throws {
        for e in events(of: try streamChunk(data, provider: provider)) {
            if case .finish = e { finished = true }
            batch.append(e)
        }
    }
}

/// One SSE event's data as a chunk: read in place when it has the common shape, else with JSONDecoder.
func streamChunk(_ data: String, provider: String) throws -> ChatStreamChunk {
    var data = data
    if let fast = data.withUTF8({ ChatStreamChunk.fastRead(UnsafeRawBufferPointer($0)) }) { return fast }
    return try decodeJSON(ChatStreamChunk.self, Data(data.utf8), provider: provider, what: "stream chunk")
}

/// Our events for one OpenAI chunk (only the first choice is used).
func events(of chunk: ChatStreamChunk) -> [ChatStreamEvent] {
    var out: [ChatStreamEvent] = []
    if let choice = chunk.choices.first {
        if let text = choice.delta.content, !text.isEmpty { out.append(.delta(text)) }
        for call in choice.delta.toolCalls ?? [] { out.append(.toolCall(call)) }
        if let reason = choice.finishReason { out.append(.finish(reason: reason)) }
    }
    if let usage = chunk.usage { out.append(.usage(usage)) }
    return out
}
