import Foundation
import Hummingbird
import SamarindaCore
import SamarindaRuntime

extension SamarindaService {
    /// The caller's stored conversations (`conversation_id` on `/v1/chat/completions` continues one):
    /// `GET /v1/conversations`, `GET /v1/conversations/{id}` with its turns, `DELETE /v1/conversations/{id}`.
    /// Only the owner reaches a conversation; someone else's id answers 404, as an unknown one does. Who may
    /// have conversations at all is the policy's chat rule (auditors and the dpo see no content), as for
    /// `samarinda conversations`.
    func addConversationRoutes(to router: Router<ServerContext>) {
        let conversations = router.guarded("/v1/conversations", by: .chat(classification: nil), platform)
        let store = platform.conversations
        conversations.get { _, context in
            let principal = try context.requirePrincipal()
            return try jsonResponse(["object": "list", "data": try store.list(owner: principal.id).map(Self.conversationJSON)])
        }
        conversations.get("{id}") { _, context in
            let principal = try context.requirePrincipal()
            let conversation = try Self.owned(store, try context.parameters.require("id"), principal)
            var object = Self.conversationJSON(conversation)
            object["messages"] = try store.messages(of: conversation).map(Self.messageJSON)
            return try jsonResponse(object)
        }
        conversations.delete("{id}") { _, context in
            let principal = try context.requirePrincipal()
            let id = try context.parameters.require("id")
            guard try store.delete(id: id, owner: principal.id) else { throw Self.notYours(id) }
            return try jsonResponse(["id": id, "object": "conversation.deleted", "deleted": true])
        }
    }

    private static func owned(_ store: ConversationStore, _ id: String, _ principal: Principal) throws -> Conversation {
        guard let conversation = try store.conversation(id: id, owner: principal.id) else { throw notYours(id) }
        return conversation
    }

    private static func notYours(_ id: String) -> APIError {
        APIError.notFound("no conversation '\(id)' of yours; GET /v1/conversations lists yours", code: "conversation_not_found")
    }

    static func conversationJSON(_ c: Conversation) -> [String: Any] {
        ["id": c.id, "object": "conversation", "title": c.title, "classification": c.classification.name,
         "created_at": Int(c.createdAt.timeIntervalSince1970), "updated_at": Int(c.updatedAt.timeIntervalSince1970)]
    }

    static func messageJSON(_ m: ConversationMessage) -> [String: Any] {
        var object: [String: Any] = ["id": m.id, "role": m.role.rawValue, "content": m.content,
                                     "created_at": Int(m.createdAt.timeIntervalSince1970)]
        if let level = m.classification { object["classification"] = level.name }
        if let requestID = m.requestID { object["request_id"] = requestID }
        if m.role == .assistant {
            object["provider"] = m.provider ?? ""
            if let model = m.model { object["model"] = model }
            object["citations"] = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(m.citations))) ?? []
            object["samarinda"] = ["ai_generated": m.aiGenerated]
        }
        return object
    }
}
