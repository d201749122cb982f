import Foundation
import Testing
import SamarindaCore

@Suite(.serialized) struct ChatTests {
    @Test func nonStreamingAnswerIsOpenAIShapedWithUsageAndProvider() async throws {
        let server = try await TestServer()
        let reply = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"),
                                             json: ["model": "samarinda-default", "messages": [["role": "user", "content": "Apa syarat KTP-el?"]]])
        #expect(reply.status == 200)
        let json = reply.json
        #expect(json["object"] as? String == "chat.completion")
        #expect(json["provider"] as? String == "offline")
        #expect(json["classification"] as? String == "biasa")
        let message = ((json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])
        #expect(message?["role"] as? String == "assistant")
        #expect((message?["content"] as? String)?.contains("Mode luring") == true)
        let usage = json["usage"] as? [String: Any]
        #expect((usage?["total_tokens"] as? Int ?? 0) > 0)
        let calls = try await server.auditEvents(action: "model.call")
        #expect(calls.count == 1)
        #expect(calls.first?.fields["provider"] == "offline")
        #expect(calls.first?.fields["prompt"]?.hasPrefix("hmac-sha256:") == true)
        // The retrieval that fed the answer is found beside it: same request id.
        let searches = try await server.auditEvents(action: "docs.search")
        #expect(calls.first?.requestID != nil && searches.contains { $0.requestID == calls.first?.requestID }, "\(searches.map(\.requestID))")
        await server.stop()
    }

    @Test func streamingUsesOpenAIChunksAndEndsWithDone() async throws {
        let server = try await TestServer()
        let reply = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"),
                                             json: ["model": "samarinda-default", "stream": true, "messages": [["role": "user", "content": "Bagaimana mengurus KK?"]]])
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        let events = reply.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.allSatisfy { $0.hasPrefix("data: ") })
        #expect(events.last == "data: [DONE]")
        let chunks = events.dropLast().map { try? JSONSerialization.jsonObject(with: Data($0.dropFirst(6).utf8)) as? [String: Any] }
        #expect(chunks.allSatisfy { $0?["object"] as? String == "chat.completion.chunk" })
        let ids = Set(chunks.compactMap { $0?["id"] as? String })
        #expect(ids.count == 1)
        let first = (chunks.first??["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any]
        #expect(first?["role"] as? String == "assistant")
        let text = chunks.compactMap { (($0?["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String }.joined()
        #expect(text.hasPrefix("Mode luring"))
        let last = try #require(chunks.last ?? nil)
        #expect(((last["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String) == "stop")
        #expect(((last["usage"] as? [String: Any])?["completion_tokens"] as? Int ?? 0) > 0)
        #expect(last["provider"] as? String == "offline")
        await server.stop()
    }

    @Test func aboveClearanceMalformedAndOversizedRequestsAreRefused() async throws {
        let server = try await TestServer(configText: "[server]\nmax_body_bytes = 2048\n")
        let rahasia = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"),
                                               json: ["model": "samarinda-default", "classification": "rahasia", "messages": [["role": "user", "content": "x"]]])
        #expect(rahasia.status == 403)
        #expect(rahasia.errorCode == "classification_denied")
        let malformed = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"), body: Data("{\"model\": ".utf8))
        #expect(malformed.status == 400)
        #expect(malformed.errorCode == "invalid_json")
        let missing = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"), json: ["model": "samarinda-default"])
        #expect(missing.status == 400)
        #expect((missing.json["error"] as? [String: Any])?["message"] as? String ?? "" != "")
        let huge = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"),
                                            json: ["model": "samarinda-default", "messages": [["role": "user", "content": String(repeating: "a", count: 5000)]]])
        #expect(huge.status == 413)
        #expect(huge.errorCode == "body_too_large")
        let unknown = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"),
                                               json: ["model": "gpt-4o", "messages": [["role": "user", "content": "x"]]])
        #expect(unknown.status == 404)
        #expect(unknown.errorCode == "unknown_model")
        // The service still answers after all of that.
        #expect(try await server.request("GET", "/healthz").status == 200)
        await server.stop()
    }

    @Test func embeddingsAreOpenAIShaped() async throws {
        let server = try await TestServer()
        let reply = try await server.request("POST", "/v1/embeddings", key: server.key("service-dinkes"),
                                             json: ["model": "samarinda-default", "input": ["syarat KTP-el", "akta kelahiran"]])
        #expect(reply.status == 200)
        let data = reply.json["data"] as? [[String: Any]]
        #expect(data?.count == 2)
        #expect((data?.first?["embedding"] as? [Double])?.count == 256)
        #expect(try await server.request("POST", "/v1/embeddings", key: server.key("auditor"), json: ["input": ["x"]]).status == 403)
        await server.stop()
    }
}
