import Foundation
import SamarindaCore
import SamarindaModels
import Testing
@testable import SamarindaRuntime

/// `ChatService` (issue 16): one round loop whose whole answer is the collected stream, and the
/// conversation store it alone writes to.
@Suite struct ChatServiceTests {
    static let staff = Principal(id: "key:staff", name: "staff", department: "dinkes", role: .staff, clearance: .terbatas)

    static func open(_ dir: TemporaryDirectory) async throws -> Platform {
        let platform = try await EmbeddingWiringTests.open(dir, extra: "[documents]\nseed_dir = \"\"")
        let admin = Principal(id: "key:admin", name: "admin", department: "dinkes", role: .admin, clearance: .sangatRahasia)
        _ = await platform.documents.ingest(
            data: Data("# KTP-el\n\nSyarat KTP-el: berusia 17 tahun dan membawa Kartu Keluarga ke kantor Disdukcapil.".utf8),
            sourceName: "ktp.md", collection: "dinkes-umum", classification: .biasa, department: "dinkes", by: admin)
        return platform
    }

    @Test func theWholeAnswerIsTheCollectedStream() async throws {
        let dir = try TemporaryDirectory(prefix: "chat-service")
        let platform = try await Self.open(dir)
        let service = ChatService(platform: platform, principal: Self.staff, requestID: "req-1")
        let prepared = try await service.prepare(ChatRequest(messages: [.user("Apa syarat KTP-el?")]), options: .init(retrieval: true))
        #expect(!prepared.passages.isEmpty)

        var pieces = "", starts = 0
        var streamed: ChatService.Answer?
        for await event in service.stream(prepared) {
            switch event {
            case .start: starts += 1
            case .delta(let text): pieces += text
            case .done(let answer): streamed = answer
            case .failed(let error): Issue.record("\(error)")
            }
        }
        let whole = try await service.complete(prepared)
        let answer = try #require(streamed)
        #expect(starts == 1)
        #expect(answer.content == pieces, "the answer is exactly what was streamed")
        #expect(whole.content == answer.content, "a whole answer and a streamed one are the same exchange")
        #expect(whole.provider == "offline" && whole.aiGenerated)
        #expect(whole.citations.map(\.documentID) == answer.citations.map(\.documentID))
        #expect(whole.usage.completionTokens > 0)
        // Every event of the exchange carries the one request id.
        let events = try platform.auditLog.tail(limit: 100).map(\.event).filter { ["docs.search", "model.call"].contains($0.action) }
        #expect(!events.isEmpty && events.allSatisfy { $0.requestID == "req-1" })
        try await platform.close()
    }

    @Test func conversationsRiseToTheirHighestTurnAndOldRowsStillRead() async throws {
        let dir = try TemporaryDirectory(prefix: "chat-store")
        let platform = try await Self.open(dir)
        let store = platform.conversations
        let conversation = try store.create(owner: "user:siti", classification: .biasa)
        try store.recordExchange(conversation, questions: ["q"], answer: "a", provider: "offline", model: "m", classification: .rahasia,
                                 citations: [], requestID: "r")
        #expect(try store.conversation(id: conversation.id, owner: "user:siti")?.classification == .rahasia)
        #expect(try store.setClassification(id: conversation.id, owner: "user:siti", .biasa) == .rahasia, "never below its turns")
        #expect(try store.setClassification(id: conversation.id, owner: "user:siti", .sangatRahasia) == .sangatRahasia)
        #expect(try store.conversation(id: conversation.id, owner: "user:budi") == nil)
        #expect(try store.delete(id: conversation.id, owner: "user:budi") == false)
        // Citations the browser stored before the move had ids as strings (and may lack fields).
        try platform.database.write { c in
            try c.run("UPDATE web_messages SET citations = ? WHERE role = 'assistant'",
                      [.text("[{\"n\":1,\"document_id\":\"12\",\"chunk_id\":null,\"title\":\"Perda\",\"section\":null,\"snippet\":null}]")])
        }
        let messages = try store.messages(of: conversation)
        #expect(messages.map(\.role) == [.user, .assistant])
        #expect(messages.last?.citations.first?.documentID == 12)
        #expect(messages.last?.citations.first?.chunkID == nil)
        #expect(messages.last?.requestID == "r")
        #expect(try store.delete(id: conversation.id, owner: "user:siti"))
        #expect(try store.messages(of: conversation).isEmpty)
        try await platform.close()
    }
}
