import Foundation
import SamarindaAudit
import SamarindaCore
import SamarindaDocuments
import SamarindaModels
import SamarindaPlugins
import SamarindaRuntime

extension ConsoleCommand {
    static let status = ConsoleCommand(
        name: "status", usage: "status", summary: "service, storage, providers, plugins, documents, audit head",
        help: "Locally: the database (path, size, schema version per module), each model provider with its circuit state, plugins loaded and failed, document counts, and the audit trail's size and last signed checkpoint. Over --url: /healthz, the model aliases, and the plugins (/v1/plugins with an admin key, else the tools the key may call).",
        local: { console, _, p in
            var lines: [String] = [console.style.bold("Samarinda.ai \(SamarindaVersion.current)") + "  config: \(p.config.sourcePath ?? "embedded defaults")"]
            let path = p.config.storage.path
            let size = ["", "-wal"].compactMap { (try? FileManager.default.attributesOfItem(atPath: path + $0))?[.size] as? Int }.reduce(0, +)
            let versions = (try? p.database.schemaVersions()) ?? [:]
            lines.append("storage:   \(path)  \(formatBytes(size))  schema " + versions.sorted { $0.key < $1.key }.map { "\($0.key) v\($0.value)" }.joined(separator: ", "))
            lines.append("")
            let health = p.models.health()
            lines.append(TextTable(["PROVIDER", "KIND", "STATE", "MAX CLASS", "EXTERNAL", "IN FLIGHT", "LAST ERROR"], health.map { h in
                let state = !h.enabled ? console.style.dim("disabled") : h.circuitOpen ? console.style.warn("circuit open (\(h.consecutiveFailures) failures)") : console.style.ok("healthy")
                return [h.name, h.kind, state, h.maxClassification.name, h.external ? "yes" : "no", String(h.inFlight), h.lastError.map { String($0.prefix(60)) } ?? "-"]
            }).render())
            let plugins = await console.loadedPlugins(p)
            let loaded = plugins.filter { $0.state == .loaded }
            let failed = plugins.filter { $0.state == .failed }
            lines.append("")
            lines.append("plugins:   \(loaded.count) loaded, \(failed.count) failed, \(plugins.count - loaded.count - failed.count) disabled  (\(p.config.plugins.dir))")
            for f in failed { lines.append("  " + console.style.warn(f.id) + ": " + (f.errors.first.map { String($0.prefix(120)) } ?? "failed")) }
            let collections = (try? p.documents.collections(for: console.principal)) ?? []
            let documents = (try? p.documents.list(for: console.principal)) ?? []
            lines.append("documents: \(collections.count) collections, \(documents.count) documents, \(documents.reduce(0) { $0 + $1.chunkCount }) chunks")
            let count = (try? p.auditLog.count()) ?? 0
            let last = (try? p.auditLog.checkpoints())?.last
            lines.append("audit:     \(count) events; last checkpoint " + (last.map { "at size \($0.treeSize)" } ?? "none yet") + "  (run 'audit verify' to check the trail)")
            return .ok(lines.joined(separator: "\n"))
        },
        remote: { _, _, r in
            var lines: [String] = []
            let health = try await r.call("GET", "/healthz") as? [String: Any] ?? [:]
            lines.append("service:   \(r.baseURL)  status \(health["status"] as? String ?? "?")  version \(health["version"] as? String ?? "?")")
            let models = (try await r.call("GET", "/v1/models") as? [String: Any])?["data"] as? [[String: Any]] ?? []
            lines.append("models:    " + models.compactMap { $0["id"] as? String }.joined(separator: ", "))
            if let plugins = (try? await r.call("GET", "/v1/plugins") as? [String: Any])?["data"] as? [[String: Any]] {
                let loaded = plugins.filter { $0["state"] as? String == "loaded" }.count
                let failed = plugins.filter { $0["state"] as? String == "failed" }.count
                lines.append("plugins:   \(loaded) loaded, \(failed) failed, \(plugins.count - loaded - failed) disabled")
            } else if let tools = (try? await r.call("GET", "/v1/tools") as? [String: Any])?["data"] as? [[String: Any]] {
                let plugins = Set(tools.compactMap { $0["plugin"] as? String })
                lines.append("plugins:   \(plugins.count) with \(tools.count) tools this key may call")
            }
            return .ok(lines.joined(separator: "\n"))
        })

