import Foundation
import SamarindaCore

/// What the router hands a provider: the request (already redacted for external
/// providers), the provider's own model name, and the passages in context.
public struct ProviderCall: Sendable {
    public var request: ChatRequest
    public var model: String
    public var passages: [Passage]
    public init(request: ChatRequest, model: String, passages: [Passage] = []) {
        self.request = request
        self.model = model
        self.passages = passages
    }
}

/// One configured model backend. Providers only speak their wire protocol;
/// routing, retries, redaction, budgets and audit belong to `ModelRouter`.
///
/// `stream` returns once the provider has accepted the request (HTTP status
/// checked) and yields `delta`/`toolCall`/`usage`/`finish` events in batches,
/// one batch per piece that arrived from the network (one hand-off between
/// tasks per network read, not per token); a fault after that is thrown from
/// the stream with `beforeFirstByte == false`.
public protocol ModelProvider: Sendable {
    var config: ProviderConfig { get }
    func chat(_ call: ProviderCall) async throws -> ChatResponse
    func stream(_ call: ProviderCall) async throws -> AsyncThrowingStream<[ChatStreamEvent], any Error>
    func embed(_ inputs: [String]) async throws -> EmbeddingResponse
    func listModels() async throws -> [ModelInfo]
}

/// A provider that speaks HTTP (OpenAI-compatible servers, Ollama): its configuration, the client and
/// the response bound live in its `endpoint`, made by the one initializer below.
public protocol HTTPModelProvider: ModelProvider {
    var endpoint: ProviderEndpoint { get }
    init(endpoint: ProviderEndpoint)
}

extension HTTPModelProvider {
    public var config: ProviderConfig { endpoint.config }

    public init(config: ProviderConfig, http: HTTPClient = .shared, maxResponseBytes: Int = 8 * 1024 * 1024) {
        self.init(endpoint: ProviderEndpoint(config: config, http: http, maxResponseBytes: maxResponseBytes))
    }
}

/// Where an HTTP provider is reached and how: requests to its paths, answered or refused as that provider.
public struct ProviderEndpoint: Sendable {
    public let config: ProviderConfig
    let http: HTTPClient
    let maxResponseBytes: Int

    func request(_ path: String, body: Data?) -> HTTPRequest {
        HTTPRequest(method: body == nil ? "GET" : "POST", url: config.url(path),
                    headers: (body == nil ? [] : [HTTPHeader("Content-Type", "application/json")]) + config.authHeaders(),
                    body: body, timeoutMillis: config.timeoutMillis, connectTimeoutMillis: config.connectTimeoutMillis,
                    firstByteTimeoutMillis: config.timeoutMillis, maxResponseBytes: maxResponseBytes)
    }

    /// The whole answer from `path` (a GET without a body), when its status is 2xx.
    func send(_ path: String, body: Data? = nil) async throws -> HTTPResponse {
        try await http.send(request(path, body: body), expectingSuccessFrom: config.name)
    }

    /// The streamed answer from `path`, once its status is 2xx.
    func stream(_ path: String, body: Data) async throws -> HTTPStreamingResponse {
        try await http.stream(request(path, body: body), expectingSuccessFrom: config.name)
    }
}

extension ProviderConfig {
    /// The model name sent to the provider.
    var wireModel: String { kind == .offline ? OfflineProvider.modelName : (model.isEmpty ? name : model) }
    var wireEmbeddingModel: String { embeddingModel.isEmpty ? wireModel : embeddingModel }

    /// `base_url` + `path`, without a doubled slash.
    func url(_ path: String) -> String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + path
    }

    func authHeaders() -> [HTTPHeader] {
        // `getenv`, as `apiKey()` reads it, without building a dictionary of the whole environment per call.
        guard !apiKeyEnv.isEmpty, let value = getenv(apiKeyEnv) else { return [] }
        return [HTTPHeader("Authorization", "Bearer \(String(cString: value))")]
    }
}

extension HTTPClient {
    /// Sends a request to `provider` and returns its answer when the status is 2xx; any other status
    /// becomes that provider's `ModelError` (see `providerFailure`).
    func send(_ request: HTTPRequest, expectingSuccessFrom provider: String) async throws -> HTTPResponse {
        let response = try await send(request)
        guard (200..<300).contains(response.status) else {
            throw providerFailure(provider, status: response.status, headers: response.headers, body: response.body)
        }
        return response
    }

    /// Opens a streamed answer from `provider` when the status is 2xx; otherwise reads the body for
    /// the error message and throws that provider's `ModelError`.
    func stream(_ request: HTTPRequest, expectingSuccessFrom provider: String) async throws -> HTTPStreamingResponse {
        let response = try await stream(request)
        guard (200..<300).contains(response.status) else {
            let body = (try? await response.collect()) ?? Data()
            throw providerFailure(provider, status: response.status, headers: response.headers, body: body)
        }
        return response
    }
}

