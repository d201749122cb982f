import Foundation
import SamarindaCore

// The chat types follow OpenAI's chat completions JSON field for field, so the
// same values decode what providers send and encode what our own
// OpenAI-compatible API returns. Our additions (`classification`, `provider`)
// are extra fields OpenAI clients ignore.

public enum ChatRole: String, Sendable, Codable, Equatable {
    case system, user, assistant, tool
    /// OpenAI's newer name for `system`.
    case developer
}

/// A function the model asked to call.
public struct ToolCall: Sendable, Codable, Equatable {
    public struct Function: Sendable, Codable, Equatable {
        public var name: String
        /// The arguments as a JSON text, exactly as the model produced them (may be invalid JSON).
        public var arguments: String
        public init(name: String, arguments: String) {
            self.name = name
            self.arguments = arguments
        }
    }
    public var id: String
    public var type: String
    public var function: Function

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.type = "function"
        self.function = Function(name: name, arguments: arguments)
    }

    enum CodingKeys: String, CodingKey { case id, type, function }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id) ?? ""
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? "function"
        function = try c.decode(Function.self, forKey: .function)
    }
}

public struct ChatMessage: Sendable, Codable, Equatable {
    public var role: ChatRole
    /// Text content; nil for an assistant turn that only calls tools.
    public var content: String?
    public var toolCalls: [ToolCall]?
    /// For `role = tool`: the call this message answers.
    public var toolCallID: String?
    public var name: String?

