import Foundation
import SamarindaCore
import SamarindaModels

/// A refusal or bad input from the chat pipeline, with its kind (each adapter maps kinds to its own
/// surface: an HTTP status, a CLI exit code, a console line).
public struct ChatError: KindedError, Equatable, CustomStringConvertible {
    public var kind: ErrorKind
    /// Stable code, as in API errors (`classification_denied`, `conversation_not_found`, …).
    public var code: String
    public var message: String

    public init(_ kind: ErrorKind, code: String, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
    public var errorKind: ErrorKind { kind }
    public var errorCode: String { code }
    public var errorMessage: String { message }
}

/// One chat exchange carried through the platform, the same for every entry point (`/v1/chat/completions`
/// streamed or not, the web, `samarinda ask`, the console's `ask`): the caller's clearance checked,
/// the conversation's stored turns put before the new ones, retrieval from what the caller may see,
/// the caller's plugin tools offered as functions and run *as the caller* when the model calls them,
/// bounded rounds, the router (classification, redaction, budgets, one `model.call` event per round),
/// and the answer stored in the conversation. Every audit event of the exchange (`docs.search`,
/// `tool.call`, `model.call`) carries `requestID`.
public struct ChatService: Sendable {
    public let platform: Platform
    public let tools: any ToolProvider
    public let principal: Principal
    public let requestID: String
    /// The entry point, named in refusal events.
    public let via: Entry
    /// Most model rounds per request: a model that keeps calling tools is stopped here.
    public static let maxRounds = 4

    public init(platform: Platform, tools: (any ToolProvider)? = nil, principal: Principal, requestID: String? = nil, via: Entry = .http) {
        self.platform = platform
        self.via = via
        self.tools = tools ?? PlatformTools(platform: platform)
        self.principal = principal
        self.requestID = requestID ?? randomID(bytes: 8)
    }

    /// What the caller asked for beyond the chat request itself.
    public struct Options: Sendable {
        /// Retrieval on or off; nil: on for the `samarinda-*` aliases.
        public var retrieval: Bool?
        /// Continue this stored conversation of the caller.
        public var conversationID: String?
        /// Start a new stored conversation with this exchange (when no `conversationID` is given).
        public var store: Bool

        public init(retrieval: Bool? = nil, conversationID: String? = nil, store: Bool = false) {
            self.retrieval = retrieval
            self.conversationID = conversationID
            self.store = store
        }
    }

    public struct Prepared: Sendable {
        public var request: ChatRequest
        public var passages: [Passage]
        /// Plugin tools offered, by function name.
        public var pluginTools: [String: ToolDescriptor]
        /// The stored conversation this exchange continues, if any.
        public var conversation: Conversation?
        /// True when the exchange starts a new stored conversation.
        var startsConversation: Bool
        /// The caller's own new questions (what is stored as the user turns).
        var questions: [String]
        /// The level the caller stated, before the conversation raised it.
        var statedClassification: Classification
        /// Stored turns of the conversation left out by `[chat]` history limits (the oldest).
        public var historyTurnsOmitted = 0
    }

    /// The answer as produced: what every adapter shows and what the conversation stores.
    public struct Answer: Sendable {
        public var id: String
        public var created: Int
        public var content: String
        /// Calls of the caller's own (client-side) functions: the caller runs them, as with OpenAI.
        public var toolCalls: [ToolCall]
        public var finishReason: String
        /// Usage of all rounds.
        public var usage: Usage
        /// The provider that gave the last round, and its model name.
        public var provider: String
        public var model: String
        public var classification: Classification
        public var passages: [Passage]
        public var citations: [Citation]
        /// The stored conversation the exchange went into, if any.
        public var conversationID: String?
        public var requestID: String
        /// Stored turns of the conversation left out by `[chat]` history limits (the oldest).
        public var historyTurnsOmitted = 0
        /// Every answer is model output, labelled as such wherever it is shown (SE Menkominfo 9/2023).
        public var aiGenerated: Bool { true }
    }

