import Foundation
import Hummingbird
import SamarindaCore
import SamarindaRuntime
import SamarindaServer

/// Whether a conversation may be held at a data level, and through which model alias.
struct LevelChoice {
    let level: Classification
    /// The first model alias whose providers may all receive data of this level, if any.
    let model: String?
    /// Why the level cannot be used, in the page's language; nil when it can.
    let problem: String?
}

extension WebUI {
    /// For each level: the model alias that may take it (the first in `[models]` order whose chain
    /// has an enabled provider cleared for it), or why none can — above the person's clearance, or
    /// above every available model.
    func levelChoices(for principal: Principal, t: [String: String]) -> [LevelChoice] {
        let config = platform.config
        func ceiling(_ alias: ModelAlias) -> Classification? {
            alias.providers.compactMap { config.provider($0) }.filter(\.enabled).map(\.maxClassification).max()
        }
        let highestModel = config.models.compactMap(ceiling).max()
        return Classification.allCases.map { level in
            if level > principal.clearance {
                let message = (t["level_above_clearance"] ?? "%s").replacingOccurrences(of: "%s", with: levelLabel(principal.clearance, t))
                return LevelChoice(level: level, model: nil, problem: message)
            }
            guard let alias = config.models.first(where: { (ceiling($0) ?? .biasa) >= level && ceiling($0) != nil }) else {
                let highest = highestModel.map { levelLabel($0, t) } ?? "—"
                let message = (t["level_no_model"] ?? "%s").replacingOccurrences(of: "%s", with: highest)
                return LevelChoice(level: level, model: nil, problem: message)
            }
            return LevelChoice(level: level, model: alias.name, problem: nil)
        }
    }

    func levelOptions(_ choices: [LevelChoice], selected: Classification, t: [String: String]) -> [[String: Any]] {
        choices.map { c in
            let option: [String: Any?] = ["value": c.level.name, "label": levelLabel(c.level, t), "selected": c.level == selected,
             "disabled": c.problem != nil, "problem": c.problem]
            return option.compactMapValues(present)
        }
    }

    func addChatRoutes(to router: Router<ServerContext>) {
        router.get("/chat") { request, context in
            try self.page(request, context, access: .notAuditor, active: "chat") { p in
                self.chatList(p, error: nil, status: .ok)
            }
        }
        router.post("/chat") { request, context in
            let form = try await self.requireForm(request, context: context)
            return try self.page(request, context, access: .notAuditor, active: "chat") { p in
                let choices = self.levelChoices(for: p.principal, t: p.t)
                guard let level = Classification(name: form["classification"] ?? "biasa"),
                      let choice = choices.first(where: { $0.level == level }) else {
                    return self.chatList(p, error: p.t["chat_level_unknown"], status: .badRequest)
                }
                if let problem = choice.problem { return self.chatList(p, error: problem, status: .badRequest) }
                let conversation = try self.conversations.create(owner: p.principal.id, classification: level)
                return Response.seeOther( "/chat/\(conversation.id)")
            }
        }
        router.get("/chat/{id}") { request, context in
            try self.page(request, context, access: .notAuditor, active: "chat") { p in
                try self.conversationPage(p, id: context.parameters.get("id") ?? "")
            }
        }
        router.post("/chat/{id}/level") { request, context in
            let form = try await self.requireForm(request, context: context)
            return try self.page(request, context, access: .notAuditor, active: "chat") { p in
                // The stored id, not the request's, goes into the redirect below.
                guard let id = try self.conversations.conversation(id: context.parameters.get("id") ?? "", owner: p.principal.id)?.id else {
                    return self.notFound(p)
                }
                guard let level = Classification(name: form["classification"] ?? ""),
                      self.levelChoices(for: p.principal, t: p.t).first(where: { $0.level == level })?.problem == nil else {
                    return try self.conversationPage(p, id: id, error: p.t["chat_level_unknown"], status: .badRequest)
                }
                // Never below what the conversation already holds: earlier turns keep their level.
                let kept = try self.conversations.setClassification(id: id, owner: p.principal.id, level)
                if kept != level {
                    let message = (p.t["chat_level_kept"] ?? "%s").replacingOccurrences(of: "%s", with: self.levelLabel(kept, p.t))
                    return try self.conversationPage(p, id: id, error: message, status: .conflict)
                }
                return Response.seeOther( "/chat/\(id)")
            }
        }
        router.post("/chat/{id}/delete") { request, context in
            _ = try await self.requireForm(request, context: context)
            return try self.page(request, context, access: .notAuditor, active: "chat") { p in
                try self.conversations.delete(id: context.parameters.get("id") ?? "", owner: p.principal.id)
                return Response.seeOther( "/chat")
            }
        }
    }

