import Foundation
import SamarindaCore
import Testing
@testable import SamarindaModels

/// What the OpenAI provider puts on the wire, now encoded in one pass (issue 18): OpenAI's fields,
/// the provider's model name, never our `classification`, and `stream_options` only when streaming.
@Suite struct OpenAIWireTests {
    let provider: OpenAIProvider = {
        var config = ProviderConfig(name: "lokal", kind: .openai)
        config.baseURL = "http://127.0.0.1:9/v1"
        config.model = "wire-model"
        return OpenAIProvider(config: config)
    }()

    func object(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func streamedBodyAsksForUsageAndCarriesNoClassification() throws {
        let request = ChatRequest(model: "samarinda-default", messages: [.system("Anda asisten."), .user("Apa syarat \"KTP-el\"?\n")],
                                  maxTokens: 64, temperature: 0.2, stream: false, classification: .rahasia)
        let json = try object(provider.body(ProviderCall(request: request, model: "wire-model"), stream: true))
        #expect(Set(json.keys) == ["model", "messages", "max_tokens", "temperature", "stream", "stream_options"])
        #expect(json["model"] as? String == "wire-model")
        #expect(json["stream"] as? Bool == true)
        #expect((json["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
        let messages = try #require(json["messages"] as? [[String: Any]])
        #expect(messages.map { $0["content"] as? String } == ["Anda asisten.", "Apa syarat \"KTP-el\"?\n"])
    }

    @Test func plainBodyHasNeitherStreamNorStreamOptions() throws {
        let request = ChatRequest(model: "samarinda-default", messages: [.user("halo")], stream: true, classification: .biasa)
        let json = try object(provider.body(ProviderCall(request: request, model: "wire-model"), stream: false))
        #expect(Set(json.keys) == ["model", "messages"])
        // A tool-calling assistant turn keeps "content": null, as OpenAI expects.
        var turn = ChatMessage(role: .assistant, content: nil, toolCalls: [ToolCall(id: "c1", name: "f", arguments: "{}")])
        turn.name = nil
        let withTools = try object(provider.body(ProviderCall(request: ChatRequest(messages: [.user("x"), turn]), model: "m"), stream: true))
        let second = try #require((withTools["messages"] as? [[String: Any]])?.last)
        #expect(second.keys.contains("content") && second["content"] is NSNull)
    }
}

/// The request body is written by hand (issue 18: JSONEncoder was a tenth of the gateway's CPU):
/// whatever the request holds, it must be the JSON that encoding `WireRequest` gives.
@Suite struct OpenAIWireBytesTests {
    static let hostile: [String] = [
        "", "halo", "\"kutip\" dan \\garis miring\\", "baris\nbaru\r\ndan\ttab", "\u{0}\u{1}\u{8}\u{c}\u{1b}\u{1f}\u{7f}",
        "</script>a/b//c", "Syarat KTP-el ✔ 🇮🇩 👨‍👩‍👧", "\u{2028}\u{2029}", "{\"model\":\"lain\"}", String(repeating: "é\"\\", count: 500),
    ]