    public init(role: ChatRole, content: String?, toolCalls: [ToolCall]? = nil, toolCallID: String? = nil, name: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.name = name
    }

    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: .system, content: text) }
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: .user, content: text) }
    public static func assistant(_ text: String) -> ChatMessage { ChatMessage(role: .assistant, content: text) }
    public static func tool(_ text: String, callID: String) -> ChatMessage { ChatMessage(role: .tool, content: text, toolCallID: callID) }

    enum CodingKeys: String, CodingKey {
        case role, content, name
        case toolCalls = "tool_calls"
        case toolCallID = "tool_call_id"
    }

    private struct ContentPart: Decodable {
        var type: String
        var text: String?
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        role = try c.decode(ChatRole.self, forKey: .role)
        // `content` may be a string, null, or (newer clients) an array of parts; we keep the text parts.
        if let text = try? c.decodeIfPresent(String.self, forKey: .content) {
            content = text
        } else if let parts = try? c.decodeIfPresent([ContentPart].self, forKey: .content) {
            content = parts.compactMap { $0.type == "text" ? $0.text : nil }.joined()
        } else if try !c.contains(.content) || c.decodeNil(forKey: .content) {  // absent first: decodeNil throws on a missing key
            content = nil
        } else {
            throw DecodingError.dataCorruptedError(forKey: .content, in: c, debugDescription: "content must be a string, null or an array of text parts")
        }
        toolCalls = try c.decodeIfPresent([ToolCall].self, forKey: .toolCalls)
        toolCallID = try c.decodeIfPresent(String.self, forKey: .toolCallID)
        name = try c.decodeIfPresent(String.self, forKey: .name)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(role, forKey: .role)
        // OpenAI expects `"content": null` (not a missing key) on tool-calling assistant turns.
        try c.encode(content, forKey: .content)
        try c.encodeIfPresent(toolCalls, forKey: .toolCalls)
        try c.encodeIfPresent(toolCallID, forKey: .toolCallID)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

/// A function tool offered to the model (OpenAI `tools[]` entry).
public struct ToolDefinition: Sendable, Codable, Equatable {
    public struct Function: Sendable, Codable, Equatable {
        public var name: String
        public var description: String?
        /// JSON Schema of the arguments.
        public var parameters: JSONValue?
        public init(name: String, description: String? = nil, parameters: JSONValue? = nil) {
            self.name = name
            self.description = description
            self.parameters = parameters
        }
    }
    public var type: String
    public var function: Function

    public init(name: String, description: String? = nil, parameters: JSONValue? = nil) {
        type = "function"
        function = Function(name: name, description: description, parameters: parameters)
    }
}

public struct ChatRequest: Sendable, Codable, Equatable {
    /// A model alias from `[models]` (e.g. `samarinda-default`), or a provider name.
    public var model: String
    public var messages: [ChatMessage]
    public var tools: [ToolDefinition]?
    public var toolChoice: JSONValue?
    public var maxTokens: Int?
    public var temperature: Double?
    public var stream: Bool?
    /// The data level the caller states for this request; the router raises it to that of passages and tool outputs.
    public var classification: Classification?

    public init(model: String = "samarinda-default", messages: [ChatMessage], tools: [ToolDefinition]? = nil,
                maxTokens: Int? = nil, temperature: Double? = nil, stream: Bool? = nil, classification: Classification? = nil) {
        self.model = model
        self.messages = messages
        self.tools = tools
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.stream = stream
        self.classification = classification
    }

    // One key per property, so `encode(to:)` is the synthesized one (optionals left out when nil).
    enum CodingKeys: String, CodingKey {
        case model, messages, tools, temperature, stream, classification
        case toolChoice = "tool_choice"
        case maxTokens = "max_tokens"
    }
    /// Read but not kept: OpenAI's newer name for `max_tokens`, and fields the service checks for range
    /// only (it does not pass them on).
    private enum CheckedOnlyKeys: String, CodingKey {
        case maxCompletionTokens = "max_completion_tokens"
        case topP = "top_p", n, presencePenalty = "presence_penalty", frequencyPenalty = "frequency_penalty"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let checked = try decoder.container(keyedBy: CheckedOnlyKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model) ?? "samarinda-default"
        messages = try c.decode([ChatMessage].self, forKey: .messages)
        tools = try c.decodeIfPresent([ToolDefinition].self, forKey: .tools)
        toolChoice = try c.decodeIfPresent(JSONValue.self, forKey: .toolChoice)
        // Numbers from the caller are range-checked here, before any arithmetic sees them (issue 15).
        maxTokens = try c.decodeWholeNumber(.maxTokens, in: RequestLimits.maxTokens)
            ?? checked.decodeWholeNumber(.maxCompletionTokens, in: RequestLimits.maxTokens)
        temperature = try c.decodeNumber(.temperature, in: RequestLimits.temperature)
        _ = try checked.decodeNumber(.topP, in: RequestLimits.topP)
        _ = try checked.decodeWholeNumber(.n, in: RequestLimits.choices)
        _ = try checked.decodeNumber(.presencePenalty, in: RequestLimits.penalty)
        _ = try checked.decodeNumber(.frequencyPenalty, in: RequestLimits.penalty)
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream)
        classification = try c.decodeIfPresent(Classification.self, forKey: .classification)
    }

    /// The text of the last user turn (the question, for retrieval and the offline provider).
    public var lastUserText: String {
        messages.last { $0.role == .user }?.content ?? ""
    }
}

public struct Usage: Sendable, Codable, Equatable {
    /// Counts are clamped into 0...2^50 wherever a Usage is made (providers report them: a negative or
    /// absurd count must not trap the sums made of it).
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int { BudgetMath.add(promptTokens, completionTokens) }

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = BudgetMath.clamp(promptTokens)
        self.completionTokens = BudgetMath.clamp(completionTokens)
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        promptTokens = BudgetMath.clamp(try c.decodeIfPresent(Int.self, forKey: .promptTokens) ?? 0)
        completionTokens = BudgetMath.clamp(try c.decodeIfPresent(Int.self, forKey: .completionTokens) ?? 0)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(promptTokens, forKey: .promptTokens)
        try c.encode(completionTokens, forKey: .completionTokens)
        try c.encode(totalTokens, forKey: .totalTokens)
    }
}

