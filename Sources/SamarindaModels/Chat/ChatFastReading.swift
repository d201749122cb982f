import Foundation
import SamarindaCore

// The common shapes of chat JSON read with `JSONCursor` instead of JSONDecoder (issue 18: the Codable
// containers were a visible share of every completion's CPU). Each reader yields exactly what the type's
// `init(from:)` would, or misses (a shape it does not cover, a duplicate key, a type JSONDecoder would
// refuse) so that the caller decodes with JSONDecoder as before. `ChatFastReadingTests` holds them to
// JSONDecoder's result on ordinary and hostile input.

/// Throws `JSONCursor.Miss` when `key` was already seen in this object (JSONDecoder's choice between
/// duplicates is its own to make).
struct SeenKeys {
    private var bits: UInt32 = 0
    mutating func first(_ bit: Int) throws {
        let mask: UInt32 = 1 << UInt32(bit)
        guard bits & mask == 0 else { throw JSONCursor.Miss() }
        bits |= mask
    }
}

extension ChatMessage {
    /// A message with text (or null) content: role, content, name, tool_call_id; misses on tool calls and
    /// on content given as parts.
    public static func read(_ c: inout JSONCursor) throws -> ChatMessage {
        var role: ChatRole?, content: String?, name: String?, toolCallID: String?
        var seen = SeenKeys()
        try c.object { c, key in
            switch key {
            case "role":
                try seen.first(0)
                guard let r = ChatRole(rawValue: try c.string()) else { throw JSONCursor.Miss() }
                role = r
            case "content": try seen.first(1); content = c.null() ? nil : try c.string()
            case "name": try seen.first(2); name = c.null() ? nil : try c.string()
            case "tool_call_id": try seen.first(3); toolCallID = c.null() ? nil : try c.string()
            case "tool_calls": try seen.first(4); guard c.null() else { throw JSONCursor.Miss() }
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
        var seen = SeenKeys()
        try c.object { c, key in
            switch key {
            case "prompt_tokens": try seen.first(0); prompt = c.null() ? 0 : try c.integer()
            case "completion_tokens": try seen.first(1); completion = c.null() ? 0 : try c.integer()
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
            var seen = SeenKeys()
            try c.object { c, key in
                switch key {
                case "id": try seen.first(0); id = c.null() ? "" : try c.string()
                case "created": try seen.first(1); created = c.null() ? 0 : try c.integer()
                case "model": try seen.first(2); model = c.null() ? "" : try c.string()
                case "provider": try seen.first(3); provider = c.null() ? "" : try c.string()
                case "usage": try seen.first(4); usage = c.null() ? nil : try Usage.read(&c)
                case "choices":
                    try seen.first(5)
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
        var seen = SeenKeys()
        try c.object { c, key in
            switch key {
            case "index": try seen.first(0); index = try c.integer()
            case "message": try seen.first(1); message = try ChatMessage.read(&c)
            case "finish_reason": try seen.first(2); finishReason = c.null() ? nil : try c.string()
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
            var seen = SeenKeys()
            try c.object { c, key in
                switch key {
                case "id": try seen.first(0); id = c.null() ? "" : try c.string()
                case "object": try seen.first(1); object = c.null() ? "chat.completion.chunk" : try c.string()
                case "created": try seen.first(2); created = c.null() ? 0 : try c.integer()
                case "model": try seen.first(3); model = c.null() ? "" : try c.string()
                case "provider": try seen.first(4); provider = c.null() ? nil : try c.string()
                case "usage": try seen.first(5); usage = c.null() ? nil : try Usage.read(&c)
                case "choices":
                    try seen.first(6)
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
        var seen = SeenKeys()
        try c.object { c, key in
            switch key {
            case "index": try seen.first(0); index = c.null() ? 0 : try c.integer()
            case "finish_reason": try seen.first(1); finishReason = c.null() ? nil : try c.string()
            case "delta":
                try seen.first(2)
                if c.null() { break }
                var deltaSeen = SeenKeys()
                try c.object { c, key in
                    switch key {
                    case "role":
                        try deltaSeen.first(0)
                        if c.null() { break }
                        guard let r = ChatRole(rawValue: try c.string()) else { throw JSONCursor.Miss() }
                        delta.role = r
                    case "content": try deltaSeen.first(1); delta.content = c.null() ? nil : try c.string()
                    case "tool_calls": try deltaSeen.first(2); guard c.null() else { throw JSONCursor.Miss() }
                    default: try c.skip()
                    }
                }
            default: try c.skip()
            }
        }
        return Choice(index: index, delta: delta, finishReason: finishReason)
    }
}
