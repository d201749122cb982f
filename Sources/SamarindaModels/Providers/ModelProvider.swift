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
        apiKey().map { [HTTPHeader("Authorization", "Bearer \($0)")] } ?? []
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

/// A provider's streamed answer as batches of events, produced by `produce` in its own task: the
/// stream finishes when `produce` returns, fails with what it throws, and stopping iteration
/// cancels the task (and with it the HTTP transfer).
func eventStream(_ produce: @escaping @Sendable (AsyncThrowingStream<[ChatStreamEvent], any Error>.Continuation) async throws -> Void)
    -> AsyncThrowingStream<[ChatStreamEvent], any Error> {
    AsyncThrowingStream { continuation in
        let task = Task {
            do {
                try await produce(continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
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