    /// What the exchange yields, in order: `start` once (the first provider chosen), `delta` pieces of
    /// the answer, then `done` with the whole answer or `failed` (after which nothing follows).
    public enum Event: Sendable {
        case start(provider: String, model: String)
        case delta(String)
        case done(Answer)
        case failed(ModelError)
    }

    public func prepare(_ original: ChatRequest, options: Options = Options()) async throws -> Prepared {
        var request = original
        // Who may chat, at the stated level: the one policy, the same for every entry point.
        try await platform.authorize(.chat(classification: request.classification), principal, via: via, requestID: requestID)
        guard !request.messages.isEmpty else {
            throw ChatError(.invalidRequest, code: "invalid_request",
                            "messages must hold at least one message, e.g. [{\"role\": \"user\", \"content\": \"Apa syarat KTP-el?\"}]")
        }
        let stated = request.classification ?? .biasa
        let questions = request.messages.filter { $0.role == .user }.compactMap(\.content)
        // A continued conversation: its stored turns go between the caller's system messages and the new
        // ones, and its level (the highest of its turns) is the floor of this request's level.
        var conversation: Conversation?
        var omitted = 0
        if let id = options.conversationID {
            guard let found = try platform.conversations.conversation(id: id, owner: principal.conversationOwner) else {
                throw ChatError(.notFound, code: "conversation_not_found",
                                "no conversation '\(id)' of yours; list yours with GET /v1/conversations, or leave conversation_id out to start afresh")
            }
            conversation = found
            let history = try platform.conversations.history(of: found, limits: platform.config.chat)
            omitted = history.omitted
            let system = request.messages.prefix { $0.role == .system || $0.role == .developer }.count
            request.messages = Array(request.messages.prefix(system)) + history.messages + Array(request.messages.dropFirst(system))
            if found.classification > stated { request.classification = found.classification }
        }
        // A continued conversation may have raised the level: asked again at the conversation's level.
        if request.classification != original.classification {
            try await platform.authorize(.chat(classification: request.classification), principal, via: via, requestID: requestID)
        }
        // Retrieval: on by default for our own aliases, switchable per request.
        var passages: [Passage] = []
        if options.retrieval ?? request.model.hasPrefix("samarinda-") {
            let question = request.lastUserText
            if !question.isEmpty {
                // On Swift's global pool: a search of a large index may hold its thread for
                // milliseconds, and the server runs chat on the connection's event loop.
                passages = try await withTaskExecutorPreference(globalConcurrentExecutor) {
                    try await platform.retriever.retrieve(question: question, for: principal, limit: 5, requestID: requestID)
                }
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
                let schema = t.parameters ?? (try? JSONDecoder().decode(JSONValue.self, from: t.inputSchema)) ?? .object([:])
                definitions.append(ToolDefinition(name: t.functionName, description: t.description, parameters: schema))
            }
            request.tools = definitions
        }
        return Prepared(request: request, passages: passages, pluginTools: pluginTools, conversation: conversation,
                        startsConversation: conversation == nil && options.store, questions: questions, statedClassification: stated,
                        historyTurnsOmitted: omitted)
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

    /// The exchange as events. With `upstreamStreaming` each model round streams from the provider;
    /// without, each round asks the provider for a whole answer and replays it as events — the rounds,
    /// tools, storing and the answer are the same either way. Stopping iteration cancels the work.
    public func stream(_ prepared: Prepared, upstreamStreaming: Bool = true) -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .unbounded)
        let task = run(prepared, upstreamStreaming: upstreamStreaming, into: continuation)
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The events of `stream`, written into the caller's stream (one that something else may end as
    /// well, e.g. a request's deadline) by one task, which is returned to be cancelled when that stream
    /// ends: no second stream and task to pass the events on.
    public func run(_ prepared: Prepared, upstreamStreaming: Bool = true, into continuation: AsyncStream<Event>.Continuation) -> Task<Void, Never> {
        Task {
            await self.rounds(prepared, upstreamStreaming: upstreamStreaming) { continuation.yield($0) }
            continuation.finish()
        }
    }

