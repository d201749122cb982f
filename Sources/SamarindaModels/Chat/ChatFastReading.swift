import Foundation
import SamarindaCore

// The common shapes of chat JSON read with `JSONCursor` instead of JSONDecoder (issue 18: the Codable
// containers were a visible share of every completion's CPU). Each reader yields exactly what the type's
// `init(from:)` would, or misses (a shape it does not cover, a duplicate key, a type JSONDecoder would
// refuse) so that the caller decodes with JSONDecoder as before. `ChatFastReadingTests` holds them to
// JSONDecoder's result on ordinary and hostile input.

extension ChatMessage {
    /// A message with text (or null) content: role, content, name, tool_call_id; misses on tool calls and
    /// on content given as parts.
    public static func read(_ c: inout JSONCursor) throws -> ChatMessage {
        var role: ChatRole?, content: String?, name: String?, toolCallID: String?
        try c.object { c, key in
            switch key {
            case "role":
                guard let r = ChatRole(rawValue: try c.string()) else { throw JSONCursor.Miss() }
                role = r
            case "content": content = c.null() ? nil : try c.string()
            case "name": name = c.null() ? nil : try c.string()
            case "tool_call_id": toolCallID = c.null() ? nil : try c.string()
            case "tool_calls": guard c.null() else { throw JSONCursor.Miss() }
            default: try c.skip()
            }
        }
        guard let role else { throw JSONCursor.Miss() }
        return ChatMessage(role: role, content: content, toolCallID: toolCallID, name: name)
    }
}

extension Usage {
    static func read(_ c: inout JSONCursor) throws -> Usage {
        var prompt = 0, completion = 0
        try c.object { c, key in
            switch key {
            case "prompt_tokens": prompt = c.null() ? 0 : try c.integer()
            case "completion_tokens": completion = c.null() ? 0 : try c.integer()
            default: try c.skip()
            }
        }
        return Usage(promptTokens: prompt, completionTokens: completion)
    }
}

extension ChatResponse {
    /// An OpenAI `chat.completion` whose choices carry text; nil for anything else (decode it with JSONDecoder).
    public static func fastRead(_ data: some ContiguousBytes) -> ChatResponse? {
        JSONCursor.read(data) { c in
            var id = "", created = 0, model = "", provider = "", usage: Usage?
            var first: (message: ChatMessage, finishReason: String?)?
            try c.object { c, key in
                switch key {
                case "id": id = c.null() ? "" : try c.string()
                case "created": created = c.null() ? 0 : try c.integer()
                case "model": model = c.null() ? "" : try c.string()
                case "provider": provider = c.null() ? "" : try c.string()
                case "usage": usage = c.null() ? nil : try Usage.read(&c)
                case "choices":
                    try c.array { c in
                        let choice = try readChoice(&c)
                        if first == nil { first = choice }
                    }
                default: try c.skip()
                }
            }
            guard let first else { throw JSONCursor.Miss() }  // no choices: JSONDecoder says so
            return ChatResponse(id: id, created: created, message: first.message, finishReason: first.finishReason ?? "stop",
                                usage: usage, provider: provider, model: model)
        }
    }

    private static func readChoice(_ c: inout JSONCursor) throws -> (message: ChatMessage, finishReason: String?) {
        var index: Int?, message: ChatMessage?, finishReason: String?
        try c.object { c, key in
            switch key {
            case "index": index = try c.integer()
            case "message": message = try ChatMessage.read(&c)
            case "finish_reason": finishReason = c.null() ? nil : try c.string()
            default: try c.skip()
            }
        }
        guard index != nil, let message else { throw JSONCursor.Miss() }
        return (message, finishReason)
    }
}

extension ChatStreamChunk {
    /// An OpenAI `chat.completion.chunk` whose deltas carry text; nil for anything else (decode it with JSONDecoder).
    public static func fastRead(_ data: some ContiguousBytes) -> ChatStreamChunk? {
        JSONCursor.read(data) { c in
            var id = "", object = "chat.completion.chunk", created = 0, model = "", provider: String?
            var choices: [Choice] = [], usage: Usage?
            try c.object { c, key in
                switch key {
                case "id": id = c.null() ? "" : try c.string()
                case "object": object = c.null() ? "chat.completion.chunk" : try c.string()
                case "created": created = c.null() ? 0 : try c.integer()
                case "model": model = c.null() ? "" : try c.string()
                case "provider": provider = c.null() ? nil : try c.string()
                case "usage": usage = c.null() ? nil : try Usage.read(&c)
                case "choices":
                    if !c.null() { try c.array { c in choices.append(try readChoice(&c)) } }
                default: try c.skip()
                }
            }
            var chunk = ChatStreamChunk(id: id, created: created, model: model, choices: choices, usage: usage, provider: provider)
            chunk.object = object
            return chunk
        }
    }

    private static func readChoice(_ c: inout JSONCursor) throws -> Choice {
        var index = 0, delta = Delta(), finishReason: String?
        try c.object { c, key in
            switch key {
            case "index": index = c.null() ? 0 : try c.integer()
            case "finish_reason": finishReason = c.null() ? nil : try c.string()
            case "delta":
                if c.null() { break }
                try c.object { c, key in
                    switch key {
                    case "role":
                        if c.null() { break }
                        guard let r = ChatRole(rawValue: try c.string()) else { throw JSONCursor.Miss() }
                        delta.role = r
                    case "content": delta.content = c.null() ? nil : try c.string()
                    case "tool_calls": guard c.null() else { throw JSONCursor.Miss() }
                    default: try c.skip()
                    }
                }
            default: try c.skip()
            }
        }
        return Choice(index: index, delta: delta, finishReason: finishReason)
    }
}
