import Crypto
import Foundation
import Logging
import SamarindaCore

/// Who is calling and with what data in context. The router raises the
/// request's classification to the highest of the passages and tool outputs.
public struct ModelCallContext: Sendable {
    public var principal: Principal
    /// Passages the answer may use (the offline provider answers from them; the caller puts them in the prompt for others).
    public var passages: [Passage]
    /// Classifications of tool outputs present in the messages.
    public var toolOutputClassifications: [Classification]
    public var requestID: String?
    /// The plugin making the call, if any (recorded in the audit trail).
    public var plugin: String?

    public init(principal: Principal, passages: [Passage] = [], toolOutputClassifications: [Classification] = [],
                requestID: String? = nil, plugin: String? = nil) {
        self.principal = principal
        self.passages = passages
        self.toolOutputClassifications = toolOutputClassifications
        self.requestID = requestID
        self.plugin = plugin
    }
}

/// Tunables of retrying and health; the defaults suit production.
public struct RouterOptions: Sendable {
    /// First backoff; each retry doubles it, with full jitter, up to `backoffMaxMillis`.
    public var backoffBaseMillis = 250
    public var backoffMaxMillis = 4000
    /// A `Retry-After` longer than this is not waited for: the next provider is tried instead.
    public var maxRetryAfterSeconds = 20.0
    /// Consecutive faults after which a provider is skipped for `breakerCooldownMillis`.
    public var breakerThreshold = 3
    public var breakerCooldownMillis = 30_000
    /// Largest response body accepted from a provider.
    public var maxResponseBytes = 8 * 1024 * 1024
    public init() {}
}

/// A provider's state as operators see it (`doctor`, `/metrics`).
public struct ProviderHealth: Sendable, Equatable {
    public var name: String
    public var kind: String
    public var enabled: Bool
    public var external: Bool
    public var maxClassification: Classification
    public var circuitOpen: Bool
    public var consecutiveFailures: Int
    public var lastError: String?
    public var inFlight: Int
}

/// The one way the core reaches language models. For each call it resolves
/// the alias to its provider chain, decides the data level, refuses what no
/// provider may see (`classification_denied`, never a silent downgrade),
/// reserves budget, redacts personal data for external providers, retries
/// transient faults with jittered backoff, falls back along the chain, skips
/// providers whose circuit is open, restores placeholders in the answer, and
/// writes exactly one `model.call` audit event.
public final class ModelRouter: Sendable {
    public let config: SamarindaConfig
    let audit: any AuditSink
    public let budget: BudgetLedger?
    let options: RouterOptions
    let redactor: PIIRedactor
    let providers: [String: any ModelProvider]
    let limits: [String: AsyncSemaphore]
    let breaker: CircuitBreaker

    public init(config: SamarindaConfig, audit: any AuditSink, budget: BudgetLedger?, options: RouterOptions = RouterOptions(),
                redactor: PIIRedactor = PIIRedactor(), http: HTTPClient = .shared) {
        self.config = config
        self.audit = audit
        self.budget = budget
        self.options = options
        self.redactor = redactor
        var providers: [String: any ModelProvider] = [:]
        var limits: [String: AsyncSemaphore] = [:]
        for p in config.providers {
            switch p.kind {
            case .offline: providers[p.name] = OfflineProvider(config: p)
            case .openai: providers[p.name] = FleetProvider.make(p) { OpenAIProvider(config: $0, http: http, maxResponseBytes: options.maxResponseBytes) }
            case .ollama: providers[p.name] = FleetProvider.make(p) { OllamaProvider(config: $0, http: http, maxResponseBytes: options.maxResponseBytes) }
            }
            limits[p.name] = AsyncSemaphore(p.maxConcurrency)
        }
        self.providers = providers
        self.limits = limits
        self.breaker = CircuitBreaker(threshold: options.breakerThreshold, cooldown: .milliseconds(options.breakerCooldownMillis))
    }

    /// The endpoints of every fleet provider (`base_urls`), by provider name, for `/metrics`.
    public var fleetStatus: [(provider: String, endpoints: [FleetProvider.EndpointStatus])] {
        providers.compactMap { name, p in (p as? FleetProvider).map { (name, $0.status) } }.sorted { $0.provider < $1.provider }
    }

