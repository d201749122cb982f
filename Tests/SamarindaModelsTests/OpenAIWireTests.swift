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
