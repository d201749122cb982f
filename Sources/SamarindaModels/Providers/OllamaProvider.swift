import Foundation
import SamarindaCore

/// Ollama's native API (`/api/chat`, `/api/embed`, `/api/tags`); `base_url` is the server root,
/// e.g. `http://127.0.0.1:11434`. Streams are newline-delimited JSON.
public struct OllamaProvider: HTTPModelProvider {
    public let endpoint: ProviderEndpoint
    public init(endpoint: ProviderEndpoint) { self.endpoint = endpoint }

    private struct WireToolCall: Codable {
        struct Function: Codable { var name: String; var arguments: JSONValue? }
        var function: Function
    }
    private struct WireMessage: Codable {
        var role: String
        var content: String
        var tool_calls: [WireToolCall]?
    }
    private struct WireRequest: Encodable {
        var model: String
        var messages: [WireMessage]
        var stream: Bool
        var tools: [ToolDefinition]?
        var options: [String: Double]?
    }
    private struct WireAnswer: Decodable {
        var message: WireMessage?
        var done: Bool?
        var done_reason: String?
        var prompt_eval_count: Int?
        var eval_count: Int?
        var error: String?
    }

    private func body(_ call: ProviderCall, stream: Bool) throws -> Data {
        let messages = call.request.messages.map { m in
            WireMessage(role: m.role == .developer ? "system" : m.role.rawValue, content: m.content ?? "",
                        tool_calls: m.toolCalls?.map { WireToolCall(function: .init(
                            name: $0.function.name,
                            arguments: (try? JSONDecoder().decode(JSONValue.self, from: Data($0.function.arguments.utf8))) ?? .object([:]))) })
        }
        var options: [String: Double] = [:]
        if let t = call.request.temperature { options["temperature"] = t }
        if let n = call.request.maxTokens { options["num_predict"] = Double(n) }
        return try JSONEncoder().encode(WireRequest(model: call.model, messages: messages, stream: stream,
                                                    tools: call.request.tools, options: options.isEmpty ? nil : options))
    }


    private static func toolCalls(_ wire: [WireToolCall]?) -> [ToolCall]? {
        guard let wire, !wire.isEmpty else { return nil }
        return wire.enumerated().map { i, c in
            let args = c.function.arguments.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            return ToolCall(id: "call_\(i)_" + randomID(bytes: 4), name: c.function.name, arguments: args)
        }
    }

    public func chat(_ call: ProviderCall) async throws -> ChatResponse {
        let response = try await endpoint.send("/api/chat", body: body(call, stream: false))
        let a = try decodeJSON(WireAnswer.self, response.body, provider: config.name, what: "chat answer")
        if let e = a.error { throw ModelError(.providerError, "provider '\(config.name)': \(e)") }
        guard let m = a.message else { throw ModelError(.malformedResponse, "provider '\(config.name)' answered without a message") }
        let calls = Self.toolCalls(m.tool_calls)
        let usage = (a.prompt_eval_count != nil || a.eval_count != nil) ? Usage(promptTokens: a.prompt_eval_count ?? 0, completionTokens: a.eval_count ?? 0) : nil
        return ChatResponse(message: ChatMessage(role: .assistant, content: m.content, toolCalls: calls),
                            finishReason: calls != nil ? "tool_calls" : (a.done_reason == "length" ? "length" : "stop"),
                            usage: usage, provider: config.name, model: call.model)
    }

    public func stream(_ call: ProviderCall) async throws -> AsyncThrowingStream<[ChatStreamEvent], any Error> {
        let response = try await endpoint.stream("/api/chat", body: body(call, stream: true))
        return eventStream(response.body, StreamDecoder(provider: config.name))
    }

    /// Ollama's NDJSON answer as our events: one JSON object per line, until the one with `done: true`
    /// (lines after it in the same chunk are still read; later chunks are not). Ending without it is
    /// an interrupted answer.
    struct StreamDecoder: ProviderStreamDecoder {
        let provider: String
        private var lines = LineSplitter()
        private var toolIndex = 0
        private(set) var isComplete = false

        init(provider: String) { self.provider = provider }

        /// A line that cannot be read fails the chunk it came in, as it always has (its earlier lines' events are dropped).
        mutating func feed(_ chunk: Data) -> (events: [ChatStreamEvent], failure: (any Error)?) {
            var batch: [ChatStreamEvent] = []
            do {
                for line in try lines.feed(chunk) { try handle(line, into: &batch) }
            } catch {
                return ([], error)
            }
            return (batch, nil)
        }

        mutating func finish() -> (events: [ChatStreamEvent], failure: (any Error)?) {
            var batch: [ChatStreamEvent] = []
            if !isComplete, let rest = lines.finish() {
                do { try handle(rest, into: &batch) } catch { return ([], error) }
            }
            guard isComplete else {
                return (batch, streamClosedEarly(provider))
            }
            return (batch, nil)
        }

        private mutating func handle(_ line: String, into batch: inout [ChatStreamEvent]) throws {
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
            let a = try decodeJSON(WireAnswer.self, Data(line.utf8), provider: provider, what: "stream line")
            if let e = a.error { throw ModelError(.providerError, "provider '\(provider)': \(e)", beforeFirstByte: false) }
            if let text = a.message?.content, !text.isEmpty { batch.append(.delta(text)) }
            for c in OllamaProvider.toolCalls(a.message?.tool_calls) ?? [] {
                batch.append(.toolCall(ToolCallDelta(index: toolIndex, id: c.id, name: c.function.name, arguments: c.function.arguments)))
                toolIndex += 1
            }
            if a.done == true {
                isComplete = true
                if a.prompt_eval_count != nil || a.eval_count != nil {
                    batch.append(.usage(Usage(promptTokens: a.prompt_eval_count ?? 0, completionTokens: a.eval_count ?? 0)))
                }
                batch.append(.finish(reason: toolIndex > 0 ? "tool_calls" : (a.done_reason == "length" ? "length" : "stop")))
            }
        }
    }

    public func embed(_ inputs: [String]) async throws -> EmbeddingResponse {
        struct Body: Encodable { var model: String; var input: [String] }
        struct Answer: Decodable { var embeddings: [[Float]]; var prompt_eval_count: Int? }
        let response = try await endpoint.send("/api/embed", body: JSONEncoder().encode(Body(model: config.wireEmbeddingModel, input: inputs)))
        let a = try decodeJSON(Answer.self, response.body, provider: config.name, what: "embeddings response")
        guard a.embeddings.count == inputs.count else {
            throw ModelError(.malformedResponse, "provider '\(config.name)' returned \(a.embeddings.count) embeddings for \(inputs.count) inputs")
        }
        return EmbeddingResponse(vectors: a.embeddings, usage: a.prompt_eval_count.map { Usage(promptTokens: $0, completionTokens: 0) },
                                 provider: config.name, model: config.wireEmbeddingModel)
    }

    public func listModels() async throws -> [ModelInfo] {
        struct Answer: Decodable { struct M: Decodable { var name: String }; var models: [M] }
        let response = try await endpoint.send("/api/tags", body: nil)
        return try decodeJSON(Answer.self, response.body, provider: config.name, what: "model list").models.map { ModelInfo(id: $0.name, ownedBy: config.name) }
    }
}