/// A complete answer. Encodes as an OpenAI `chat.completion` object (one choice).
public struct ChatResponse: Sendable, Codable, Equatable {
    public var id: String
    public var created: Int
    public var message: ChatMessage
    /// `stop`, `length`, `tool_calls`, `content_filter`.
    public var finishReason: String
    public var usage: Usage?
    /// The provider that answered (our addition) and the provider's model name.
    public var provider: String
    public var model: String

    public init(id: String = "chatcmpl-" + randomID(), created: Int = Int(Date().timeIntervalSince1970), message: ChatMessage,
                finishReason: String, usage: Usage?, provider: String, model: String) {
        self.id = id
        self.created = created
        self.message = message
        self.finishReason = finishReason
        self.usage = usage
        self.provider = provider
        self.model = model
    }

    private struct Choice: Codable {
        var index: Int
        var message: ChatMessage
        var finishReason: String?
        enum CodingKeys: String, CodingKey {
            case index, message
            case finishReason = "finish_reason"
        }
    }

    enum CodingKeys: String, CodingKey { case id, object, created, model, choices, usage, provider }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id) ?? ""
        created = try c.decodeIfPresent(Int.self, forKey: .created) ?? 0
        model = try c.decodeIfPresent(String.self, forKey: .model) ?? ""
        provider = try c.decodeIfPresent(String.self, forKey: .provider) ?? ""
        usage = try c.decodeIfPresent(Usage.self, forKey: .usage)
        let choices = try c.decode([Choice].self, forKey: .choices)
        guard let first = choices.first else {
            throw DecodingError.dataCorruptedError(forKey: .choices, in: c, debugDescription: "no choices in the response")
        }
        message = first.message
        finishReason = first.finishReason ?? "stop"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode("chat.completion", forKey: .object)
        try c.encode(created, forKey: .created)
        try c.encode(model, forKey: .model)
        try c.encode([Choice(index: 0, message: message, finishReason: finishReason)], forKey: .choices)
        try c.encodeIfPresent(usage, forKey: .usage)
        try c.encode(provider, forKey: .provider)
    }
}

/// A piece of a tool call as it streams: the first piece carries `id` and `name`, later ones more `arguments` text.
public struct ToolCallDelta: Sendable, Codable, Equatable {
    public struct Function: Sendable, Codable, Equatable {
        public var name: String?
        public var arguments: String?
        public init(name: String? = nil, arguments: String? = nil) {
            self.name = name
            self.arguments = arguments
        }
    }
    public var index: Int
    public var id: String?
    public var type: String?
    public var function: Function?

    public init(index: Int, id: String? = nil, name: String? = nil, arguments: String? = nil) {
        self.index = index
        self.id = id
        self.type = id == nil ? nil : "function"
        self.function = Function(name: name, arguments: arguments)
    }
}

/// What a streamed chat yields, in order: `start`, then `delta`/`toolCall` pieces, then `usage` and `finish`,
/// or `error` (after which nothing follows). A stream never ends silently: it ends with `finish` or `error`.
public enum ChatStreamEvent: Sendable, Equatable {
    /// The provider chosen (after routing) and its model name.
    case start(provider: String, model: String)
    case delta(String)
    case toolCall(ToolCallDelta)
    case usage(Usage)
    case finish(reason: String)
    case error(ModelError)
}

