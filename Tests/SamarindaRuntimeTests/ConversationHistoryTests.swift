import Foundation
import SamarindaCore
import SamarindaModels
import SamarindaTestSupport
import Testing
@testable import SamarindaRuntime

/// `[chat] history_max_turns` / `history_max_chars`: a follow-up in a long conversation sends only the
/// most recent stored turns (the system prompt and the new question always), and says how many it left out.
@Suite struct ConversationHistoryTests {
    /// The outside world: a model that answers with what it received (how many messages, of which roles,
    /// and the first stored turn it saw), so the test reads what was really sent over HTTP.
    static let echoModel = """
        import json, sys, threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        class H(BaseHTTPRequestHandler):
            def log_message(self, *a): pass
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                ms = body.get("messages", [])
                rest = [m for m in ms if m.get("role") != "system"]
                text = "sent=%d system=%d first=%s last=%s" % (len(rest), len(ms) - len(rest), rest[0].get("content") if rest else "", rest[-1].get("content") if rest else "")
                out = json.dumps({"id": "c", "object": "chat.completion", "created": 1, "model": "echo",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
                self.send_response(200); self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", str(len(out))); self.end_headers(); self.wfile.write(out)
        server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        print(server.server_address[1], flush=True)
        threading.Thread(target=lambda: (sys.stdin.buffer.read(), server.shutdown()), daemon=True).start()
        server.serve_forever()
        """

    static let owner = Principal(id: "key:siti", name: "siti", department: "dinkes", role: .staff, clearance: .terbatas)

    static func open(_ dir: TemporaryDirectory, port: Int, chat: String) async throws -> Platform {
        try await EmbeddingWiringTests.open(dir, extra: """
            [documents]
            seed_dir = ""
            [[providers]]
            name = "echo"
            kind = "openai"
            base_url = "http://127.0.0.1:\(port)/v1"
            model = "echo"
            max_classification = "rahasia"
            [models]
            samarinda-default = ["echo"]
            [chat]
            \(chat)
            """)
    }

    /// A stored conversation of 100 exchanges (200 turns), numbered so the test can tell which were sent.
    static func longConversation(_ platform: Platform) throws -> Conversation {
        let conversation = try platform.conversations.create(owner: owner.id, classification: .biasa)
        for i in 1...100 {
            try platform.conversations.recordExchange(conversation, questions: ["q\(i)"], answer: "a\(i)", provider: "echo", model: "echo",
                                                      classification: .biasa, citations: [], requestID: "r\(i)")
        }
        return conversation
    }

    @Test func aTwoHundredTurnConversationSendsOnlyTheCap() async throws {
        let model = try LoopbackScriptServer(source: Self.echoModel)
        let dir = try TemporaryDirectory(prefix: "history-cap")
        let platform = try await Self.open(dir, port: model.port, chat: "history_max_turns = 10")
        let conversation = try Self.longConversation(platform)
        #expect(try platform.conversations.messages(of: conversation).count == 200)

        let service = ChatService(platform: platform, principal: Self.owner)
        let request = ChatRequest(messages: [.system("Jawab singkat."), .user("pertanyaan baru")])
        let prepared = try await service.prepare(request, options: .init(retrieval: false, conversationID: conversation.id))
        #expect(prepared.historyTurnsOmitted == 190)
        let answer = try await service.complete(prepared)
        // What the provider received: the 10 newest stored turns (q96 … a100) and the new question, after the system prompt.
        #expect(answer.content == "sent=11 system=1 first=q96 last=pertanyaan baru", "\(answer.content)")
        #expect(answer.historyTurnsOmitted == 190)
        #expect(answer.conversationID == conversation.id)
        // Storing is not capped: the conversation keeps every turn, now 202.
        #expect(try platform.conversations.messages(of: conversation).count == 202)
        try await platform.close()
    }

    @Test func theCharacterBudgetAndAnOddCapNeverStartAtAnAnswer() async throws {
        let model = try LoopbackScriptServer(source: Self.echoModel)
        let dir = try TemporaryDirectory(prefix: "history-chars")
        // 7 turns would start at an answer (a97): the answer without its question is left out too.
        let platform = try await Self.open(dir, port: model.port, chat: "history_max_turns = 7\nhistory_max_chars = 1000")
        let conversation = try Self.longConversation(platform)
        let service = ChatService(platform: platform, principal: Self.owner)
        let prepared = try await service.prepare(ChatRequest(messages: [.user("baru")]), options: .init(retrieval: false, conversationID: conversation.id))
        #expect(prepared.historyTurnsOmitted == 194)
        #expect(try await service.complete(prepared).content == "sent=7 system=0 first=q98 last=baru")

        // One huge stored answer: the character budget stops before it, so only the turns after it go.
        try platform.conversations.recordExchange(conversation, questions: ["panjang"], answer: String(repeating: "x", count: 5000), provider: "echo",
                                                  model: "echo", classification: .biasa, citations: [], requestID: "big")
        try platform.conversations.recordExchange(conversation, questions: ["q-last"], answer: "a-last", provider: "echo", model: "echo",
                                                  classification: .biasa, citations: [], requestID: "last")
        let after = try await service.prepare(ChatRequest(messages: [.user("baru")]), options: .init(retrieval: false, conversationID: conversation.id))
        #expect(try await service.complete(after).content == "sent=3 system=0 first=q-last last=baru")

        // A cap of 0: no stored turn goes, the question still does.
        let units = ConversationHistory(try platform.conversations.messages(of: conversation), limits: {
            var c = ChatConfig(); c.historyMaxTurns = 0; return c
        }())
        #expect(units.messages.isEmpty && units.omitted == 208, "200 turns, the two recorded above and the two answered follow-ups")
        try await platform.close()
    }

    @Test func theDefaultsKeepAShortConversationWhole() throws {
        let config = try SamarindaConfig.parse("", file: "empty.toml")
        #expect(config.chat.historyMaxTurns == 40 && config.chat.historyMaxChars == 48_000)
        let turns = (1...6).map { i in
            ConversationMessage(id: Int64(i), role: i % 2 == 1 ? .user : .assistant, content: "t\(i)", citations: [], createdAt: Date())
        }
        let history = ConversationHistory(turns, limits: config.chat)
        #expect(history.omitted == 0 && history.messages.map(\.content) == (1...6).map { "t\($0)" })
        // Bad values are file:line errors naming the key.
        for bad in ["history_max_turns = -1", "history_max_chars = \"lots\"", "history_turns = 3"] {
            #expect(throws: ConfigErrors.self, "\(bad)") { try SamarindaConfig.parse("[chat]\n\(bad)\n", file: "c.toml") }
        }
    }
}
