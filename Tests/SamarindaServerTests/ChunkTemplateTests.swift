import Foundation
import SamarindaCore
import SamarindaModels
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
