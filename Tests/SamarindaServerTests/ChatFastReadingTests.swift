import Foundation
import Testing
import SamarindaCore
import SamarindaModels
@testable import SamarindaServer

/// Issue 18: the caller's request, a provider's answer and its stream chunks are read with `JSONCursor`
/// when they have the common shape. Whatever the fast path reads must be exactly what JSONDecoder reads;
/// whatever it is unsure of it must leave to JSONDecoder (nil), never read differently.
@Suite struct ChatFastReadingTests {
    static let answers = [
        #"{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-x","choices":[{"index":0,"message":{"role":"assistant","content":"Syarat KTP-el: \"fotokopi KK\"\n- usia 17\u00e9 😀 \ud83d\ude00 </script> \u2028"},"finish_reason":"stop","logprobs":null}],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19,"prompt_tokens_details":{"cached_tokens":0}},"system_fingerprint":"fp_1"}"#,
        #"{"id":null,"created":null,"model":null,"choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,"annotations":[]},"finish_reason":null}],"usage":null}"#,
        #" { "choices" : [ { "index" : 3 , "message" : { "role" : "assistant" , "content" : "" , "name" : "x" } } , {"index":1,"message":{"role":"user"}} ] } "#,
        #"{"choices":[{"index":0,"message":{"role":"assistant","content":"a","tool_calls":null}}],"usage":{"prompt_tokens":-5,"completion_tokens":9007199254740993}}"#,
        #"{"choices":[{"index":0,"message":{"role":"assistant","content":"x"}}],"extra":"caf\u00e9 ok","deep":[[[[]]]],"n":-0.5}"#,
        #"{"choices":[{"index":0,"message":{"role":"assistant"}}]}"#,
    ]
    /// Shapes the fast path leaves to JSONDecoder (some valid, some not).
    static let answersLeftToJSONDecoder = [
        #"{"choices":[]}"#,
        #"{"choices":null}"#,
        #"{"id":"a"}"#,
        #"{"choices":[{"message":{"role":"assistant","content":"x"}}]}"#,
        #"{"choices":[{"index":0,"message":{"role":"robot","content":"x"}}]}"#,
        #"{"choices":[{"index":0,"message":{"role":"assistant","content":[{"type":"text","text":"x"}]}}]}"#,
        #"{"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}}]}"#,
        #"{"choices":[{"index":0,"message":{"role":"assistant","content":"x"}}],"created":1.0}"#,
        #"{"choices":[{"index":0,"message":{"role":"assistant","content":"x"}}],"created":1e3}"#,
        #"{"choices":[{"index":0,"message":{"role":"assistant","content":"x"}}],"created":"12"}"#,
        #"{"choices":[{"index":0,"message":{"role":"assistant","content":"\ud800"}}]}"#,
        #"{"choices":[{"index":0,"message":{"role":"assistant","content":"x"}}],"id":"a","id":"b"}"#,
        #"{"choices":[{"index":0,"message":{"role":"assistant","content":"x"}}]} trailing"#,
        #"{"choices":[{"index":0,"message":{"role":"assistant","content":"x"}}],"extra":"kafé"}"#,
        "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"tab\tinside\"}}]}",  // a raw tab
        #"{"choices":[{"index":0,"message":{"role":"assistant","content":"x"}}],"n":-0.5e-3}"#,
        #"{"choices":[{"index":01,"message":{"role":"assistant","content":"x"}}]}"#,
        "", "null", "[]", "{", #"{"choices":[{"index":0,"message":{"role":"assistant","content":"x"}}],}"#,
    ]
    static let chunks = [
        #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Ha"},"finish_reason":null}]}"#,
        #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        #"{"id":"c","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}"#,
        #"{"choices":null,"delta":1,"provider":"p","object":null}"#,
        #"{"choices":[{"delta":null,"index":null}]}"#,
        #"{"choices":[{"delta":{"content":"\u0041\n\"q\"","role":null,"tool_calls":null}}]}"#,
    ]
    static let chunksLeftToJSONDecoder = [
        #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t","function":{"name":"f","arguments":""}}]}}]}"#,
        #"{"choices":[{"index":0,"delta":{"role":"alien"}}]}"#,
        #"{"choices":[{"index":0.5,"delta":{}}]}"#,
        #"{"id":1}"#, "{}x", "[1]",
    ]
    static let requests = [
        #"{"model":"bench","messages":[{"role":"system","content":"Anda asisten."},{"role":"user","content":"Apa syarat membuat KTP-el?"}],"max_tokens":64}"#,
        #"{"messages":[{"role":"user","content":"halo","name":"budi"}],"stream":true,"temperature":0.7,"retrieval":false,"store":true,"conversation_id":"conv_1"}"#,
        #"{"model":null,"messages":[{"role":"developer","content":null},{"role":"tool","content":"{}","tool_call_id":"c1"}],"max_tokens":null,"temperature":2,"stream":null}"#,
        #"{"messages":[]}"#,
    ]
    static let requestsLeftToJSONDecoder = [
        #"{"messages":[{"role":"user","content":"x"}],"max_tokens":0}"#,
        #"{"messages":[{"role":"user","content":"x"}],"max_tokens":64.0}"#,
        #"{"messages":[{"role":"user","content":"x"}],"max_tokens":1000001}"#,
        #"{"messages":[{"role":"user","content":"x"}],"max_tokens":99999999999999999999}"#,
        #"{"messages":[{"role":"user","content":"x"}],"temperature":2.5}"#,
        #"{"messages":[{"role":"user","content":"x"}],"temperature":"hot"}"#,
        #"{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}]}"#,
        #"{"messages":[{"role":"user","content":"x"}],"top_p":0.5}"#,
        #"{"messages":[{"role":"user","content":"x"}],"user":"u1"}"#,
        #"{"messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}}"#,
        #"{"messages":[{"role":"user","content":"x"}],"classification":"rahasia"}"#,
        #"{"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]}"#,
        #"{"messages":[{"role":"user","content":"x"}],"messages":[]}"#,
        #"{"model":"m"}"#, #"{"messages":{}}"#, #"{"messages":[{"content":"x"}]}"#, "[]", "",
    ]