    func chatList(_ p: PageRequest, error: String?, status: HTTPResponse.Status) -> Response {
        let list = (try? conversations.list(owner: p.principal.id)) ?? []
        let choices = levelChoices(for: p.principal, t: p.t)
        let items = list.map { c -> [String: Any] in
            ["id": c.id, "title": c.title.isEmpty ? (p.t["chat_untitled"] ?? "") : c.title,
             "level": levelLabel(c.classification, p.t), "updated": Self.displayDate(c.updatedAt)]
        }
        return render(p, "chat_list", [
            "title": p.t["chat_title"] ?? "",
            "conversations": items, "has_conversations": !items.isEmpty,
            "levels": levelOptions(choices, selected: .biasa, t: p.t),
            "unavailable": choices.filter { $0.problem != nil }.map { ["label": levelLabel($0.level, p.t), "problem": $0.problem ?? ""] },
            "has_unavailable": choices.contains { $0.problem != nil },
            "privacy": privacyNote(p),
            "error": error,
        ], status: status)
    }

    func conversationPage(_ p: PageRequest, id: String, error: String? = nil, status: HTTPResponse.Status = .ok) throws -> Response {
        guard let conversation = try conversations.conversation(id: id, owner: p.principal.id) else { return notFound(p) }
        let choices = levelChoices(for: p.principal, t: p.t)
        let choice = choices.first { $0.level == conversation.classification }
        let messages = try conversations.messages(of: conversation).map { m -> [String: Any] in
            let fields: [String: Any?] = [
                "role": m.role.rawValue, "is_user": m.role == .user, "content": m.content,
                "provider": m.provider, "classification": m.classification.map { levelLabel($0, p.t) },
                "ai_generated": m.aiGenerated,
                "citations": m.citations.map { c in
                    ["n": c.n, "title": c.title, "section": c.section, "snippet": c.snippet,
                     "href": Self.passageLink(document: String(c.documentID), chunk: c.chunkID.map(String.init))]
                },
                "has_citations": !m.citations.isEmpty,
            ]
            return fields.compactMapValues(present)
        }
        return render(p, "conversation", [
            "title": conversation.title.isEmpty ? (p.t["chat_untitled"] ?? "") : conversation.title,
            "conversation": ["id": conversation.id, "level": conversation.classification.name,
                             "level_label": levelLabel(conversation.classification, p.t), "model": choice?.model ?? ""],
            "messages": messages,
            "levels": levelOptions(choices, selected: conversation.classification, t: p.t),
            "level_problem": choice?.problem,
            "can_ask": choice?.problem == nil,
            "privacy": privacyNote(p),
            "error": error,
        ], status: status, active: "chat")
    }

    func notFound(_ p: PageRequest) -> Response {
        render(p, "refused", ["title": p.t["chat_not_found_title"] ?? "", "message": p.t["chat_not_found"] ?? ""], status: .notFound, active: "chat")
    }

    /// Who can read the conversation, said plainly: only its owner, unless the department opted in to
    /// keeping full content in the audit trail (then the Inspektorat's auditors can read it there).
    func privacyNote(_ p: PageRequest) -> String {
        AuditContentRule(config: platform.config).recordsInFull(.prompt, department: p.principal.department)
            ? p.t["privacy_full_content"] ?? "" : p.t["privacy_owner_only"] ?? ""
    }

    static func passageLink(document: String, chunk: String?) -> String {
        let doc = document.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        guard let chunk, !chunk.isEmpty else { return "/documents/\(doc)" }
        let c = chunk.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return "/documents/\(doc)?chunk=\(c)#chunk-\(c)"
    }

    static func displayDate(_ date: Date) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm"
        f.timeZone = TimeZone(identifier: "Asia/Makassar")
        return f.string(from: date)
    }
}
