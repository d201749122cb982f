import Foundation
import Hummingbird
import Prometheus
import SamarindaCore

/// The service's Prometheus metrics (`GET /metrics`), kept in one registry owned by the service
/// (not the global MetricsSystem, so tests and several services in one process stay separate).
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    static let latencyBuckets: [Duration] = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                             .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                             .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30)]

    public init() {}

    func request(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(name: "samarinda_http_requests_total", labels: [("route", route), ("method", method), ("status", String(status))],
                             help: "HTTP requests by route, method and status").increment()
        registry.makeDurationHistogram(name: "samarinda_http_request_duration_seconds", labels: [("route", route), ("method", method)],
                                       buckets: Self.latencyBuckets, help: "HTTP request latency").record(duration)
    }

    public func toolCall(plugin: String, tool: String, outcome: String) {
        registry.makeCounter(name: "samarinda_tool_calls_total", labels: [("plugin", plugin), ("tool", tool), ("outcome", outcome)],
                             help: "Plugin tool calls by outcome").increment()
    }

    public func modelCall(provider: String, outcome: String, tokensIn: Int, tokensOut: Int) {
        registry.makeCounter(name: "samarinda_model_calls_total", labels: [("provider", provider), ("outcome", outcome)],
                             help: "Model calls by provider and outcome").increment()
        registry.makeCounter(name: "samarinda_model_tokens_total", labels: [("provider", provider), ("direction", "in")],
                             help: "Model tokens by provider").increment(by: Int64(tokensIn))
        registry.makeCounter(name: "samarinda_model_tokens_total", labels: [("provider", provider), ("direction", "out")],
                             help: "Model tokens by provider").increment(by: Int64(tokensOut))
    }

    public func gauge(_ name: String, help: String, labels: [(String, String)] = [], value: Double) {
        registry.makeGauge(name: name, labels: labels, help: help).set(value)
    }

    func render() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

/// Counts every request by its route pattern (not the raw path, which would explode label cardinality).
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.request(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: response.status.code, duration: .now - start)
            return response
        } catch let error as any HTTPResponseError {
            metrics.request(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: error.status.code, duration: .now - start)
            throw error
        }
    }
}