/// How a provider's streamed body becomes our events, one chunk of bytes at a time.
protocol ProviderStreamDecoder: Sendable {
    /// The events `chunk` completes (none while an event is still partial), and the error that stopped
    /// the reading after them, if one did: the caller receives the events, then the error.
    mutating func feed(_ chunk: Data) -> (events: [ChatStreamEvent], failure: (any Error)?)
    /// True once the provider has said the answer is over: later bytes are not read.
    var isComplete: Bool { get }
    /// After the last chunk: the events still held, and the error to raise after them when the answer
    /// is incomplete (the caller receives what did arrive first, then the error).
    mutating func finish() -> (events: [ChatStreamEvent], failure: (any Error)?)
}

/// A provider's streamed answer as batches of events, decoded from `body` by `decoder` in the task
/// that reads the answer. Why no task of its own: a producer task between the HTTP body and the router
/// added a task and a hand-off from one task to the other for every batch (issue 18); here each read
/// of the events pulls the next chunk of the body directly. Stopping the iteration, or cancelling the
/// reading task, ends the body's stream and with it the HTTP transfer, as before.
func eventStream<Decoder: ProviderStreamDecoder>(_ body: AsyncThrowingStream<Data, any Error>, _ decoder: Decoder)
    -> AsyncThrowingStream<[ChatStreamEvent], any Error> {
    let reader = EventStreamReader(body, decoder)
    return AsyncThrowingStream(unfolding: { try await reader.next() })
}

/// The error of a streamed answer whose body ended before the provider said it was complete.
func streamClosedEarly(_ provider: String) -> ModelError {
    ModelError(.streamInterrupted, "provider '\(provider)' closed the stream before the answer was complete", beforeFirstByte: false)
}

/// The state of one `eventStream`. @unchecked Sendable: `AsyncThrowingStream(unfolding:)` calls `next`
/// only from the one task iterating the stream, one call at a time, so nothing here is shared.
private final class EventStreamReader<Decoder: ProviderStreamDecoder>: @unchecked Sendable {
    private var body: AsyncThrowingStream<Data, any Error>.AsyncIterator
    private var decoder: Decoder
    private var ended = false
    private var failure: (any Error)?

    init(_ body: AsyncThrowingStream<Data, any Error>, _ decoder: Decoder) {
        self.body = body.makeAsyncIterator()
        self.decoder = decoder
    }

    func next() async throws -> [ChatStreamEvent]? {
        if let failure {
            self.failure = nil
            throw failure
        }
        guard !ended else { return nil }
        while !decoder.isComplete, let chunk = try await body.next() {
            let (events, failure) = decoder.feed(chunk)
            if failure != nil { ended = true }
            if let batch = try deliver(events, then: failure) { return batch }
        }
        ended = true
        // A cancelled reader's body stream ends early: the iteration ends, as a cancelled stream does.
        if Task.isCancelled { return nil }
        let (events, failure) = decoder.finish()
        return try deliver(events, then: failure)
    }

    /// `events` now and `failure` at the next read; `failure` now if there are no events.
    private func deliver(_ events: [ChatStreamEvent], then failure: (any Error)?) throws -> [ChatStreamEvent]? {
        if events.isEmpty {
            if let failure { throw failure }
            return nil
        }
        self.failure = failure
        return events
    }
}

/// Turns a non-2xx provider answer into the right `ModelError` (429 and 5xx are transient).
func providerFailure(_ provider: String, status: Int, headers: [HTTPHeader], body: Data) -> ModelError {
    let detail = providerErrorDetail(body)
    let retryAfter = headers.last { $0.name.lowercased() == "retry-after" }.flatMap { parseRetryAfter($0.value) }
    switch status {
    case 429:
        return ModelError(.rateLimited, "provider '\(provider)' is rate limiting (HTTP 429)\(detail)", status: status, retryAfter: retryAfter)
    case 500...599:
        return ModelError(.providerError, "provider '\(provider)' failed with HTTP \(status)\(detail)", status: status, retryAfter: retryAfter)
    case 401, 403:
        return ModelError(.providerError, "provider '\(provider)' refused our credentials (HTTP \(status))\(detail); check the variable named by api_key_env", status: status)
    default:
        return ModelError(.providerError, "provider '\(provider)' rejected the request with HTTP \(status)\(detail)", status: status)
    }
}

private func providerErrorDetail(_ body: Data) -> String {
    guard !body.isEmpty else { return "" }
    if let json = try? JSONDecoder().decode(JSONValue.self, from: body) {
        if let m = json["error"]?["message"]?.stringValue ?? json["error"]?.stringValue { return ": " + String(m.prefix(300)) }
    }
    return ": " + String(String(decoding: body.prefix(300), as: UTF8.self))
}

/// `Retry-After` as seconds (delta-seconds or an HTTP date).
func parseRetryAfter(_ value: String) -> Double? {
    let v = value.trimmingCharacters(in: .whitespaces)
    if let s = Double(v), s >= 0 { return s }
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "GMT")
    f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
    if let d = f.date(from: v) { return max(0, d.timeIntervalSinceNow) }
    return nil
}

func decodeJSON<T: Decodable>(_ type: T.Type, _ data: Data, provider: String, what: String) throws -> T {
    do {
        return try JSONDecoder().decode(type, from: data)
    } catch {
        let sample = String(decoding: data.prefix(120), as: UTF8.self)
        throw ModelError(.malformedResponse, "provider '\(provider)' sent a \(what) that is not valid JSON of the expected shape (\(sample)…)",
                         beforeFirstByte: false)
    }
}