    /// `run`, with the events handed on in batches: those that one read from the provider produced
    /// together travel (and are written to the client) together, instead of one hop and one network
    /// write each (issue 18). The order and the events are the same. The task runs on `executor` when
    /// given (the server passes the connection's event loop, so the work does not change threads).
    public func run(_ prepared: Prepared, upstreamStreaming: Bool = true, on executor: (any TaskExecutor)? = nil,
                    into continuation: AsyncStream<[Event]>.Continuation) -> Task<Void, Never> {
        Task(executorPreference: executor) {
            let batch = EventBatch<Event> { continuation.yield($0) }
            await self.rounds(prepared, upstreamStreaming: upstreamStreaming, emit: batch.yield, flush: batch.flush)
            batch.flush()
            continuation.finish()
        }
    }

    /// The whole answer: the same rounds as `stream`, run in the caller's task (no stream or task of
    /// its own in between), each round asking the provider for a whole answer.
    public func complete(_ prepared: Prepared) async throws -> Answer {
        var outcome: Result<Answer, ModelError>?
        await rounds(prepared, upstreamStreaming: false) { event in
            switch event {
            case .start, .delta: break
            case .done(let answer): outcome = .success(answer)
            case .failed(let error): outcome = .failure(error)
            }
        }
        guard let outcome else { throw ModelError(.cancelled, "the request was cancelled before the answer was complete") }
        return try outcome.get()
    }

