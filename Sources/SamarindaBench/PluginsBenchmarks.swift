import Foundation
import SamarindaCore
import SamarindaRuntime
import SamarindaPlugins
import SamarindaTestSupport
import Synchronization

/// Benchmarks of SamarindaPlugins (see Harness.swift).
let pluginBenchmarks: [Benchmark] = [
    Benchmark(name: "plugins.invoke-trivial") { ctx in
        // In-process invoke of a trivial tool: input schema check, one Lua call, output schema check,
        // one audit event into a counting in-memory sink (the durable audit log is measured by its own benchmarks).
        let bench = try PluginBench(scratch: ctx.scratch)
        let host = await bench.host(services: SlowServices(delay: .zero))
        let n = ctx.n(100_000, quick: 20_000)
        let args: JSONValue = ["nama": "Siti"]
        for _ in 0..<1000 { _ = try await host.invoke(plugin: "dinkes.bench", tool: "halo", arguments: args, as: PluginBench.principal) }
        let t = try await seconds {
            for _ in 0..<n { _ = try await host.invoke(plugin: "dinkes.bench", tool: "halo", arguments: args, as: PluginBench.principal) }
        }
        let rate = Double(n) / t
        return [Measurement(name: "trivial tool calls (schema + audit), one caller", value: rate, unit: "calls/s",
                            goal: "≥ 20,000 calls/s", met: rate >= 20_000),
                Measurement(name: "audit events written", value: Double(bench.audit.count), unit: "events")]
    },
    Benchmark(name: "plugins.concurrent-slow-io") { ctx in
        // 1,000 calls, each waiting 1 s on a slow host call (a stand-in model), on one plugin state.
        let bench = try PluginBench(scratch: ctx.scratch)
        let host = await bench.host(services: SlowServices(delay: .seconds(1)))
        let n = 1000
        let tally = Tally()
        let t = await seconds {
            await withTaskGroup(of: Void.self) { group in
                for i in 0..<n {
                    group.addTask {
                        do {
                            _ = try await host.invoke(plugin: "dinkes.bench", tool: "tanya", arguments: ["q": .string("q\(i)")], as: PluginBench.principal)
                        } catch {
                            tally.failures.withLock { $0 += 1 }
                        }
                        let threads = threadCount()
                        tally.peakThreads.withLock { $0 = max($0, threads) }
                    }
                }
            }
        }
        if tally.failures.withLock({ $0 }) > 0 { throw PluginBenchFailure(message: "\(tally.failures.withLock { $0 }) calls failed") }
        return [Measurement(name: "1,000 concurrent calls waiting 1 s each", value: t, unit: "s wall", goal: "≤ 2 s", met: t <= 2),
                Measurement(name: "peak OS threads of the process during the run", value: Double(tally.peakThreads.withLock { $0 }), unit: "threads")]
    },
    Benchmark(name: "plugins.idle-memory") { ctx in
        // Read from the sandbox allocator's own accounting after a full collection.
        let bench = try PluginBench(scratch: ctx.scratch)
        let host = await bench.host(services: SlowServices(delay: .zero))
        let bytes = Double(host.status().first { $0.id == "dinkes.bench" }?.idleMemoryBytes ?? 0)
        return [Measurement(name: "idle loaded plugin (Lua heap)", value: bytes / 1024, unit: "KiB", goal: "≤ 1024 KiB", met: bytes > 0 && bytes <= 1024 * 1024)]
    },
]

private struct PluginBenchFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

final class Tally: Sendable {
    let peakThreads = Mutex(threadCount())
    let failures = Mutex(0)
}

/// OS threads of this process (Linux /proc).
func threadCount() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Threads:") }) else { return 0 }
    return Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) ?? 0
}

/// Counts events and keeps nothing: the in-process cost of the audit contract without storage.
final class CountingAuditSink: AuditSink {
    private let counter = Mutex(0)
    func record(_ event: AuditEvent) async throws { counter.withLock { $0 += 1 } }
    var count: Int { counter.withLock { $0 } }
}

/// The outside world for benchmarks: a model that answers after `delay`.
struct SlowServices: PluginHostServices {
    let delay: Duration
    struct Unused: Error {}
    func searchDocuments(_ request: PluginSearchRequest) async throws -> [Passage] { [] }
    func document(_ request: PluginDocumentRequest) async throws -> PluginDocument? { nil }
    func generate(_ request: PluginModelRequest) async throws -> PluginModelResponse {
        try await Task.sleep(for: delay)
        return PluginModelResponse(text: "ok", model: "slow", provider: "stand-in")
    }
    func redact(_ text: String, context: PluginCallContext) async throws -> PluginRedaction { PluginRedaction(text: text, counts: [:]) }
    func http(_ request: PluginHTTPRequest) async throws -> PluginHTTPResponse { throw Unused() }
}

struct PluginBench {
    static let principal = Principal(id: "bench", name: "bench", department: "dinkes", role: .staff, clearance: .terbatas)
    let config: SamarindaConfig
    let audit = CountingAuditSink()

    init(scratch: String) throws {
        var config = SamarindaConfig()
        config.plugins.dir = scratch + "/Plugins"
        config.plugins.watch = false
        try PluginFixture(id: "dinkes.bench", name: "Bench", description: "benchmark plugin", capabilities: ["model.generate"], tools: [
            .init("halo", description: "trivial", input: #"required = ["nama"]"# + "\n" + #"properties.nama = { type = "string", maxLength = 100 }"#,
                  output: #"required = ["pesan"]"# + "\n" + #"properties.pesan = { type = "string" }"#),
            .init("tanya", description: "waits on the model", input: #"properties.q = { type = "string" }"#),
        ], main: """
        local M = {}
        function M.halo(args) return { pesan = "halo " .. args.nama } end
        function M.tanya(args) return { text = samarinda.model.generate(args.q).text } end
        return M
        """).write(into: config.plugins.dir)
        self.config = config
    }

    func host(services: any PluginHostServices) async -> PluginHost {
        let host = PluginHost(config: config, services: services, audit: audit, database: nil, policy: Policy())
        await host.refresh()
        return host
    }
}