    static let ask = ConsoleCommand(
        name: "ask", usage: "ask [--store | --conversation <id>] <question> [as <principal>]", summary: "answer a question from the documents, with citations",
        help: "Retrieves the passages the principal may see and answers through the model router; prints the answer, numbered citations (title — section) and the provider that answered. 'as' takes an API key or department:role. --store keeps the exchange as a new conversation on the server and prints its id; --conversation <id> continues one of the principal's conversations (as conversation_id on /v1/chat/completions). Over --url it asks the service as the key's principal.",
        complete: { console, index, words in
            if previousWord(words, index) == "as" { return console.principalCandidates() }
            return index == 0 ? ["--store", "--conversation"] : []
        }
    ) { console, raw in
        let (args, who) = raw.splittingAs()
        var words = args.words
        var conversationID: String?
        var store = false
        // Leading flags, as `samarinda ask` takes them; the rest is the question.
        while let flag = words.first, flag.hasPrefix("--") {
            words.removeFirst()
            switch flag {
            case "--store": store = true
            case "--conversation":
                guard !words.isEmpty else { throw ConsoleError("--conversation needs the conversation id, e.g. ask --conversation 3f9c… Berapa lama prosesnya?") }
                conversationID = words.removeFirst()
            default: throw ConsoleError("unknown option '\(flag)'; ask takes --store or --conversation <id>")
            }
        }
        let question = (words.count == args.words.count ? args.rest : words.joined(separator: " "))
            .trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        guard !question.isEmpty else { throw ConsoleError("usage: ask <question> [as <principal>], e.g. ask Apa syarat membuat KTP-el? (--store or --conversation <id> first keeps a conversation)") }
        if case .remote(let r) = console.backend {
            guard who == nil else { throw ConsoleError("over --url the key given with --key is the principal; 'as' works on the local data folder only") }
            return .ok(try await r.ask(question, conversationID: conversationID, store: store, style: console.style))
        }
        let p = try console.requireLocal("ask")
        let caller = try await console.principal(for: who)
        // The same exchange as /v1/chat/completions and `samarinda ask`: clearance, retrieval, the caller's
        // plugin tools run as the caller, one request id on its search, tool and model events.
        _ = await console.loadedPlugins(p)
        let service = ChatService(platform: p, principal: caller, via: .console)
        let answer: ChatService.Answer
        do {
            let prepared = try await service.prepare(ChatRequest(messages: [.user(question)], maxTokens: 1024),
                                                     options: .init(retrieval: true, conversationID: conversationID, store: store))
            answer = try await service.complete(prepared)
        } catch let e as PolicyRefusal {
            throw ConsoleError("\(e.errorCode): \(e.errorMessage) (as \(caller.id))")
        } catch let e as ModelError {
            throw ConsoleError("\(e.code.rawValue): \(e.message); check 'status' for provider health and 'budget' for the department's tokens")
        } catch let e as ChatError {
            throw ConsoleError("\(e.code): \(e.message) (as \(caller.id))")
        } catch let e as DocumentsError {
            throw ConsoleError("\(e.message) (as \(caller.id))")
        }
        return .ok(answerText(answer.content, sources: answer.citations.map { ($0.title, $0.section) },
                              about: "\(answer.provider) (\(answer.model)), \(answer.usage.promptTokens) tokens in, \(answer.usage.completionTokens) out",
                              requestID: answer.requestID, conversationID: answer.conversationID, omitted: answer.historyTurnsOmitted, style: console.style))
    }