    /// Fast result, if any, must equal JSONDecoder's; `expectFast` says whether the fast path must take it.
    static func check<T: Equatable>(_ text: String, fast: (Data) -> T?, slow: (Data) throws -> T, expectFast: Bool?,
                                    sourceLocation: SourceLocation = #_sourceLocation) {
        let data = Data(text.utf8)
        let quick = fast(data)
        if let expectFast { #expect((quick != nil) == expectFast, "fast path on \(text)", sourceLocation: sourceLocation) }
        guard let quick else { return }
        let decoded = try? slow(data)
        #expect(decoded == quick, "JSONDecoder reads \(text) as \(String(describing: decoded)), the fast path as \(quick)",
                sourceLocation: sourceLocation)
    }

    static func slowBody(_ d: Data) throws -> BodyView { BodyView(try JSONDecoder().decode(ChatCompletionBody.self, from: d)) }
    static func fastBody(_ d: Data) -> BodyView? { ChatCompletionBody.fastRead(d).map(BodyView.init) }

    /// ChatCompletionBody's parts compared field by field.
    struct BodyView: Equatable {
        let request: ChatRequest
        let retrieval: Bool?, store: Bool?, conversationID: String?, includeUsage: Bool?
        init(_ b: ChatCompletionBody) {
            request = b.request
            retrieval = b.extras.retrieval
            store = b.extras.store
            conversationID = b.extras.conversation_id
            includeUsage = b.extras.stream_options?.include_usage
        }
    }