    func parsed(_ bytes: some Sequence<UInt8>) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? NSDictionary)
    }

    @Test(arguments: hostile)
    func handWrittenBodyIsTheEncodersJSON(text: String) throws {
        var assistant = ChatMessage(role: .assistant, content: nil, toolCalls: [ToolCall(id: "c-\(text)", name: "f\(text)", arguments: text)])
        assistant.name = text
        let requests = [
            ChatRequest(model: text, messages: [.system(text), .user(text)]),
            ChatRequest(model: "m", messages: [.user(text), assistant, .tool(text, callID: text)],
                        tools: [ToolDefinition(name: "t", description: text, parameters: ["type": "object", "properties": [text: ["type": "string"]]]),
                                ToolDefinition(name: text)],
                        maxTokens: 64, temperature: 0.7, stream: true),
            ChatRequest(model: "m", messages: [.user(text)], maxTokens: 1, temperature: 1, stream: false),
        ]
        for var request in requests {
            request.toolChoice = text.isEmpty ? nil : .object(["type": "function", "function": ["name": .string(text)]])
            for includeUsage in [false, true] {
                let ours = try parsed(OpenAIProvider.wireJSON(request, includeUsage: includeUsage))
                let encoded = try parsed(JSONEncoder().encode(OpenAIProvider.WireRequest(request: request, includeUsage: includeUsage)))
                #expect(ours == encoded, "\(String(decoding: OpenAIProvider.wireJSON(request, includeUsage: includeUsage).prefix(300), as: UTF8.self))")
            }
        }
    }

    /// Ids drawn eight bytes at a time (one system call per eight, not per byte) are still the asked
    /// length of lowercase hex, for lengths that are not a multiple of eight too, and do not repeat.
    @Test func randomIDsKeepTheirLengthAndDoNotRepeat() {
        for bytes in [1, 3, 8, 12, 17] {
            let ids = (0..<500).map { _ in randomID(bytes: bytes) }
            #expect(ids.allSatisfy { $0.count == 2 * bytes && $0.allSatisfy { "0123456789abcdef".contains($0) } })
            if bytes >= 8 { #expect(Set(ids).count == ids.count) }
        }
    }
}

/// The prompt digest of every `model.call` event is taken over the messages' JSON. JSONEncoder wrote
/// their keys in hash order, different from call to call, so the same prompt could give different
/// digests; the bytes are now written by hand in one fixed order (issue 18). They must be the same
/// JSON as JSONEncoder's, escaped the same way, and the same bytes every time.
@Suite struct PromptBytesTests {
    @Test func handWrittenMessagesAreJSONEncodersJSONInOneOrder() throws {
        var texts = OpenAIWireBytesTests.hostile
        texts.append(String((0..<128).map { Character(Unicode.Scalar(UInt8($0))) }))
        texts.append("http://kota.example/a/b?c=d&e=\u{7f}\u{80}\u{ff}\u{fffd}\u{10ffff}")
        for text in texts {
            var assistant = ChatMessage(role: .assistant, content: nil, toolCalls: [ToolCall(id: text, name: "f/\(text)", arguments: text)])
            assistant.name = text
            let messages: [ChatMessage] = [.system(text), .user(text), assistant, .tool(text, callID: text), ChatMessage(role: .developer, content: text, name: "n")]
            for slice in [Array(messages.prefix(1)), messages, []] {
                let ours = ChatMessage.encoderJSON(slice)
                let encoded = try JSONEncoder().encode(slice)
                #expect(try JSONSerialization.jsonObject(with: Data(ours)) as? NSArray == JSONSerialization.jsonObject(with: encoded) as? NSArray,
                        "\(String(decoding: ours.prefix(200), as: UTF8.self))")
                #expect(ours == ChatMessage.encoderJSON(slice))
            }
            // Strings escaped byte for byte as JSONEncoder escapes them.
            var quoted: [UInt8] = []
            JSONValue.quote(text, into: &quoted, likeJSONEncoder: true)
            #expect(quoted == Array(try JSONEncoder().encode(text)), "\(String(decoding: quoted.prefix(200), as: UTF8.self))")
        }
        for byte in UInt8(0)..<128 {
            var quoted: [UInt8] = []
            JSONValue.quote(String(UnicodeScalar(byte)), into: &quoted, likeJSONEncoder: true)
            #expect(quoted == Array(try JSONEncoder().encode(String(UnicodeScalar(byte)))), "byte \(byte)")
        }
        // One order, fixed: the same prompt gives the same bytes, and so the same digest, every time.
        #expect(String(decoding: ChatMessage.encoderJSON([.user("a/b"), ChatMessage(role: .tool, content: nil, toolCallID: "c", name: "n")]), as: UTF8.self)
                == #"[{"role":"user","content":"a\/b"},{"role":"tool","content":null,"tool_call_id":"c","name":"n"}]"#)
    }
}
