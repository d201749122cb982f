import Foundation
import SamarindaCore

/// A chat conversation of one web user. Only its owner ever reads it through the web.
public struct Conversation: Sendable, Equatable {
    public var id: String
    public var owner: String
    public var title: String
    public var classification: Classification
    public var createdAt: Date
    public var updatedAt: Date
}

/// One numbered source of an answer, as the chat API returns it.
public struct Citation: Sendable, Equatable, Codable {
    public var n: Int
    public var documentID: String
    public var chunkID: String?
    public var title: String
    public var section: String?
    public var snippet: String?

    enum CodingKeys: String, CodingKey {
        case n, title, section, snippet
        case documentID = "document_id"
        case chunkID = "chunk_id"
    }

    public init(n: Int, documentID: String, chunkID: String?, title: String, section: String?, snippet: String?) {
        self.n = n
        self.documentID = documentID
        self.chunkID = chunkID
        self.title = title
        self.section = section
        self.snippet = snippet
    }

    // Ids arrive as numbers from the API; the page only ever puts them into links.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        n = try c.decode(Int.self, forKey: .n)
        documentID = try Self.flexibleID(c, .documentID) ?? ""
        chunkID = try Self.flexibleID(c, .chunkID)
        title = try c.decodeIfPresent(String.self, forKey: .title) ?? ""
        section = try c.decodeIfPresent(String.self, forKey: .section)
        snippet = try c.decodeIfPresent(String.self, forKey: .snippet)
    }

    private static func flexibleID(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> String? {
        if let i = try? c.decodeIfPresent(Int64.self, forKey: key) { return String(i) }
        return try c.decodeIfPresent(String.self, forKey: key)
    }
}

public struct ChatMessage: Sendable, Equatable {
    public enum Role: String, Sendable { case user, assistant }
    public var id: Int64
    public var role: Role
    public var content: String
    public var provider: String?
    public var classification: Classification?
    public var citations: [Citation]
    public var createdAt: Date
}

/// Conversations and their messages, in the web module's own tables.
public final class ConversationStore: Sendable {
    private let database: Database

    init(database: Database) { self.database = database }

    public static let maxMessageBytes = 256 * 1024

    public func create(owner: String, classification: Classification, title: String = "") throws -> Conversation {
        var bytes = [UInt8](repeating: 0, count: 12)
        fillRandom(&bytes)
        let id = bytes.map { String(format: "%02x", $0) }.joined()
        let now = Date()
        _ = try database.write { c in
            try c.run("INSERT INTO web_conversations (id, owner, title, classification, created_at, updated_at) VALUES (?,?,?,?,?,?)",
                      [.text(id), .text(owner), .text(title), .text(classification.name), .real(now.timeIntervalSince1970), .real(now.timeIntervalSince1970)])
        }
        return Conversation(id: id, owner: owner, title: title, classification: classification, createdAt: now, updatedAt: now)
    }

    /// The conversation when `owner` owns it; nil for unknown ids and for other people's conversations alike.
    public func conversation(id: String, owner: String) throws -> Conversation? {
        try database.read { c in
            try c.queryFirst("SELECT id, owner, title, classification, created_at, updated_at FROM web_conversations WHERE id = ? AND owner = ?",
                             [.text(id), .text(owner)], Self.conversation)
        }
    }

    public func list(owner: String, limit: Int = 100) throws -> [Conversation] {
        try database.read { c in
            try c.query("SELECT id, owner, title, classification, created_at, updated_at FROM web_conversations WHERE owner = ? ORDER BY updated_at DESC LIMIT ?",
                        [.text(owner), SQLValue(limit)], Self.conversation)
        }
    }

    public func setClassification(id: String, owner: String, _ level: Classification) throws {
        _ = try database.write { c in
            try c.run("UPDATE web_conversations SET classification = ? WHERE id = ? AND owner = ?", [.text(level.name), .text(id), .text(owner)])
        }
    }

    public func delete(id: String, owner: String) throws {
        try database.write { c in
            guard try c.run("DELETE FROM web_conversations WHERE id = ? AND owner = ?", [.text(id), .text(owner)]) > 0 else { return }
            try c.run("DELETE FROM web_messages WHERE conversation_id = ?", [.text(id)])
        }
    }

    public func append(to conversation: Conversation, role: ChatMessage.Role, content: String, provider: String? = nil,
                       classification: Classification? = nil, citations: [Citation] = []) throws -> ChatMessage {
        let now = Date()
        let citationsJSON = String(decoding: try JSONEncoder().encode(citations), as: UTF8.self)
        let id = try database.write { c -> Int64 in
            try c.run("INSERT INTO web_messages (conversation_id, role, content, provider, classification, citations, created_at) VALUES (?,?,?,?,?,?,?)",
                      [.text(conversation.id), .text(role.rawValue), .text(content), SQLValue(provider), SQLValue(classification?.name),
                       .text(citationsJSON), .real(now.timeIntervalSince1970)])
            let rowID = c.lastInsertRowID
            // The first question names the conversation.
            let title = conversation.title.isEmpty && role == .user ? String(content.prefix(80)) : conversation.title
            try c.run("UPDATE web_conversations SET updated_at = ?, title = ? WHERE id = ?", [.real(now.timeIntervalSince1970), .text(title), .text(conversation.id)])
            return rowID
        }
        return ChatMessage(id: id, role: role, content: content, provider: provider, classification: classification, citations: citations, createdAt: now)
    }

    public func messages(of conversation: Conversation) throws -> [ChatMessage] {
        try database.read { c in
            try c.query("SELECT id, role, content, provider, classification, citations, created_at FROM web_messages WHERE conversation_id = ? ORDER BY id",
                        [.text(conversation.id)]) { s in
                ChatMessage(id: s.int64(0), role: ChatMessage.Role(rawValue: s.text(1)) ?? .user, content: s.text(2), provider: s.optionalText(3),
                            classification: s.optionalText(4).flatMap(Classification.init(name:)),
                            citations: (try? JSONDecoder().decode([Citation].self, from: Data(s.text(5).utf8))) ?? [],
                            createdAt: Date(timeIntervalSince1970: s.double(6)))
            }
        }
    }

    private static func conversation(_ s: Statement) -> Conversation {
        Conversation(id: s.text(0), owner: s.text(1), title: s.text(2), classification: Classification(name: s.text(3)) ?? .biasa,
                     createdAt: Date(timeIntervalSince1970: s.double(4)), updatedAt: Date(timeIntervalSince1970: s.double(5)))
    }
}