/// One OpenAI `chat.completion.chunk`, for decoding provider streams and encoding ours.
public struct ChatStreamChunk: Sendable, Codable, Equatable {
    public struct Delta: Sendable, Codable, Equatable {
        public var role: ChatRole?
        public var content: String?
        public var toolCalls: [ToolCallDelta]?
        enum CodingKeys: String, CodingKey {
            case role, content
            case toolCalls = "tool_calls"
        }
        public init(role: ChatRole? = nil, content: String? = nil, toolCalls: [ToolCallDelta]? = nil) {
            self.role = role
            self.content = content
            self.toolCalls = toolCalls
        }
    }
    public struct Choice: Sendable, Codable, Equatable {
        public var index: Int
        public var delta: Delta
        public var finishReason: String?
        enum CodingKeys: String, CodingKey {
            case index, delta
            case finishReason = "finish_reason"
        }
        public init(index: Int = 0, delta: Delta, finishReason: String? = nil) {
            self.index = index
            self.delta = delta
            self.finishReason = finishReason
        }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            index = try c.decodeIfPresent(Int.self, forKey: .index) ?? 0
            delta = try c.decodeIfPresent(Delta.self, forKey: .delta) ?? Delta()
            finishReason = try c.decodeIfPresent(String.self, forKey: .finishReason)
        }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(delta, forKey: .delta)
            try c.encode(finishReason, forKey: .finishReason)
        }
    }
    public var id: String
    public var object: String
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: Usage?
    public var provider: String?

    public init(id: String, created: Int, model: String, choices: [Choice], usage: Usage? = nil, provider: String? = nil) {
        self.id = id
        self.object = "chat.completion.chunk"
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
        self.provider = provider
    }

    enum CodingKeys: String, CodingKey { case id, object, created, model, choices, usage, provider }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id) ?? ""
        object = try c.decodeIfPresent(String.self, forKey: .object) ?? "chat.completion.chunk"
        created = try c.decodeIfPresent(Int.self, forKey: .created) ?? 0
        model = try c.decodeIfPresent(String.self, forKey: .model) ?? ""
        choices = try c.decodeIfPresent([Choice].self, forKey: .choices) ?? []
        usage = try c.decodeIfPresent(Usage.self, forKey: .usage)
        provider = try c.decodeIfPresent(String.self, forKey: .provider)
    }

    /// The OpenAI chunk for one of our stream events (nil for `start` and `error`, which the server frames itself).
    public static func from(_ event: ChatStreamEvent, id: String, created: Int, model: String) -> ChatStreamChunk? {
        switch event {
        case .start, .error: return nil
        case .delta(let text):
            return ChatStreamChunk(id: id, created: created, model: model, choices: [Choice(delta: Delta(content: text))])
        case .toolCall(let d):
            return ChatStreamChunk(id: id, created: created, model: model, choices: [Choice(delta: Delta(toolCalls: [d]))])
        case .usage(let u):
            return ChatStreamChunk(id: id, created: created, model: model, choices: [], usage: u)
        case .finish(let reason):
            return ChatStreamChunk(id: id, created: created, model: model, choices: [Choice(delta: Delta(), finishReason: reason)])
        }
    }
}

// MARK: - Embeddings and model listing

public struct EmbeddingRequest: Sendable, Codable, Equatable {
    public var model: String
    public var input: [String]
    public var classification: Classification?

    public init(model: String, input: [String], classification: Classification? = nil) {
        self.model = model
        self.input = input
        self.classification = classification
    }

    enum CodingKeys: String, CodingKey { case model, input, classification }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model) ?? "samarinda-default"
        if let one = try? c.decode(String.self, forKey: .input) { input = [one] } else { input = try c.decode([String].self, forKey: .input) }
        guard RequestLimits.embeddingInputs.contains(input.count) else {
            throw RequestFieldError(field: "input", message: "must hold from \(RequestLimits.embeddingInputs.lowerBound) to \(RequestLimits.embeddingInputs.upperBound) texts; got \(input.count)")
        }
        classification = try c.decodeIfPresent(Classification.self, forKey: .classification)
    }
}

public struct EmbeddingResponse: Sendable, Equatable {
    public var vectors: [[Float]]
    public var usage: Usage?
    public var provider: String
    public var model: String
    public init(vectors: [[Float]], usage: Usage?, provider: String, model: String) {
        self.vectors = vectors
        self.usage = usage
        self.provider = provider
        self.model = model
    }

