import Foundation
import SamarindaCore

/// A provider served by several endpoints (`base_urls`): one model, many machines. To the router it
/// is one provider — one budget reservation, one `model.call` event, one concurrency limit — and
/// inside it each call goes to the healthy endpoint with the fewest requests in flight.
///
/// An endpoint that fails before answering (cannot connect, 5xx, 429, timeout before the first byte)
/// is ejected and the same call moves on to the next endpoint, so losing a machine loses no request
/// and costs no second budget reservation (the router reserved once, for the call). Ejected
/// endpoints are probed (`GET /models`) every `probeInterval` (`health_check_ms`) and return once they answer. When every
/// endpoint is ejected, the one ejected longest ago is tried anyway rather than failing outright.
public final class FleetProvider: ModelProvider, @unchecked Sendable {
    // @unchecked: `endpoints`' mutable state is guarded by `lock`; everything else is immutable.
    public let config: ProviderConfig
    let members: [any ModelProvider]
    let probeInterval: Duration
    private let lock = NSLock()
    private var state: [Endpoint]
    private var prober: Task<Void, Never>?

    struct Endpoint {
        var inFlight = 0
        var served = 0
        var ejectedAt: ContinuousClock.Instant?
        var lastError = ""
    }

    /// A snapshot of one endpoint, for `/metrics`, the console and tests.
    public struct EndpointStatus: Sendable {
        public let url: String
        public let healthy: Bool
        public let inFlight: Int
        public let served: Int
        public let lastError: String
    }

    /// `make` builds one member provider per endpoint, each a copy of `config` with that `base_url`.
    public init(config: ProviderConfig, probeInterval: Duration? = nil, make: (ProviderConfig) -> any ModelProvider) {
        self.config = config
        self.probeInterval = probeInterval ?? .milliseconds(config.healthCheckMillis)
        self.members = config.endpoints.map { url in
            var member = config
            member.baseURL = url
            member.baseURLs = []
            return make(member)
        }
        self.state = Array(repeating: Endpoint(), count: members.count)
    }

    deinit { prober?.cancel() }

    /// The provider for `config`: a fleet when it lists several endpoints, else `single` itself.
    static func make(_ config: ProviderConfig, _ single: @escaping (ProviderConfig) -> any ModelProvider) -> any ModelProvider {
        config.baseURLs.count > 1 ? FleetProvider(config: config, make: single) : single(config)
    }

    public var status: [EndpointStatus] {
        lock.withLock {
            zip(members, state).map { EndpointStatus(url: $0.config.baseURL, healthy: $1.ejectedAt == nil, inFlight: $1.inFlight,
                                                     served: $1.served, lastError: $1.lastError) }
        }
    }

    // {====== Choosing, ejecting, probing ======}

    /// The healthy endpoint with the fewest requests in flight (ties: fewest served), not in `tried`;
    /// with none healthy, the one ejected longest ago. Counts the request as in flight.
    private func acquire(excluding tried: Set<Int>) -> Int? {
        lock.withLock {
            let open = state.indices.filter { !tried.contains($0) }
            let healthy = open.filter { state[$0].ejectedAt == nil }
            let pick = healthy.min { (state[$0].inFlight, state[$0].served) < (state[$1].inFlight, state[$1].served) }
                ?? open.min { state[$0].ejectedAt! < state[$1].ejectedAt! }
            if let pick { state[pick].inFlight += 1 }
            return pick
        }
    }

    private func release(_ i: Int, failure: ModelError?) {
        lock.withLock {
            state[i].inFlight -= 1
            if let failure {
                if state[i].ejectedAt == nil { state[i].ejectedAt = .now }
                state[i].lastError = failure.message
                if prober == nil { prober = startProber() }
            } else {
                state[i].served += 1
                state[i].ejectedAt = nil
            }
        }
    }

    private func startProber() -> Task<Void, Never> {
        Task.detached { [weak self, probeInterval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: probeInterval)
                guard let self, await self.probeEjected() else { return }
            }
        }
    }

    /// Probes each ejected endpoint once; false when none is left ejected (the prober stops).
    private func probeEjected() async -> Bool {
        let ejected = lock.withLock { state.indices.filter { state[$0].ejectedAt != nil } }
        for i in ejected where (try? await members[i].listModels()) != nil {
            lock.withLock { state[i].ejectedAt = nil }
        }
        return lock.withLock {
            let left = state.contains { $0.ejectedAt != nil }
            if !left { prober = nil }
            return left
        }
    }

    /// Runs `body` on endpoints in turn until one answers; a fault that is not the endpoint's
    /// (a bad request, an answer cut off midway) is thrown at once, as from a single provider.
    private func onSomeEndpoint<T>(_ body: (any ModelProvider) async throws -> T) async throws -> T {
        var tried = Set<Int>()
        var last: ModelError?
        while let i = acquire(excluding: tried) {
            tried.insert(i)
            do {
                let result = try await body(members[i])
                release(i, failure: nil)
                return result
            } catch let error as ModelError where error.isTransient {
                release(i, failure: error)
                last = error
            } catch {
                release(i, failure: nil)
                throw error
            }
        }
        throw last ?? ModelError(.providerUnavailable, "provider '\(config.name)' has no endpoint")
    }

    // {====== ModelProvider ======}

    public func chat(_ call: ProviderCall) async throws -> ChatResponse {
        var answer = try await onSomeEndpoint { try await $0.chat(call) }
        answer.provider = config.name
        return answer
    }

    /// The endpoint is chosen when the stream opens; a fault after the first byte ends the stream
    /// (as with one endpoint: part of the answer was already passed on).
    public func stream(_ call: ProviderCall) async throws -> AsyncThrowingStream<[ChatStreamEvent], any Error> {
        try await onSomeEndpoint { try await $0.stream(call) }
    }

    public func embed(_ inputs: [String]) async throws -> EmbeddingResponse {
        try await onSomeEndpoint { try await $0.embed(inputs) }
    }

    public func listModels() async throws -> [ModelInfo] {
        try await onSomeEndpoint { try await $0.listModels() }
    }
}