    @Test func commonShapesAreReadExactlyAsJSONDecoderReadsThem() {
        for a in Self.answers {
            Self.check(a, fast: ChatResponse.fastRead, slow: { try JSONDecoder().decode(ChatResponse.self, from: $0) }, expectFast: true)
        }
        for c in Self.chunks {
            Self.check(c, fast: ChatStreamChunk.fastRead, slow: { try JSONDecoder().decode(ChatStreamChunk.self, from: $0) }, expectFast: true)
        }
        for r in Self.requests { Self.check(r, fast: Self.fastBody, slow: Self.slowBody, expectFast: true) }
        // The escapes came through as text (a check on the corpus itself, not only agreement).
        let first = ChatResponse.fastRead(Data(Self.answers[0].utf8))
        #expect(first?.message.content == "Syarat KTP-el: \"fotokopi KK\"\n- usia 17é 😀 😀 </script> \u{2028}")
        #expect(first?.usage == Usage(promptTokens: 12, completionTokens: 7))
        #expect(Self.fastBody(Data(Self.requests[0].utf8))?.request.maxTokens == 64)
    }

    /// Found by the differential test: a message without a `content` key (OpenAI omits it on turns that only
    /// call tools) was refused, because `decodeNil` throws on a missing key.
    @Test func aMessageWithoutContentHasNoContent() throws {
        let toolTurn = #"{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}"#
        let message = try JSONDecoder().decode(ChatMessage.self, from: Data(toolTurn.utf8))
        #expect(message.content == nil && message.toolCalls?.first?.id == "c1")
        #expect(try JSONDecoder().decode(ChatMessage.self, from: Data(#"{"role":"user"}"#.utf8)).content == nil)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ChatMessage.self, from: Data(#"{"role":"user","content":7}"#.utf8)) }
    }

    @Test func otherShapesAreLeftToJSONDecoder() {
        for a in Self.answersLeftToJSONDecoder {
            Self.check(a, fast: ChatResponse.fastRead, slow: { try JSONDecoder().decode(ChatResponse.self, from: $0) }, expectFast: false)
        }
        for c in Self.chunksLeftToJSONDecoder {
            Self.check(c, fast: ChatStreamChunk.fastRead, slow: { try JSONDecoder().decode(ChatStreamChunk.self, from: $0) }, expectFast: false)
        }
        for r in Self.requestsLeftToJSONDecoder { Self.check(r, fast: Self.fastBody, slow: Self.slowBody, expectFast: false) }
    }

    /// Bytes changed at random in every corpus entry (fixed seed): never a different reading, never a crash.
    @Test func mutatedInputIsNeverReadDifferently() {
        var random = SplitMix64(seed: 18)
        let alphabet = Array(#"{}[]":,\ 0123456789.eE+-ntrufalsu"#.utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xA9, 0xFF]
        func mutate(_ text: String) -> String {
            var bytes = Array(text.utf8)
            for _ in 0..<Int.random(in: 1...3, using: &random) where !bytes.isEmpty {
                let i = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[i] = alphabet.randomElement(using: &random)!
                case 1: bytes.remove(at: i)
                default: bytes.insert(alphabet.randomElement(using: &random)!, at: i)
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        for _ in 0..<1500 {
            for a in Self.answers + Self.answersLeftToJSONDecoder {
                Self.check(mutate(a), fast: ChatResponse.fastRead, slow: { try JSONDecoder().decode(ChatResponse.self, from: $0) }, expectFast: nil)
            }
            for c in Self.chunks + Self.chunksLeftToJSONDecoder {
                Self.check(mutate(c), fast: ChatStreamChunk.fastRead, slow: { try JSONDecoder().decode(ChatStreamChunk.self, from: $0) }, expectFast: nil)
            }
            for r in Self.requests + Self.requestsLeftToJSONDecoder {
                Self.check(mutate(r), fast: Self.fastBody, slow: Self.slowBody, expectFast: nil)
            }
        }
    }
}