    static let search = ConsoleCommand(
        name: "search", usage: "search <query> [in <collection>]", summary: "search the documents as the operator",
        help: "Indonesian-aware full-text search over every collection the operator may see (or one collection). Shows title, section, score and a snippet. Over --url it searches as the key's principal (/v1/search).",
        complete: { console, index, words in
            if previousWord(words, index) == "in" { return console.collectionCandidates() }
            return index >= 1 ? ["in"] : []
        }
    ) { console, args in
        var query = args.rest
        var collection: String?
        if let range = query.range(of: " in ", options: .backwards) {
            let name = query[range.upperBound...].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty, !name.contains(" ") {
                collection = name
                query = String(query[..<range.lowerBound])
            }
        }
        query = query.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        guard !query.isEmpty else { throw ConsoleError("usage: search <query> [in <collection>]; 'docs' lists the collections") }
        if case .remote(let r) = console.backend {
            var path = "/v1/search?q=\(query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query)"
            if let collection { path += "&collection=\(collection.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? collection)" }
            let items = (try await r.call("GET", path) as? [String: Any])?["data"] as? [[String: Any]] ?? []
            if items.isEmpty { return .ok("No matches for '\(query)'.") }
            return .ok(TextTable(["TITLE", "SECTION", "SCORE", "SNIPPET"], items.map { h in
                [h["title"] as? String ?? "", (h["section"] as? String).map { $0.isEmpty ? "-" : String($0.prefix(40)) } ?? "-",
                 String(format: "%.2f", h["score"] as? Double ?? 0), String((h["snippet"] as? String ?? "").replacingOccurrences(of: "\n", with: " ").prefix(90))]
            }).render())
        }
        let p = try console.requireLocal("search")
        if let collection, !console.collectionCandidates().contains(collection) {
            throw ConsoleError("no collection '\(collection)'; 'docs' lists the collections (Tab completes after 'in')")
        }
        let hits: [SearchHit]
        do {
            hits = try await p.documents.search(query: query, principal: console.principal, collections: collection.map { [$0] })
        } catch let e as DocumentsError { throw ConsoleError(e.message) }
        if hits.isEmpty { return .ok("No matches for '\(query)'" + (collection.map { " in \($0)" } ?? "") + ". Try other words, or 'docs' to see what is ingested.") }
        let rows = hits.map { h in
            [h.title, h.section.isEmpty ? "-" : String(h.section.prefix(40)), String(format: "%.2f", h.score),
             String(h.snippet.replacingOccurrences(of: "\n", with: " ").prefix(90))]
        }
        return .ok(console.style.fit(TextTable(["TITLE", "SECTION", "SCORE", "SNIPPET"], rows).render(), hint: "narrow it with 'in <collection>'"))
    }

    static let docs = ConsoleCommand(
        name: "docs", usage: "docs [collection]", summary: "collections and documents",
        help: "Without an argument: every collection with its department and document count, then the documents. With a collection: only its documents. Over --url: the documents the key may see (/v1/documents).",
        complete: { console, index, _ in index == 0 ? console.collectionCandidates() : [] }
    ) { console, args in
        if case .remote(let r) = console.backend {
            let path = "/v1/documents" + (args.words.first.map { "?collection=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)" } ?? "")
            let items = (try await r.call("GET", path) as? [String: Any])?["data"] as? [[String: Any]] ?? []
            if items.isEmpty { return .ok("No documents this key may see.") }
            return .ok(TextTable(["ID", "COLLECTION", "TITLE", "CLASS"], items.map { d in
                [String(describing: d["id"] ?? ""), d["collection"] as? String ?? "", String((d["title"] as? String ?? "").prefix(60)), d["classification"] as? String ?? ""]
            }).render())
        }
        let p = try console.requireLocal("docs")
        let collections: [DocumentCollection]
        let documents: [DocumentRecord]
        do {
            collections = try p.documents.collections(for: console.principal)
            if let name = args.words.first, !collections.contains(where: { $0.name == name }) {
                throw ConsoleError("no collection '\(name)'; known: \(collections.map(\.name).joined(separator: ", "))")
            }
            documents = try p.documents.list(for: console.principal, collections: args.words.first.map { [$0] })
        } catch let e as DocumentsError { throw ConsoleError(e.message) }
        if collections.isEmpty { return .ok("No documents yet. Ingest some with 'samarinda docs ingest' or set [documents] seed_dir.") }
        var out = ""
        if args.words.isEmpty {
            out = TextTable(["COLLECTION", "DEPARTMENT", "DOCUMENTS", "DESCRIPTION"], collections.map {
                [$0.name, $0.department, String($0.documentCount), String($0.description.prefix(60))]
            }).render() + "\n\n"
        }
        out += TextTable(["ID", "COLLECTION", "TITLE", "CLASS", "CHUNKS", "VERSION"], documents.map {
            [String($0.id), $0.collection, String($0.title.prefix(60)), $0.classification.name, String($0.chunkCount), String($0.version)]
        }).render()
        return .ok(console.style.fit(out, hint: "use 'docs <collection>' for one collection"))
    }

