import Foundation
import NIOCore
import SamarindaCore
import SamarindaModels
@testable import SamarindaRuntime
@testable import SamarindaServer
import Testing

/// Streamed text pieces are written from a per-stream byte template (issue 18) instead of encoding a
/// `ChatStreamChunk` per piece: the bytes must still be exactly the chunk the encoder would have
/// written, as JSON, for any text a model may send — quotes, backslashes, control characters,
/// markup, emoji, line separators — and for any id and model name.
struct ChunkTemplateTests {
    static let hostile: [String] = [
        "", "kata ", "\"kutip\" dan \\garis miring\\", "baris\nbaru\r\ndan\ttab", "\u{0}\u{1}\u{8}\u{c}\u{1b}\u{1f}\u{7f}",
        "</script><script>alert(1)</script>", "a/b//c", "Syarat KTP-el: 17 tahun ✔ 🇮🇩 👨‍👩‍👧", "\u{2028}\u{2029}",
        "{\"choices\":[]}\n\ndata: [DONE]\n\n", String(repeating: "é\"\\", count: 2_000),
    ]

    @Test(arguments: hostile)
    func aPieceIsTheChunkTheEncoderWouldWrite(text: String) throws {
        for (id, model) in [("chatcmpl-0123456789abcdef01234567", "samarinda-default"), ("chatcmpl-\"x\"", "model \\ \"aneh\"\n/ 🐟")] {
            var buffer = ChunkTemplate(id: id, created: 1_764_460_800, model: model).chunk(text)
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            let wire = String(decoding: bytes, as: UTF8.self)
            #expect(wire.hasPrefix("data: ") && wire.hasSuffix("}\n\n"), "one SSE event: \(wire.prefix(80))")
            // No raw line break inside the event: a newline in the text would end the SSE event early.
            #expect(!wire.dropLast(2).contains("\n") && !wire.dropLast(2).contains("\r"))
            let ours = try JSONSerialization.jsonObject(with: Data(wire.dropFirst(6).dropLast(2).utf8)) as? NSDictionary
            let chunk = try #require(ChatStreamChunk.from(.delta(text), id: id, created: 1_764_460_800, model: model))
            let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(chunk)) as? NSDictionary
            #expect(ours != nil && ours == encoded, "\(wire.prefix(200))")
            // And it decodes back to exactly the text.
            let decoded = try JSONDecoder().decode(ChatStreamChunk.self, from: Data(wire.dropFirst(6).dropLast(2).utf8))
            #expect(decoded.choices.first?.delta.content == text && decoded.id == id && decoded.model == model)
        }
    }
}

extension ChunkTemplateTests {
    static func json(_ buffer: ByteBuffer) throws -> NSDictionary? {
        var buffer = buffer
        let wire = String(decoding: buffer.readBytes(length: buffer.readableBytes) ?? [], as: UTF8.self)
        #expect(wire.hasPrefix("data: ") && wire.hasSuffix("}\n\n") && !wire.dropLast(2).contains("\n") && !wire.dropLast(2).contains("\r"),
                "one SSE event: \(wire.prefix(120))")
        return try JSONSerialization.jsonObject(with: Data(wire.dropFirst(6).dropLast(2).utf8)) as? NSDictionary
    }

    @Test(arguments: hostile)
    func theFirstChunkIsTheOneTheEncoderWouldWrite(text: String) throws {
        let template = ChunkTemplate(id: "chatcmpl-\(text)", created: 1_764_460_800, model: text)
        let chunk = ChatStreamChunk(id: "chatcmpl-\(text)", created: 1_764_460_800, model: text,
                                    choices: [.init(delta: .init(role: .assistant, content: ""))], provider: text)
        let ours = try Self.json(template.start(provider: text))
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(chunk)) as? NSDictionary
        #expect(ours != nil && ours == encoded)
    }

    @Test(arguments: hostile)
    func theLastChunkIsTheOneTheEncoderWouldWrite(text: String) throws {
        let plain = ChatService.Answer(id: "chatcmpl-1", created: 1_764_460_800, content: text, toolCalls: [], finishReason: text,
                                       usage: Usage(promptTokens: 31, completionTokens: 24), provider: text, model: "m", classification: .terbatas,
                                       passages: [], citations: [], conversationID: nil, requestID: text)
        var full = plain
        full.finishReason = "length"
        full.citations = [Citation(n: 1, documentID: 7, chunkID: 3, title: text, section: "a/b", collection: "umum", classification: "biasa", snippet: text)]
        full.conversationID = text
        full.historyTurnsOmitted = 3
        for answer in [plain, full] {
            let template = ChunkTemplate(id: "chatcmpl-x", created: 1_764_460_800, model: text)
            let ours = try Self.json(try template.final(answer))
            let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(FinalChunk(id: "chatcmpl-x", created: 1_764_460_800, model: text, answer: answer)))
            #expect(ours != nil && ours == encoded as? NSDictionary, "\(String(describing: ours))")
            // What a client reads back: usage, the marker, the citations.
            let decoded = try JSONDecoder().decode(ChatStreamChunk.self, from: JSONSerialization.data(withJSONObject: ours ?? [:]))
            #expect(decoded.usage == answer.usage && decoded.provider == answer.provider && decoded.choices.first?.finishReason == answer.finishReason)
        }
    }
}

/// The non-streamed reply is written by hand (issue 18): it must be the JSON that
/// `jsonResponse(encoding:)` (JSONEncoder, keys sorted) makes of `CompletionReply`, for any content.
struct CompletionReplyBytesTests {
    @Test(arguments: ChunkTemplateTests.hostile)
    func handWrittenReplyIsTheEncodersJSON(text: String) throws {
        let citation = Citation(n: 1, documentID: 7, chunkID: nil, title: text, section: "a/b", collection: "umum", classification: "biasa", snippet: text)
        let plain = ChatService.Answer(id: "chatcmpl-1", created: 1_764_460_800, content: text, toolCalls: [], finishReason: "stop",
                                       usage: Usage(promptTokens: 31, completionTokens: 24), provider: "canned", model: "m", classification: .biasa,
                                       passages: [], citations: [], conversationID: nil, requestID: "r1")
        var full = plain
        full.citations = [citation]
        full.conversationID = text
        full.historyTurnsOmitted = 3
        full.toolCalls = [ToolCall(id: text, name: "f", arguments: text)]
        for (answer, content, usage) in [(plain, Optional(text), Optional(plain.usage)), (full, nil, nil)] {
            let message = ChatMessage(role: .assistant, content: content, toolCalls: answer.toolCalls.isEmpty ? nil : answer.toolCalls)
            let response = ChatResponse(id: answer.id, created: answer.created, message: message, finishReason: answer.finishReason,
                                        usage: usage, provider: answer.provider, model: text)
            let reply = CompletionReply(response: response, answer: answer)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let encoded = try encoder.encode(reply)
            let ours = try reply.jsonBytes()
            #expect(try JSONSerialization.jsonObject(with: Data(ours)) as? NSDictionary == JSONSerialization.jsonObject(with: encoded) as? NSDictionary,
                    "\(String(decoding: ours.prefix(300), as: UTF8.self))")
            // Keys sorted as before: for text without control characters the bytes are the same.
            if !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                #expect(ours == Array(encoded), "\(String(decoding: ours.prefix(300), as: UTF8.self))")
            }
        }
    }
}
