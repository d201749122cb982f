import Foundation
import SamarindaCore
import SamarindaTestSupport
import Testing

@Suite(.serialized) struct FleetMetricsTests {
    /// `samarinda_provider_endpoint_up{provider,endpoint}`: 1 for each endpoint of a fleet until it
    /// fails, then 0 for the one ejected while the live one stays 1 and the call still succeeds.
    @Test func metricsShowEachFleetEndpointUpOrEjected() async throws {
        let live = try ScriptedModel()
        let liveURL = live.baseURL(calling: "none", arguments: "{}")
        let deadURL = "http://127.0.0.1:1/v1"  // nothing listens on port 1: connection refused
        let server = try await TestServer(configText: """
            [[providers]]
            name = "offline"
            kind = "offline"
            [[providers]]
            name = "lokal"
            kind = "openai"
            base_urls = ["\(deadURL)", "\(liveURL)"]
            model = "scripted"
            max_classification = "rahasia"
            connect_timeout_ms = 500
            retries = 0
            health_check_ms = 60000
            [models]
            samarinda-default = ["offline"]
            lokal = ["lokal"]
            """)
        func gauge(_ url: String) async throws -> String? {
            let text = try await server.request("GET", "/metrics", key: server.key("admin")).text
            let prefix = "samarinda_provider_endpoint_up{provider=\"lokal\",endpoint=\"\(url)\"} "
            return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        }
        #expect(try await gauge(deadURL) == "1.0", "an endpoint is in the rotation until it fails")
        #expect(try await gauge(liveURL) == "1.0")

        // Both idle, so the first listed (dead) endpoint is tried first; the call moves on to the live one.
        let reply = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"), json: [
            "model": "lokal", "messages": [["role": "user", "content": "halo"]]])
        #expect(reply.status == 200, "\(reply.text)")
        #expect(try await gauge(deadURL) == "0.0", "the failed endpoint shows as ejected")
        #expect(try await gauge(liveURL) == "1.0")
        let text = try await server.request("GET", "/metrics", key: server.key("admin")).text
        #expect(!text.contains("samarinda_provider_endpoint_up{provider=\"offline\""), "single-endpoint providers have no endpoint gauge")
        await server.stop()
    }
}