    static let lua = ConsoleCommand(
        name: "lua", usage: "lua [code]", summary: "Lua as the operator: a mode ('.exit' leaves), or one snippet",
        help: """
            'lua' switches to Lua mode: each line is evaluated, '.exit' returns. 'lua <code>' or '= <expr>' runs one snippet. \
            Snippets run in the plugin sandbox with the same host API (samarinda.docs, samarinda.model, …) and limits \
            (2 s CPU, 32 MB) acting as the operator; each line is a fresh sandbox, so keep a computation on one line. \
            Every snippet is audited as console.lua.
            """
    ) { console, args in
        let p = try console.requireLocal("lua")
        let source = args.rest.trimmingCharacters(in: .whitespaces)
        if source.isEmpty {
            console.luaMode = true
            return .ok(console.style.dim("Lua mode: each line is evaluated as \(console.principal.id); '.exit' returns to commands."))
        }
        let evaluation = await p.plugins.evaluate(source, as: console.principal)
        var lines = evaluation.output
        if let error = evaluation.error {
            let next: String
            switch error {
            case .limitExceeded, .timeout: next = "the snippet was stopped; the console is still usable"
            case .forbidden: next = "the operator sandbox has the department default capabilities only"
            default: next = "fix the snippet and try again"
            }
            lines.append(console.style.error("\(error.code): \(error.message.replacingOccurrences(of: "\n", with: " ")) — \(next)"))
            return .failure(lines.joined(separator: "\n"))
        }
        if let value = evaluation.value, value != .null { lines.append(value.prettyText) } else if lines.isEmpty { lines.append("nil") }
        return .ok(lines.joined(separator: "\n"))
    }
}

extension Console {
    func collectionCandidates() -> [String] {
        ((try? backend.platform?.documents.collections(for: principal)) ?? []).map(\.name)
    }
}

func formatBytes(_ n: Int) -> String {
    if n >= 1 << 20 { return String(format: "%.1f MB", Double(n) / Double(1 << 20)) }
    if n >= 1 << 10 { return String(format: "%.1f KB", Double(n) / Double(1 << 10)) }
    return "\(n) B"
}

/// An answer as `ask` shows it, local or over --url: the text, its numbered sources, who answered, the
/// AI label and request id, and for a stored conversation its id, how to continue it and how many of its
/// oldest turns the `[chat]` history limits kept from the model.
func answerText(_ content: String, sources: [(title: String, section: String)], about: String, requestID: String,
                conversationID: String?, omitted: Int, style: ConsoleStyle) -> String {
    var lines = [content, ""]
    if sources.isEmpty { lines.append(style.warn("no documents found for this question")) }
    // The offline provider already ends its answer with the numbered sources; do not repeat them.
    if !(content.contains("Sumber:") || content.contains("Sources:")) {
        for (i, source) in sources.enumerated() { lines.append("[\(i + 1)] \(source.title)" + (source.section.isEmpty ? "" : " — \(source.section)")) }
    }
    lines.append(style.dim("— \(about) · AI-generated · request \(requestID)"))
    if let conversationID {
        lines.append(style.dim("conversation \(conversationID) · continue with: ask --conversation \(conversationID) …"))
        if omitted > 0 { lines.append(style.warn("the \(omitted) oldest turns of this conversation were not sent to the model ([chat] history limits)")) }
    }
    return lines.joined(separator: "\n")
}

extension RemoteService {
    /// `ask` over --url: `/v1/chat/completions` as the key's principal, continuing or storing a conversation on the service.
    func ask(_ question: String, conversationID: String?, store: Bool, style: ConsoleStyle) async throws -> String {
        var body: [String: Any] = ["model": "samarinda-default", "max_tokens": 1024, "retrieval": true,
                                   "messages": [["role": "user", "content": question]]]
        if let conversationID { body["conversation_id"] = conversationID }
        if store { body["store"] = true }
        let reply = try await call("POST", "/v1/chat/completions", json: body) as? [String: Any] ?? [:]
        let message = ((reply["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any]) ?? [:]
        let marker = reply["samarinda"] as? [String: Any] ?? [:]
        let usage = reply["usage"] as? [String: Any] ?? [:]
        let sources = (reply["citations"] as? [[String: Any]] ?? []).map { ($0["title"] as? String ?? "", $0["section"] as? String ?? "") }
        return answerText(message["content"] as? String ?? "", sources: sources,
                          about: "\(reply["provider"] as? String ?? "?"), \(usage["prompt_tokens"] as? Int ?? 0) tokens in, \(usage["completion_tokens"] as? Int ?? 0) out",
                          requestID: marker["request_id"] as? String ?? "?", conversationID: marker["conversation_id"] as? String,
                          omitted: marker["history_turns_omitted"] as? Int ?? 0, style: style)
    }
}