    // MARK: Public API

    /// A complete answer.
    public func chat(_ request: ChatRequest, context: ModelCallContext) async throws -> ChatResponse {
        try await complete(request, context: context, operation: "chat") { candidate, call in
            var answer = self.restore(try await candidate.provider.chat(call), session: candidate.session)
            let usage = answer.usage ?? Usage(promptTokens: TextAnalysis.estimateTokens(candidate.call.request.messages),
                                              completionTokens: TextAnalysis.estimateTokens(answer.message.content ?? ""))
            answer.usage = usage
            return (answer, answer.model, usage, answer.message.content ?? "")
        }
    }

    /// A streamed answer. Events arrive as the provider produces them; the stream ends with `.finish`
    /// or `.error` (routing refusals, every provider failing, or a provider breaking off mid-answer).
    /// Stopping iteration cancels the provider call.
    public func stream(_ request: ChatRequest, context: ModelCallContext) -> AsyncStream<ChatStreamEvent> {
        let (stream, continuation) = AsyncStream<ChatStreamEvent>.makeStream(bufferingPolicy: .unbounded)
        let task = Task {
            await self.stream(request, context: context) { batch in for event in batch { continuation.yield(event) } }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The streamed answer run in the caller's task, in the batches it arrived in from the provider
    /// (what one read from the network gave), each handed to `receive` there: no task or stream of its
    /// own (issue 18: a task per streamed answer, and a thread hand-off per batch between it and the
    /// consumer, were a share of every stream's cost). Returns once the last batch (ending with
    /// `.finish` or `.error`) has been received; cancelling the caller's task cancels the provider call.
    public func stream(_ request: ChatRequest, context: ModelCallContext, receive: @escaping ([ChatStreamEvent]) -> Void) async {
        let out = EventBatch<ChatStreamEvent>(receive)
        await runStream(request, context: context, out)
        out.flush()
    }

    /// Embeddings through the alias chain (same classification, redaction, budget and audit rules).
    public func embed(_ request: EmbeddingRequest, context: ModelCallContext) async throws -> EmbeddingResponse {
        let chat = ChatRequest(model: request.model, messages: request.input.map(ChatMessage.user), maxTokens: 0,
                               classification: request.classification)
        return try await complete(chat, context: context, operation: "embed", outputTokens: 0) { candidate, _ in
            // The inputs as the plan prepared them (redacted for external providers).
            let inputs = candidate.call.request.messages.map { $0.content ?? "" }
            var answer = try await candidate.provider.embed(inputs)
            let usage = answer.usage ?? Usage(promptTokens: inputs.reduce(0) { $0 + TextAnalysis.estimateTokens($1) }, completionTokens: 0)
            answer.usage = usage
            return (answer, answer.model, usage, "")
        }
    }

    /// One answer (chat or embeddings) through the plan's candidates in order: the first that answers
    /// is settled against the budget, audited and returned; a transient failure moves on to the next;
    /// a refusal, or the last failure, is audited and thrown. `perform` calls the provider and returns
    /// the answer with the model, usage and text the audit event records.
    private func complete<Answer>(_ request: ChatRequest, context: ModelCallContext, operation: String, outputTokens: Int? = nil,
                                  perform: (Candidate, ProviderCall) async throws -> (Answer, model: String, usage: Usage, text: String)) async throws -> Answer {
        let started = ContinuousClock.now
        var record = CallRecord(request: request, context: context, operation: operation)
        do {
            let plan = try await prepare(request, context: context, record: &record, outputTokens: outputTokens)
            defer { plan.release() }
            var lastError: ModelError?
            for candidate in plan.candidates {
                // Each provider tried reserves its own worst case (its budget, its redacted prompt); retries
                // on it run one at a time under that hold, and a failed attempt gives it back.
                guard try await plan.reserve(candidate, record: &record) else { continue }
                do {
                    let (answer, model, usage, text) = try await attempt(candidate, record: &record) { call in try await perform(candidate, call) }
                    record.finish(provider: candidate.name, model: model, usage: usage, answer: text)
                    let settled = try await commitSettled(plan, &record, started: started)
                    await report(settled, record)
                    return answer
                } catch let e as ModelError where e.code != .cancelled && !e.isDenial {
                    plan.release()
                    lastError = e
                    continue
                }
            }
            throw exhausted(plan, lastError)
        } catch {
            let e = modelError(error)
            await write(record, outcome: e.isDenial ? .denied(code: e.code.rawValue) : .error(code: e.code.rawValue), started: started, error: e)
            throw e
        }
    }

    /// The model aliases callers may name (`GET /v1/models`).
    public func models() -> [ModelInfo] {
        config.models.map { ModelInfo(id: $0.name, ownedBy: "samarinda") }
    }

    /// The highest classification an alias can serve (for clients choosing an alias).
    public func maxClassification(alias: String) -> Classification? {
        chain(alias)?.compactMap { providers[$0]?.config }.filter(\.enabled).map(\.maxClassification).max()
    }

    public func health() -> [ProviderHealth] {
        config.providers.map { p in
            let s = breaker.snapshot(p.name)
            return ProviderHealth(name: p.name, kind: p.kind.rawValue, enabled: p.enabled, external: p.external,
                                  maxClassification: p.maxClassification, circuitOpen: s.open, consecutiveFailures: s.failures,
                                  lastError: s.lastError, inFlight: p.maxConcurrency - (limits[p.name]?.availablePermits ?? p.maxConcurrency))
        }
    }

    /// The data level of a request: the highest of the caller's statement, the passages and the tool outputs.
    public static func classification(of request: ChatRequest, context: ModelCallContext) -> Classification {
        ([request.classification ?? .biasa] + context.passages.map(\.classification) + context.toolOutputClassifications).max() ?? .biasa
    }

    // MARK: Planning

    struct Candidate: Sendable {
        var name: String
        var provider: any ModelProvider
        var call: ProviderCall
        var session: PIIRedactionSession?
    }

    /// Used by one call's task only. Holds at most one reservation at a time: the provider being tried.
    final class Plan: @unchecked Sendable {
        var candidates: [Candidate] = []
        var skipped: [String] = []
        let ledger: BudgetLedger?
        let holder: BudgetHolder
        let alias: String
        let requestID: String?
        let rules: BudgetRulesConfig
        /// Output tokens reserved: the request's `max_tokens`, else the configured default cap (0 for embeddings).
        let outputTokens: Int
        /// The last refusal by a provider's own budget (that provider was skipped).
        var providerRefusal: ModelError?
        private(set) var reservation: BudgetReservation?

        init(ledger: BudgetLedger?, holder: BudgetHolder, alias: String, requestID: String?, rules: BudgetRulesConfig, outputTokens: Int) {
            self.ledger = ledger
            self.holder = holder
            self.alias = alias
            self.requestID = requestID
            self.rules = rules
            self.outputTokens = outputTokens
        }

        /// Reserves the worst case of calling `c`: its prompt's upper bound plus the output cap. False when
        /// only the provider's own budget refuses (the caller tries the next provider); a refusal by the
        /// department's or the principal's budget is thrown, since no provider would change it.
        func reserve(_ c: Candidate, record: inout CallRecord) async throws -> Bool {
            guard let ledger else { return true }
            let tokens = BudgetMath.add(PromptBound.tokens(c.call.request, rules: rules), outputTokens)
            do {
                reservation = try await ledger.reserveWithoutBlocking(holder, provider: c.name, alias: alias, tokens: tokens, requestID: requestID)
                record.reserved = reservation?.tokens ?? 0
                return true
            } catch let e as ModelError where e.code == .budgetExceeded && e.budgetScope?.kind == .provider {
                providerRefusal = e
                skipped.append("\(c.name): its monthly budget is spent")
                return false
            }
        }

        /// The reservation was settled in the caller's transaction (see `commitSettled`).
        func settled() { reservation = nil }

        func settle(provider: String, model: String, usage: Usage) throws -> BudgetSettlement {
            guard let reservation, let ledger else { return BudgetSettlement() }
            self.reservation = nil
            return try ledger.settle(reservation, provider: provider, model: model, tokensIn: usage.promptTokens, tokensOut: usage.completionTokens)
        }

        /// Frees the reservation if the call did not settle it (refused, failed, cancelled).
        func release() {
            guard let reservation else { return }
            self.reservation = nil
            ledger?.release(reservation)
        }
    }

    private func chain(_ alias: String) -> [String]? {
        if let a = config.models.first(where: { $0.name == alias }) { return a.providers }
        if config.provider(alias) != nil { return [alias] }
        return nil
    }

    private func prepare(_ request: ChatRequest, context: ModelCallContext, record: inout CallRecord, outputTokens: Int? = nil) async throws -> Plan {
        guard !request.messages.isEmpty else { throw ModelError(.invalidRequest, "the request has no messages") }
        guard let chain = chain(request.model) else {
            throw ModelError(.unknownModel, "unknown model '\(request.model)'; available: \(config.models.map(\.name).joined(separator: ", "))")
        }
        let level = Self.classification(of: request, context: context)
        record.classification = level
        let enabled = chain.compactMap { providers[$0] }.filter { $0.config.enabled }
        guard !enabled.isEmpty else {
            throw ModelError(.providerUnavailable, "every provider of '\(request.model)' (\(chain.joined(separator: ", "))) is disabled in samarinda.toml")
        }
        let cleared = enabled.filter { $0.config.maxClassification >= level }
        guard !cleared.isEmpty else {
            let allowed = enabled.map { "\($0.config.name) (up to \($0.config.maxClassification.name))" }.joined(separator: ", ")
            let better = config.models.first { a in a.providers.contains { providers[$0]?.config.enabled == true && (providers[$0]?.config.maxClassification ?? .biasa) >= level } }
            throw ModelError(.classificationDenied, "this request is classified '\(level.name)', but the providers of '\(request.model)' may only receive: \(allowed). Nothing was sent."
                             + (better.map { " Use the model '\($0.name)' for \(level.name) data." } ?? " No configured model may receive \(level.name) data."))
        }
        // Budget: each candidate reserves its worst case before anything is sent to it (see Plan.reserve).
        if outputTokens == nil, let m = request.maxTokens, m < 1 {
            throw ModelError(.invalidRequest, "max_tokens must be at least 1 (got \(m)); leave it out to use the default of \(config.budgetRules.defaultMaxTokens)")
        }
        let output = outputTokens ?? request.maxTokens ?? config.budgetRules.defaultMaxTokens
        let plan = Plan(ledger: budget, holder: BudgetHolder(context.principal), alias: request.model, requestID: context.requestID,
                        rules: config.budgetRules, outputTokens: output)
        var refusedSensitive = false
        do {
            for p in cleared {
                guard breaker.allows(p.config.name) else {
                    plan.skipped.append("\(p.config.name): circuit open after repeated faults")
                    continue
                }
                var call = ProviderCall(request: request, model: p.config.wireModel, passages: context.passages)
                // The provider is asked for no more than was reserved.
                if outputTokens == nil { call.request.maxTokens = output }
                var session: PIIRedactionSession?
                if p.config.external {
                    var s = PIIRedactionSession(redactor: redactor)
                    call.request.messages = try call.request.messages.map { m in
                        var m = m
                        if let c = m.content { m.content = try s.redact(c) }
                        m.toolCalls = try m.toolCalls?.map { t in
                            var t = t
                            t.function.arguments = try s.redact(t.function.arguments)
                            return t
                        }
                        return m
                    }
                    // Passages are the city's documents: they go only where the prompt goes, redacted too.
                    call.passages = try call.passages.map { var q = $0; q.text = try s.redact(q.text); return q }
                    // Health or criminal records beside an identifier: the operator's policy may keep it in the city.
                    if !s.sensitive.isEmpty, config.pii.refuseSensitiveExternal {
                        plan.skipped.append("\(p.config.name): external, and the request names \(s.sensitive.sorted().map(\.rawValue).joined(separator: " and ")) matters beside personal data ([pii] refuse_sensitive_external)")
                        refusedSensitive = true
                        continue
                    }
                    session = s
                }
                plan.candidates.append(Candidate(name: p.config.name, provider: p, call: call, session: session))
            }
        } catch {
            plan.release()
            throw error
        }
        if plan.candidates.isEmpty, refusedSensitive {
            plan.release()
            throw ModelError(.classificationDenied, "this request names health or criminal-record matters beside personal data (UU 27/2022 specific personal data), "
                             + "and the operator's policy ([pii] refuse_sensitive_external) keeps such requests off external providers. Nothing was sent. "
                             + "Use a model served inside the city (e.g. 'samarinda-rahasia'), or remove the identifier.")
        }
        if plan.candidates.isEmpty {
            plan.release()
            throw ModelError(.providerUnavailable, "no provider of '\(request.model)' is available: " + plan.skipped.joined(separator: "; "))
        }
        return plan
    }

    private func exhausted(_ plan: Plan, _ last: ModelError?) -> ModelError {
        // Every provider that was not tried was skipped for its own budget: that is the refusal.
        if last == nil, let refusal = plan.providerRefusal { return refusal }
        var e = ModelError(.providerUnavailable, "every provider allowed for this request failed"
                           + (last.map { "; last: \($0.message)" } ?? "")
                           + (plan.skipped.isEmpty ? "" : "; skipped: " + plan.skipped.joined(separator: "; ")))
        e.status = last?.status
        return e
    }

    // MARK: Calling one provider with retries

    /// Calls one provider, retrying transient faults with backoff; records health.
    private func attempt<T>(_ c: Candidate, record: inout CallRecord, _ body: (ProviderCall) async throws -> T) async throws -> T {
        let limit = limits[c.name]
        try await acquire(limit)
        defer { limit?.release() }
        record.redactions = c.session?.countsSummary ?? ""
        var tries = 0
        while true {
            tries += 1
            record.attempts += 1
            record.tried(c.name)
            do {
                let result = try await body(c.call)
                breaker.recordSuccess(c.name)
                return result
            } catch {
                let e = modelError(error)
                if e.code == .cancelled { throw e }
                if e.isTransient || e.code == .malformedResponse || e.code == .streamInterrupted || e.code == .responseTooLarge {
                    breaker.recordFailure(c.name, e.message)
                }
                guard e.isTransient, tries <= c.provider.config.retries, breaker.allows(c.name) else { throw e }
                guard let delay = backoff(tries, e) else { throw e }
                try await sleep(delay)
            }
        }
    }

    private func acquire(_ limit: AsyncSemaphore?) async throws {
        do {
            try await limit?.acquire()
        } catch {
            throw ModelError(.cancelled, "the caller went away")
        }
    }

    private func sleep(_ d: Duration) async throws {
        do {
            try await Task.sleep(for: d)
        } catch {
            throw ModelError(.cancelled, "the caller went away")
        }
    }

    /// Jittered exponential backoff, or the provider's `Retry-After`; nil when that is longer than we wait.
    func backoff(_ attempt: Int, _ e: ModelError) -> Duration? {
        if let after = e.retryAfter {
            guard after <= options.maxRetryAfterSeconds else { return nil }
            return .milliseconds(Int(after * 1000))
        }
        let cap = min(options.backoffMaxMillis, options.backoffBaseMillis << min(attempt - 1, 16))
        return .milliseconds(Int.random(in: (cap / 2)...max(cap / 2, cap)))
    }

    private func restore(_ answer: ChatResponse, session: PIIRedactionSession?) -> ChatResponse {
        guard let session, !session.isEmpty else { return answer }
        var a = answer
        a.message.content = a.message.content.map(session.restore)
        a.message.toolCalls = a.message.toolCalls?.map { t in
            var t = t
            t.function.arguments = session.restore(t.function.arguments)
            return t
        }
        return a
    }

    // MARK: Streaming

    private func runStream(_ request: ChatRequest, context: ModelCallContext, _ out: EventBatch<ChatStreamEvent>) async {
        let started = ContinuousClock.now
        var record = CallRecord(request: request, context: context, operation: "stream")
        let plan: Plan
        do {
            plan = try await prepare(request, context: context, record: &record)
        } catch {
            let e = modelError(error)
            await write(record, outcome: e.isDenial ? .denied(code: e.code.rawValue) : .error(code: e.code.rawValue), started: started, error: e)
            out.yield(.error(e))
            return
        }
        defer { plan.release() }
        var lastError: ModelError?
        for candidate in plan.candidates {
            do {
                guard try await plan.reserve(candidate, record: &record) else { continue }
            } catch {
                let e = modelError(error)
                await write(record, outcome: .denied(code: e.code.rawValue), started: started, error: e)
                out.yield(.error(e))
                return
            }
            var emitted = false
            var text = ""
            var pieces = 0 // deltas received: what a cut-off stream is settled with
            var usage: Usage?
            var finishReason = "stop"
            var finished = false // the provider said why it stopped (what may follow is usage)
            var restorer = candidate.session.map { PlaceholderRestorer(mapping: $0.mapping) }
            var toolRestorers: [Int: PlaceholderRestorer] = [:]
            do {
                let events = try await attempt(candidate, record: &record) { call in try await candidate.provider.stream(call) }
                let limit = limits[candidate.name]
                try await acquire(limit) // hold a permit for the stream's lifetime
                defer { limit?.release() }
                do {
                    for try await batch in events {
                        for event in batch {
                        switch event {
                        case .delta(let piece):
                            if !emitted { out.yield(.start(provider: candidate.name, model: candidate.call.model)); emitted = true }
                            if !piece.isEmpty { pieces += 1 }
                            var restored = piece
                            if var r = restorer {
                                restored = r.feed(piece)
                                restorer = r
                            }
                            text += restored
                            if !restored.isEmpty { out.yield(.delta(restored)) }
                        case .toolCall(var d):
                            if !emitted { out.yield(.start(provider: candidate.name, model: candidate.call.model)); emitted = true }
                            pieces += 1
                            if let session = candidate.session, let args = d.function?.arguments {
                                var r = toolRestorers[d.index] ?? PlaceholderRestorer(mapping: session.mapping)
                                d.function?.arguments = r.feed(args)
                                toolRestorers[d.index] = r
                            }
                            text += d.function?.arguments ?? ""
                            out.yield(.toolCall(d))
                        case .usage(let u): usage = u
                        case .finish(let reason): finishReason = reason; finished = true
                        case .start, .error: break
                        }
                        }
                        // Once the provider has finished, its last text travels with the answer's end
                        // (after the audit event, a fraction of a millisecond later) in one write to the
                        // client instead of two (issue 18).
                        if !finished { out.flush() }
                    }
                } catch {
                    throw StreamFault(error: modelError(error), emitted: emitted)
                }
                if !emitted { out.yield(.start(provider: candidate.name, model: candidate.call.model)) }
                if var r = restorer {
                    let tail = r.flush()
                    if !tail.isEmpty { text += tail; out.yield(.delta(tail)) }
                }
                for (index, var r) in toolRestorers {
                    let tail = r.flush()
                    if !tail.isEmpty { out.yield(.toolCall(ToolCallDelta(index: index, arguments: tail))) }
                }
                breaker.recordSuccess(candidate.name)
                let used = usage ?? Usage(promptTokens: TextAnalysis.estimateTokens(candidate.call.request.messages),
                                          completionTokens: TextAnalysis.estimateTokens(text))
                record.finish(provider: candidate.name, model: candidate.call.model, usage: used, answer: text)
                // The stream is done only once its audit event is: settle and write it before `.finish`.
                let settled: BudgetSettlement
                do {
                    settled = try await commitSettled(plan, &record, started: started)
                } catch let e as ModelError {
                    await write(record, outcome: .error(code: e.code.rawValue), started: started, error: e)
                    out.yield(.error(e))
                    return
                } catch {
                    out.yield(.error(modelError(error)))
                    return
                }
                await report(settled, record)
                out.yield(.usage(used))
                out.yield(.finish(reason: finishReason))
                return
            } catch let fault as StreamFault {
                // Broke off. Before any output a transient fault may still go to the next provider;
                // after output has reached the caller, the answer cannot be continued elsewhere.
                var e = fault.error
                if e.code != .cancelled { breaker.recordFailure(candidate.name, e.message) }
                if !fault.emitted && e.code != .cancelled {
                    plan.release()
                    lastError = e
                    continue
                }
                if e.code != .cancelled {
                    e = ModelError(.streamInterrupted, "the answer from provider '\(candidate.name)' broke off mid-way and is incomplete: \(e.message)",
                                   status: e.status, beforeFirstByte: false)
                }
                // Settle what was received: the usage if the provider sent it before breaking off, else the
                // prompt's estimate and one token per piece received (at least the text's estimate).
                let used = usage ?? Usage(promptTokens: TextAnalysis.estimateTokens(candidate.call.request.messages),
                                          completionTokens: max(pieces, TextAnalysis.estimateTokens(text)))
                let settled = (try? plan.settle(provider: candidate.name, model: candidate.call.model, usage: used)) ?? BudgetSettlement()
                record.finish(provider: candidate.name, model: candidate.call.model, usage: used, answer: text)
                record.overrun = settled.overrun
                await write(record, outcome: .error(code: e.code.rawValue), started: started, error: e)
                await report(settled, record)
                out.yield(.error(e))
                return
            } catch {
                let e = modelError(error)
                if e.code == .cancelled || e.isDenial {
                    await write(record, outcome: .error(code: e.code.rawValue), started: started, error: e)
                    out.yield(.error(e))
                    return
                }
                plan.release()
                lastError = e
            }
        }
        let e = exhausted(plan, lastError)
        await write(record, outcome: e.isDenial ? .denied(code: e.code.rawValue) : .error(code: e.code.rawValue), started: started, error: e)
        out.yield(.error(e))
    }

    private struct StreamFault: Error {
        var error: ModelError
        var emitted: Bool
    }

    // MARK: Audit

    struct CallRecord: Sendable {
        var alias: String
        var operation: String
        var actor: AuditActor
        var department: String
        var requestID: String?
        var plugin: String?
        var classification: Classification = .biasa
        var promptJSON: Data
        var provider = ""
        var model = ""
        var usage: Usage?
        var answer: String?
        var attempts = 0
        var providersTried: [String] = []
        var redactions = ""
        /// Tokens the call's budget reservation held, and what the provider reported beyond them.
        var reserved = 0
        var overrun = 0

        init(request: ChatRequest, context: ModelCallContext, operation: String) {
            alias = request.model
            self.operation = operation
            actor = AuditActor(context.principal)
            department = context.principal.department
            requestID = context.requestID
            plugin = context.plugin
            promptJSON = Data(ChatMessage.encoderJSON(request.messages)) // fixed key order: the same prompt, the same digest
        }

        mutating func tried(_ name: String) {
            if providersTried.last != name { providersTried.append(name) }
        }

        mutating func finish(provider: String, model: String, usage: Usage, answer: String) {
            self.provider = provider
            self.model = model
            self.usage = usage
            self.answer = answer
        }
    }

    /// Settles the answered call's reservation and writes its `model.call` event in one transaction of
    /// the audit's group commit: usage and event become durable together, sharing one fsync with every
    /// call that ends meanwhile, before the answer is released. Throws the settlement's `ModelError`
    /// (nothing written), or `AuditNotRecorded` when the trail could not record the call.
    private func commitSettled(_ plan: Plan, _ record: inout CallRecord, started: ContinuousClock.Instant) async throws -> BudgetSettlement {
        guard let ledger = plan.ledger, let reservation = plan.reservation else {
            guard await write(record, outcome: .ok, started: started) else { throw AuditNotRecorded() }
            return BudgetSettlement()
        }
        let r = record, usage = record.usage ?? Usage(promptTokens: 0, completionTokens: 0)
        // Built here, not on the audit's writer thread: only the overrun is known inside the transaction.
        let base = event(record, outcome: .ok, started: started)
        let settled: BudgetSettlement
        do {
            settled = try await audit.commit(in: ledger.database) { c in
                let settled = try ledger.settle(reservation, in: c, provider: r.provider, model: r.model,
                                                tokensIn: usage.promptTokens, tokensOut: usage.completionTokens)
                var event = base
                if settled.overrun > 0 { event.fields["overrun_tokens"] = String(settled.overrun) }
                return (settled, event)
            }
        } catch let e as ModelError {
            throw e
        } catch {
            throw AuditNotRecorded()
        }
        plan.settled()
        record.overrun = settled.overrun
        return settled
    }

    /// Writes the call's audit event. Returns false when the trail could not record it: the caller
    /// then withholds the answer, because an action is reported as done only once it is audited.
    @discardableResult
    private func write(_ r: CallRecord, outcome: AuditEvent.Outcome, started: ContinuousClock.Instant, error: ModelError? = nil) async -> Bool {
        do {
            try await audit.record(event(r, outcome: outcome, started: started, error: error))
            return true
        } catch {
            return false
        }
    }

    /// The call's `model.call` audit event.
    private func event(_ r: CallRecord, outcome: AuditEvent.Outcome, started: ContinuousClock.Instant, error: ModelError? = nil) -> AuditEvent {
        let elapsed = ContinuousClock.now - started
        var fields: [String: String] = [
            "alias": r.alias,
            "operation": r.operation,
            "provider": r.provider,
            "model": r.model,
            "tokens_in": String(r.usage?.promptTokens ?? 0),
            "tokens_out": String(r.usage?.completionTokens ?? 0),
            "redactions": r.redactions,
            "prompt": audit.contentDigest(String(decoding: r.promptJSON, as: UTF8.self)),
            "attempts": String(r.attempts),
            "providers_tried": r.providersTried.joined(separator: ","),
        ]
        let content = AuditContentRule(config: config)
        if let a = r.answer {
            fields["answer"] = audit.contentDigest(a)
            if content.recordsInFull(.answer, department: r.department) { fields["answer_text"] = a }
        }
        if budget != nil {
            fields["reserved_tokens"] = String(r.reserved)
            if r.overrun > 0 { fields["overrun_tokens"] = String(r.overrun) }
        }
        if let p = r.plugin { fields["plugin"] = p }
        // Full content only for departments that opted in; everyone else gets digests.
        if content.recordsInFull(.prompt, department: r.department) { fields["prompt_text"] = String(decoding: r.promptJSON, as: UTF8.self) }
        if let error { fields["error"] = String(error.message.prefix(500)) }
        return AuditEvent(actor: r.actor, action: "model.call",
                          target: r.provider.isEmpty ? r.alias : "\(r.provider)/\(r.model)",
                          classification: r.classification, outcome: outcome,
                          durationMicros: elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000,
                          fields: fields, requestID: r.requestID)
    }
}

extension ModelRouter {
    static let budgetLog = Logger(label: "samarinda.budget")

    /// Makes what a settlement found visible: a provider charging more than was reserved (`budget.overrun`)
    /// and budgets crossing 80 % or 100 % (`budget.threshold`), each as an audit event and a log warning.
    /// The call itself is already answered and audited; these are best effort.
    func report(_ settled: BudgetSettlement, _ r: CallRecord) async {
        if settled.overrun > 0 {
            Self.budgetLog.warning("provider '\(r.provider)' reported \(settled.overrun) tokens more than the call reserved (\(r.reserved)); counted against the budgets")
            try? await audit.record(AuditEvent(actor: r.actor, action: "budget.overrun", target: "provider:\(r.provider)",
                                               classification: r.classification, outcome: .ok,
                                               fields: ["reserved_tokens": String(r.reserved), "overrun_tokens": String(settled.overrun),
                                                        "tokens_in": String(r.usage?.promptTokens ?? 0), "tokens_out": String(r.usage?.completionTokens ?? 0),
                                                        "model": r.model, "alias": r.alias],
                                               requestID: r.requestID))
        }
        for c in settled.crossings {
            Self.budgetLog.warning("the monthly budget of \(c.scope) has crossed \(c.percent) %: \(c.used) of \(c.limit) tokens used in \(c.month)")
            try? await audit.record(AuditEvent(actor: r.actor, action: "budget.threshold", target: c.scope.key,
                                               fields: ["percent": String(c.percent), "used": String(c.used), "limit": String(c.limit), "month": c.month],
                                               requestID: r.requestID))
        }
    }
}

/// The call went through but its audit event could not be written: the answer is withheld.
struct AuditNotRecorded: Error {}

func modelError(_ error: any Error) -> ModelError {
    if let e = error as? ModelError { return e }
    if error is AuditNotRecorded {
        return ModelError(.storage, "the answer was withheld because the audit trail could not record the call (disk full or read-only?); the operator should check 'samarinda doctor'")
    }
    if error is CancellationError { return ModelError(.cancelled, "the caller went away") }
    return ModelError(.transport, "\(error)")
}