    /// The one round loop: model → the plugin tools it called, run as the caller → model …, at most `maxRounds`.
    private func rounds(_ prepared: Prepared, upstreamStreaming: Bool, emit: @escaping (Event) -> Void, flush: @escaping () -> Void = {}) async {
        var request = prepared.request
        request.stream = upstreamStreaming
        let id = "chatcmpl-" + randomID()
        let created = Int(Date().timeIntervalSince1970)
        var toolClassifications: [Classification] = []
        var total = Usage(promptTokens: 0, completionTokens: 0)
        var provider = "", model = ""
        var started = false
        var text = ""
        for round in 1...Self.maxRounds {
            let ctx = context(prepared, toolClassifications: toolClassifications)
            var pending: [Int: (id: String, name: String, arguments: String)] = [:]
            var roundText = ""
            var finishReason: String?
            /// One event of the round; false when it ended the exchange.
            func take(_ event: ChatStreamEvent) -> Bool {
                switch event {
                case .start(let p, let m):
                    provider = p
                    model = m
                    if !started { started = true; emit(.start(provider: p, model: m)) }
                case .delta(let piece):
                    roundText += piece
                    emit(.delta(piece))
                case .toolCall(let delta):
                    var entry = pending[delta.index] ?? (id: "", name: "", arguments: "")
                    if let v = delta.id { entry.id = v }
                    if let v = delta.function?.name { entry.name += v }
                    if let v = delta.function?.arguments { entry.arguments += v }
                    pending[delta.index] = entry
                case .usage(let u):
                    // Each count is clamped to 2^50 by Usage, so the sums cannot overflow.
                    total = Usage(promptTokens: total.promptTokens + u.promptTokens, completionTokens: total.completionTokens + u.completionTokens)
                case .finish(let reason):
                    finishReason = reason
                case .error(let error):
                    emit(.failed(explained(error, prepared)))
                    return false
                }
                return true
            }
            if upstreamStreaming {
                // In this task: no task and stream of the router's between the provider and here.
                var ended = false
                await platform.models.stream(request, context: ctx) { batch in
                    guard !ended else { return }
                    for event in batch { guard take(event) else { ended = true; return } }
                    // A batch that finished the round goes on with what follows it (the answer's end,
                    // or the tools' round, which flushes before the tools run): one hop, one write.
                    if finishReason == nil { flush() }
                }
                if ended { return }
            } else {
                for event in await wholeAnswer(request, context: ctx) { guard take(event) else { return } }
            }
            guard let reason = finishReason else {
                emit(.failed(ModelError(Task.isCancelled ? .cancelled : .streamInterrupted, "the model stream ended without finishing; the answer is incomplete")))
                return
            }
            text += roundText
            let calls = pending.sorted { $0.key < $1.key }.map { ToolCall(id: $0.value.id, name: $0.value.name, arguments: $0.value.arguments) }
            let ours = calls.filter { prepared.pluginTools[$0.function.name] != nil }
            if !ours.isEmpty, round < Self.maxRounds {
                request.messages.append(ChatMessage(role: .assistant, content: roundText.isEmpty ? nil : roundText, toolCalls: ours))
                flush() // before the tools run: they may take a while
                for (message, level) in await runTools(ours, offered: prepared.pluginTools) {
                    request.messages.append(message)
                    toolClassifications.append(level)
                }
                continue
            }
            let level = ModelRouter.classification(of: request, context: ctx)
            var answer = Answer(id: id, created: created, content: text, toolCalls: calls.filter { prepared.pluginTools[$0.function.name] == nil },
                                finishReason: reason, usage: total, provider: provider, model: model, classification: level,
                                passages: prepared.passages, citations: Citation.from(prepared.passages), conversationID: nil, requestID: requestID,
                                historyTurnsOmitted: prepared.historyTurnsOmitted)
            // Stored as part of answering: the questions and the answer this exchange actually produced.
            if prepared.conversation != nil || prepared.startsConversation {
                do {
                    let conversation = try prepared.conversation
                        ?? platform.conversations.create(owner: principal.conversationOwner, classification: prepared.statedClassification)
                    try platform.conversations.recordExchange(conversation, questions: prepared.questions, answer: text, provider: provider, model: model,
                                                              classification: level, citations: answer.citations, requestID: requestID)
                    answer.conversationID = conversation.id
                } catch {
                    emit(.failed(ModelError(.storage, "the answer could not be stored in the conversation (\(error)); retry shortly")))
                    return
                }
            }
            emit(.done(answer))
            return
        }
    }

    /// One model round asked for a whole answer, as the events a stream of it would give.
    private func wholeAnswer(_ request: ChatRequest, context: ModelCallContext) async -> [ChatStreamEvent] {
        do {
            let response = try await platform.models.chat(request, context: context)
            var events: [ChatStreamEvent] = [.start(provider: response.provider, model: response.model)]
            if let content = response.message.content, !content.isEmpty { events.append(.delta(content)) }
            for (index, call) in (response.message.toolCalls ?? []).enumerated() {
                events.append(.toolCall(ToolCallDelta(index: index, id: call.id, name: call.function.name, arguments: call.function.arguments)))
            }
            if let usage = response.usage { events.append(.usage(usage)) }
            events.append(.finish(reason: response.finishReason))
            return events
        } catch let error as ModelError {
            return [.error(error)]
        } catch {
            return [.error(ModelError(.providerError, "\(error)"))]
        }
    }

    /// A refusal caused by the conversation's earlier turns says so (the caller did not ask for that level).
    private func explained(_ error: ModelError, _ prepared: Prepared) -> ModelError {
        guard error.code == .classificationDenied, let conversation = prepared.conversation,
              conversation.classification > prepared.statedClassification else { return error }
        var shaped = error
        shaped.message = "this conversation holds \(conversation.classification.name) content from earlier turns, and a follow-up sends them "
            + "to the model again: \(error.message) Continue it with a model cleared for \(conversation.classification.name), or start a new conversation."
        return shaped
    }
}
