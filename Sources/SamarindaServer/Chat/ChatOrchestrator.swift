import Foundation
import SamarindaCore
import SamarindaModels
import SamarindaRuntime

/// One `/v1/chat/completions` request carried through the platform: retrieval from what the caller
/// may see, the caller's plugin tools offered as functions and run *as the caller* when the model
/// calls them, bounded rounds, and the router (which enforces classification, redaction, budgets
/// and audits each model call).
struct ChatOrchestrator: Sendable {
    let platform: Platform
    let tools: any ToolProvider
    let principal: Principal
    let requestID: String
    /// Most model rounds per request: a model that keeps calling tools is stopped here.
    static let maxRounds = 4

    struct Prepared: Sendable {
        var request: ChatRequest
        var passages: [Passage]
        /// Plugin tools offered, by function name.
        var pluginTools: [String: ToolDescriptor]
    }

    /// What the client asked for beyond OpenAI's fields.
    struct Extras: Decodable {
        var retrieval: Bool?
        var stream_options: StreamOptions?
        struct StreamOptions: Decodable { var include_usage: Bool? }
    }

    func prepare(_ original: ChatRequest, retrieval: Bool?) async throws -> Prepared {
        var request = original
        try await platform.authorize(.chat(classification: request.classification), principal, via: .http, requestID: requestID)
        guard !request.messages.isEmpty else {
            throw APIError.badRequest("invalid_request", "messages must hold at least one message, e.g. [{\"role\": \"user\", \"content\": \"Apa syarat KTP-el?\"}]")
        }
        // Retrieval: on by default for our own aliases, switchable per request.
        var passages: [Passage] = []
        if retrieval ?? request.model.hasPrefix("samarinda-") {
            let question = request.lastUserText
            if !question.isEmpty {
                passages = try await platform.retriever.retrieve(question: question, for: principal, limit: 5, requestID: requestID)
            }
            if !passages.isEmpty {
                let context = RetrievalPrompt.messages(question: question, passages: passages)[0].content ?? ""
                if let i = request.messages.firstIndex(where: { $0.role == .system }) {
                    request.messages[i].content = (request.messages[i].content ?? "") + "\n\n" + context
                } else {
                    request.messages.insert(.system(context), at: 0)
                }
            }
        }
        // The caller's plugin tools, as OpenAI function tools (client-side tools pass through untouched).
        var pluginTools: [String: ToolDescriptor] = [:]
        for t in await tools.tools(for: principal) {
            pluginTools[t.functionName] = t
        }
        if !pluginTools.isEmpty {
            var definitions = request.tools ?? []
            for t in pluginTools.values.sorted(by: { $0.name < $1.name }) {
                let schema = (try? JSONDecoder().decode(JSONValue.self, from: t.inputSchema)) ?? .object([:])
                definitions.append(ToolDefinition(name: t.functionName, description: t.description, parameters: schema))
            }
            request.tools = definitions
        }
        return Prepared(request: request, passages: passages, pluginTools: pluginTools)
    }

    func context(_ prepared: Prepared, toolClassifications: [Classification]) -> ModelCallContext {
        ModelCallContext(principal: principal, passages: prepared.passages, toolOutputClassifications: toolClassifications, requestID: requestID)
    }

    /// Runs the plugin tools the model called and returns the tool messages, with the classification of each output.
    func runTools(_ calls: [ToolCall], offered: [String: ToolDescriptor]) async -> [(ChatMessage, Classification)] {
        var results: [(ChatMessage, Classification)] = []
        for call in calls {
            guard let tool = offered[call.function.name] else { continue }
            let arguments = call.function.arguments.isEmpty ? Data("{}".utf8) : Data(call.function.arguments.utf8)
            switch await tools.call(plugin: tool.plugin, tool: tool.tool, arguments: arguments, as: principal, requestID: requestID) {
            case .success(let output, let classification):
                // The level of the plugin that ran the call (a reload since the tools were offered may have changed it).
                results.append((.tool(String(decoding: output, as: UTF8.self), callID: call.id), classification))
            case .failure(_, let code, let message):
                // A failure's message can carry what the tool read (a traceback, a half-done answer):
                // it keeps the tool's level, not `biasa`.
                let body = (try? JSONSerialization.data(withJSONObject: ["error": ["code": code, "message": message]])) ?? Data()
                results.append((.tool(String(decoding: body, as: UTF8.self), callID: call.id), tool.classification))
            }
        }
        return results
    }

    /// The non-streaming exchange: rounds of model → tools until an answer (or a client-side tool call).
    func complete(_ prepared: Prepared) async throws -> (ChatResponse, Usage, Classification) {
        var request = prepared.request
        request.stream = false
        var toolClassifications: [Classification] = []
        var total = Usage(promptTokens: 0, completionTokens: 0)
        for round in 1...Self.maxRounds {
            let ctx = context(prepared, toolClassifications: toolClassifications)
            let response = try await platform.models.chat(request, context: ctx)
            if let u = response.usage { total = Usage(promptTokens: total.promptTokens + u.promptTokens, completionTokens: total.completionTokens + u.completionTokens) }
            let ours = (response.message.toolCalls ?? []).filter { prepared.pluginTools[$0.function.name] != nil }
            guard !ours.isEmpty, round < Self.maxRounds else {
                return (response, total, ModelRouter.classification(of: request, context: ctx))
            }
            request.messages.append(response.message)
            for (message, level) in await runTools(ours, offered: prepared.pluginTools) {
                request.messages.append(message)
                toolClassifications.append(level)
            }
        }
        throw APIError.internalError("tool rounds exhausted")
    }
}

/// Numbered citations as the answer refers to them: `[1]` is the first passage.
struct Citation: Encodable {
    let n: Int
    let document_id: Int64
    let chunk_id: Int64
    let title: String
    let section: String
    let collection: String
    let classification: String
    let snippet: String

    static func from(_ passages: [Passage]) -> [Citation] {
        passages.enumerated().map { i, p in
            Citation(n: i + 1, document_id: p.documentID, chunk_id: p.chunkID, title: p.title, section: p.section,
                     collection: p.collection, classification: p.classification.name, snippet: String(p.text.prefix(400)))
        }
    }
}

extension APIError {
    /// The API error for a model-layer failure, by its kind (ErrorMapping.swift).
    init(_ error: ModelError) { self.init(module: error) }
}