    /// The OpenAI `/v1/embeddings` response body.
    public func openAIJSON() throws -> Data {
        struct Item: Encodable { var object = "embedding"; var index: Int; var embedding: [Float] }
        struct Body: Encodable { var object = "list"; var data: [Item]; var model: String; var usage: Usage?; var provider: String }
        return try JSONEncoder().encode(Body(data: vectors.enumerated().map { Item(index: $0.offset, embedding: $0.element) },
                                             model: model, usage: usage, provider: provider))
    }
}

/// One entry of `GET /v1/models`.
public struct ModelInfo: Sendable, Codable, Equatable {
    public var id: String
    public var object: String = "model"
    public var ownedBy: String
    enum CodingKeys: String, CodingKey {
        case id, object
        case ownedBy = "owned_by"
    }
    public init(id: String, ownedBy: String) {
        self.id = id
        self.ownedBy = ownedBy
    }
}

/// A short random identifier (hex).
public func randomID(bytes: Int = 12) -> String {
    // Hex digits written as bytes: `String(format:)` per byte was a visible share of every chat completion.
    // Eight random bytes per draw: `UInt8.random` drew a whole UInt64 (one getrandom system call,
    // strace showed) for every byte, i.e. 12 system calls for one completion id.
    let digits = Array("0123456789abcdef".utf8)
    var g = SystemRandomNumberGenerator()
    var out: [UInt8] = []
    out.reserveCapacity(bytes * 2)
    var word: UInt64 = 0
    for i in 0..<bytes {
        if i % 8 == 0 { word = g.next() }
        let b = UInt8(truncatingIfNeeded: word)
        word >>= 8
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
}

extension ChatMessage {
    /// The messages as JSON in one fixed key order (`role`, `content`, `tool_calls`, `tool_call_id`,
    /// `name`; strings escaped as JSONEncoder escapes them), for the `prompt` digest of every
    /// `model.call` event. This was `JSONEncoder().encode(messages)`, which writes keys in hash order:
    /// it changed between runs and even between calls (issue 18's test caught it), so the same prompt
    /// did not always give the same digest, and it was ~3% of the CPU of a completion (perf).
    /// A test checks the JSON equals JSONEncoder's for every ASCII character and hostile text.
    public static func encoderJSON(_ messages: [ChatMessage]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(messages.reduce(2) { $0 + ($1.content?.utf8.count ?? 0) + 40 })
        writeJSON(messages, into: &out)
        return out
    }

    /// Appends `encoderJSON`'s bytes to `out`: also the `messages` of the body sent to an OpenAI-compatible
    /// provider (`OpenAIProvider.wireJSON`), so the two cannot drift apart.
    public static func writeJSON(_ messages: [ChatMessage], into out: inout [UInt8]) {
        func raw(_ text: StaticString) { out.append(text) }
        func string(_ s: String) { JSONValue.quote(s, into: &out, likeJSONEncoder: true) }
        raw("[")
        for (i, m) in messages.enumerated() {
            if i > 0 { raw(",") }
            raw(#"{"role":"#); string(m.role.rawValue)
            raw(#","content":"#)
            if let c = m.content { string(c) } else { raw("null") }
            if let calls = m.toolCalls {
                raw(#","tool_calls":["#)
                for (j, t) in calls.enumerated() {
                    if j > 0 { raw(",") }
                    raw(#"{"id":"#); string(t.id)
                    raw(#","type":"#); string(t.type)
                    raw(#","function":{"name":"#); string(t.function.name)
                    raw(#","arguments":"#); string(t.function.arguments)
                    raw("}}")
                }
                raw("]")
            }
            if let id = m.toolCallID { raw(#","tool_call_id":"#); string(id) }
            if let name = m.name { raw(#","name":"#); string(name) }
            raw("}")
        }
        raw("]")
    }
}
