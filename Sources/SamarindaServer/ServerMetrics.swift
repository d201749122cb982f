import Foundation
import Hummingbird
import Prometheus
import Synchronization
import SamarindaCore
import SamarindaModels
import SamarindaRuntime

/// The service's Prometheus metrics (`GET /metrics`), kept in one registry owned by the service
/// (not the global MetricsSystem, so tests and several services in one process stay separate).
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    static let latencyBuckets: [Duration] = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                             .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                             .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30)]

    public init() {}

    /// Counters and histograms by name and labels, so a request's metrics are one dictionary lookup
    /// each instead of the registry's descriptor formatting and label validation (about 1 % of a chat
    /// completion, perf, issue 18). Label values are routes, methods, statuses, providers, plugins and
    /// outcomes: a bounded set.
    private let counters = Mutex<[String: Counter]>([:])
    private let histograms = Mutex<[String: DurationHistogram]>([:])

    private static func key(_ name: String, _ labels: [(String, String)]) -> String {
        var key = name
        for (label, value) in labels { key += "\u{1F}" + label + "=" + value }
        return key
    }

    /// What `cache` holds under `key`, made by `make` and kept on first use. Two first uses at once may
    /// both make it; the registry gives the same metric for the same name and labels, so either is kept.
    private static func cached<Key: Hashable & Sendable, Value: Sendable>(_ cache: borrowing Mutex<[Key: Value]>, _ key: Key, make: () -> Value) -> Value {
        if let value = cache.withLock({ $0[key] }) { return value }
        let value = make()
        cache.withLock { $0[key] = value }
        return value
    }

    private func counter(_ name: String, help: String, _ labels: [(String, String)]) -> Counter {
        Self.cached(counters, Self.key(name, labels)) {
            registry.makeCounter(descriptor: Self.descriptor(name, help: help), labels: labels)
        }
    }

    private func histogram(_ name: String, help: String, _ labels: [(String, String)], buckets: [Duration]) -> DurationHistogram {
        Self.cached(histograms, Self.key(name, labels)) {
            registry.makeDurationHistogram(descriptor: Self.descriptor(name, help: help), labels: labels, buckets: buckets)
        }
    }

    /// A full metric name as the registry's descriptor (the last `_` part is the unit: `…_total`, `…_seconds`).
    static func descriptor(_ name: String, help: String) -> MetricNameDescriptor {
        let cut = name.lastIndex(of: "_") ?? name.endIndex
        let unit = cut < name.endIndex ? String(name[name.index(after: cut)...]) : ""
        return MetricNameDescriptor(metricName: String(name[..<cut]), unitName: unit, helpText: help)
    }

    /// The metrics every request and every model call update, found by one lookup of their label values
    /// (no key text built per request: the name-and-labels keys above were 1 % of a chat completion).
    private struct RequestKey: Hashable { let route: String, method: String, status: Int }
    private struct ModelCallKey: Hashable { let provider: String, outcome: String }
    private let requestMetrics = Mutex<[RequestKey: (count: Counter, latency: DurationHistogram)]>([:])
    private let modelCallMetrics = Mutex<[ModelCallKey: (calls: Counter, tokensIn: Counter, tokensOut: Counter)]>([:])

    func request(route: String, method: String, status: Int, duration: Duration) {
        let metrics = Self.cached(requestMetrics, RequestKey(route: route, method: method, status: status)) {
            (count: counter("samarinda_http_requests_total", help: "HTTP requests by route, method and status",
                            [("route", route), ("method", method), ("status", String(status))]),
             latency: histogram("samarinda_http_request_duration_seconds", help: "HTTP request latency",
                                [("route", route), ("method", method)], buckets: Self.latencyBuckets))
        }
        metrics.count.increment()
        metrics.latency.record(duration)
    }

    public func toolCall(plugin: String, tool: String, outcome: String) {
        counter("samarinda_tool_calls_total", help: "Plugin tool calls by outcome", [("plugin", plugin), ("tool", tool), ("outcome", outcome)]).increment()
    }

    public func modelCall(provider: String, outcome: String, tokensIn: Int, tokensOut: Int) {
        let metrics = Self.cached(modelCallMetrics, ModelCallKey(provider: provider, outcome: outcome)) {
            (calls: counter("samarinda_model_calls_total", help: "Model calls by provider and outcome", [("provider", provider), ("outcome", outcome)]),
             tokensIn: counter("samarinda_model_tokens_total", help: "Model tokens by provider", [("provider", provider), ("direction", "in")]),
             tokensOut: counter("samarinda_model_tokens_total", help: "Model tokens by provider", [("provider", provider), ("direction", "out")]))
        }
        metrics.calls.increment()
        metrics.tokensIn.increment(by: Int64(tokensIn))
        metrics.tokensOut.increment(by: Int64(tokensOut))
    }

    public func gauge(_ name: String, help: String, labels: [(String, String)] = [], value: Double) {
        registry.makeGauge(descriptor: Self.descriptor(name, help: help), labels: labels).set(value)
    }

    /// Budget gauges (issue 23): tokens spent and left this month per department, API key, web user and
    /// provider, set from the ledger at each scrape. Label values are names the operator configured or
    /// keys and users that exist, so their number stays bounded.
    public func budgets(_ statuses: [BudgetStatus]) {
        for s in statuses {
            let labels = [("kind", s.kindLabel), ("name", s.shortName)]
            gauge("samarinda_budget_spent_tokens", help: "Model tokens spent this month (WITA) per budget", labels: labels, value: Double(s.used))
            gauge("samarinda_budget_reserved_tokens", help: "Model tokens held by calls in flight per budget", labels: labels, value: Double(s.reserved))
            if let left = s.remaining, let limit = s.limit {
                gauge("samarinda_budget_left_tokens", help: "Model tokens left this month per budget", labels: labels, value: Double(left))
                gauge("samarinda_budget_limit_tokens", help: "Monthly token budget", labels: labels, value: Double(limit))
            }
        }
    }

    /// One gauge per fleet endpoint: 1 while it is in the rotation, 0 while ejected (set at scrape time).
    func fleets(_ fleets: [(provider: String, endpoints: [FleetProvider.EndpointStatus])]) {
        for (provider, endpoints) in fleets {
            for e in endpoints {
                gauge("samarinda_provider_endpoint_up", help: "1 if the fleet endpoint is in the rotation, 0 if ejected as failing",
                      labels: [("provider", provider), ("endpoint", e.url)], value: e.healthy ? 1 : 0)
            }
        }
    }

    func render() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

/// Counts every request by its route pattern (not the raw path, which would explode label cardinality)
/// and by method, where any method outside HTTP's usual set counts as `OTHER` (a client may send any token).
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let metrics: ServerMetrics
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.request(route: context.endpointPath ?? "unmatched", method: Self.methods.contains(request.method.rawValue) ? request.method.rawValue : "OTHER", status: response.status.code, duration: .now - start)
            return response
        } catch let error as any HTTPResponseError {
            metrics.request(route: context.endpointPath ?? "unmatched", method: Self.methods.contains(request.method.rawValue) ? request.method.rawValue : "OTHER", status: error.status.code, duration: .now - start)
            throw error
        }
    }
}
