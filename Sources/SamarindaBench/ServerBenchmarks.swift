import Foundation
import Synchronization
import SamarindaCore
import SamarindaModels
import SamarindaRuntime
import SamarindaServer

/// Benchmarks of SamarindaServer (see Harness.swift).
///
/// `server.http-tool-call`: the real service (durable audit trail, API key auth, rate limiter, metrics)
/// runs in this process on a loopback port and is driven with `POST /v1/tools/{plugin}/{tool}` on a
/// trivial tool by many concurrent keep-alive connections — from libcurl (SamarindaModels' HTTPClient)
/// and, when Debian's `wrk` is installed, from wrk as well. The load generator shares the machine's
/// cores with the service, so the figures are a lower bound of what the service does alone.
let serverBenchmarks: [Benchmark] = [
    Benchmark(name: "server.http-tool-call") { ctx in
        let server = try await BenchServer(scratch: ctx.scratch)
        do {
            let out = try await measureHTTPToolCalls(ctx, server)
            await server.stop()
            return out
        } catch {
            await server.stop()
            throw error
        }
    },
]

private func measureHTTPToolCalls(_ ctx: BenchContext, _ server: BenchServer) async throws -> [Measurement] {
    let rssBefore = residentKiB()
    let connections = 64
    let duration: Double = ctx.quick ? 5 : 20
    let url = "http://127.0.0.1:\(server.port)/v1/tools/\(server.plugin)/\(server.tool)"
    let body = Data(server.arguments.utf8)

    // Warm up: plugin state, connection pool, SQLite pages.
    _ = try await drive(url: url, key: server.key, body: body, connections: connections, seconds: 1)
    let curl = try await drive(url: url, key: server.key, body: body, connections: connections, seconds: duration)
    let rssAfter = residentKiB()
    guard curl.failures == 0 else { throw ServerBenchFailure(message: "\(curl.failures) of \(curl.latencies.count + curl.failures) requests failed: \(curl.firstFailure ?? "")") }

    let rate = Double(curl.latencies.count) / curl.seconds
    let p50 = percentile(curl.latencies, 50) * 1000
    let p99 = percentile(curl.latencies, 99) * 1000
    var out: [Measurement] = [
        Measurement(name: "HTTP tool calls, libcurl, \(connections) connections, \(Int(duration)) s", value: rate, unit: "req/s",
                    goal: "≥ 5,000 req/s", met: rate >= 5_000),
        Measurement(name: "HTTP tool call latency p50 (libcurl)", value: p50, unit: "ms"),
        Measurement(name: "HTTP tool call latency p99 (libcurl)", value: p99, unit: "ms", goal: "≤ 20 ms", met: p99 <= 20),
    ]
    if let wrk = try runWrk(url: url, key: server.key, body: server.arguments, connections: connections,
                            seconds: Int(duration), scratch: ctx.scratch) {
        out += [
            Measurement(name: "HTTP tool calls, wrk, \(connections) connections, \(Int(duration)) s", value: wrk.rate, unit: "req/s",
                        goal: "≥ 5,000 req/s", met: wrk.rate >= 5_000),
            Measurement(name: "HTTP tool call latency p50 (wrk)", value: wrk.p50, unit: "ms"),
            Measurement(name: "HTTP tool call latency p99 (wrk)", value: wrk.p99, unit: "ms", goal: "≤ 20 ms", met: wrk.p99 <= 20),
            Measurement(name: "non-2xx responses under wrk", value: Double(wrk.non2xx), unit: "responses"),
        ]
    } else {
        print("  (wrk not installed: `apt-get install wrk` to measure with it too)")
    }
    let rssEnd = residentKiB()
    out += [
        Measurement(name: "process RSS before load (service + bench)", value: rssBefore / 1024, unit: "MiB"),
        Measurement(name: "process RSS after libcurl load", value: rssAfter / 1024, unit: "MiB"),
        Measurement(name: "process RSS at the end", value: rssEnd / 1024, unit: "MiB"),
        Measurement(name: "audit events written during the run", value: Double(try server.auditCount()), unit: "events"),
    ]
    return out
}

struct ServerBenchFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// The service with the shipped `disdukcapil.cek-nik` plugin (no capabilities: pure Lua), or a tiny
/// fixture plugin when the bench does not run from the repository root.
final class BenchServer: @unchecked Sendable {
    let platform: Platform
    let port: Int
    let key: String
    let plugin: String
    let tool: String
    let arguments: String
    private let task: Task<Void, any Error>

    init(scratch: String) async throws {
        let plugins = scratch + "/Plugins"
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        let shipped = FileManager.default.currentDirectoryPath + "/Plugins/disdukcapil.cek-nik"
        if FileManager.default.fileExists(atPath: shipped + "/plugin.toml") {
            try FileManager.default.copyItem(atPath: shipped, toPath: plugins + "/disdukcapil.cek-nik")
            (plugin, tool, arguments) = ("disdukcapil.cek-nik", "cek_nik", #"{"nik": "6472014501900003"}"#)
        } else {
            try writeFixturePlugin(into: plugins)
            (plugin, tool, arguments) = ("umum.gema", "gema", #"{"teks": "halo"}"#)
        }
        let config = try SamarindaConfig.parse("""
            [storage]
            path = "\(scratch)/data/samarinda.db"
            [plugins]
            dir = "\(plugins)"
            watch = false
            [documents]
            seed_dir = ""
            # The benchmark measures the service, not the per-key rate limit (6,000/min by default).
            [roles.service]
            requests_per_minute = 1000000
            """, file: "bench.toml")
        platform = try await Platform.open(config: config)
        key = try await platform.keys.create(name: "bench", department: "disdukcapil", role: .service, clearance: .terbatas).key
        await platform.plugins.start()
        let service = SamarindaService(platform: platform)
        let ready = AsyncStream<Int>.makeStream()
        let app = service.makeApplication(host: "127.0.0.1", port: 0) { port in ready.continuation.yield(port) }
        task = Task { try await app.runService() }
        var bound = 0
        for await p in ready.stream { bound = p; break }
        port = bound
    }

    func auditCount() throws -> Int { Int(try platform.auditLog.count()) }

    func stop() async {
        task.cancel()
        _ = try? await task.value
        platform.plugins.stop()
        try? await platform.close()
    }
}

private func writeFixturePlugin(into plugins: String) throws {
    let folder = plugins + "/umum.gema"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try """
    [plugin]
    id = "umum.gema"
    name = "Gema"
    version = "1.0.0"
    department = "umum"
    description = "echo for benchmarks"
    host_api = "^1.0"
    capabilities = []

    [[tools]]
    name = "gema"
    description = "echo"
    read_only = true
    allowed = ["*"]
    [tools.input_schema]
    type = "object"
    required = ["teks"]
    properties.teks = { type = "string", maxLength = 100 }
    """.write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
    try """
    local M = {}
    function M.gema(args) return { teks = args.teks } end
    return M
    """.write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
}

final class LoadBox: Sendable {
    let value = Mutex(LoadResult())
}

struct LoadResult: Sendable {
    var latencies: [Double] = []
    var failures = 0
    var firstFailure: String?
    var seconds: Double = 0
}

/// `connections` workers, each sending one request at a time for `seconds`, through libcurl's multi
/// interface (one engine thread; libcurl keeps the connections alive between requests).
func drive(url: String, key: String, body: Data, connections: Int, seconds limit: Double) async throws -> LoadResult {
    let client = HTTPClient()
    let request = HTTPRequest(method: "POST", url: url,
                              headers: [HTTPHeader("Authorization", "Bearer \(key)"), HTTPHeader("Content-Type", "application/json")],
                              body: body, timeoutMillis: 10_000)
    let deadline = ContinuousClock.now + .milliseconds(Int(limit * 1000))
    let start = ContinuousClock.now
    let merged = LoadBox()
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<connections {
            group.addTask {
                var local = LoadResult()
                local.latencies.reserveCapacity(4096)
                while ContinuousClock.now < deadline {
                    let t0 = ContinuousClock.now
                    do {
                        let reply = try await client.send(request)
                        if reply.status == 200 {
                            let d = ContinuousClock.now - t0
                            local.latencies.append(Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
                        } else {
                            local.failures += 1
                            if local.firstFailure == nil { local.firstFailure = "HTTP \(reply.status): \(reply.text.prefix(300))" }
                        }
                    } catch {
                        local.failures += 1
                        if local.firstFailure == nil { local.firstFailure = "\(error)" }
                    }
                }
                merged.value.withLock {
                    $0.latencies += local.latencies
                    $0.failures += local.failures
                    if $0.firstFailure == nil { $0.firstFailure = local.firstFailure }
                }
            }
        }
    }
    let d = ContinuousClock.now - start
    return merged.value.withLock {
        var r = $0
        r.seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return r
    }
}

struct WrkResult {
    var rate: Double
    var p50: Double
    var p99: Double
    var non2xx: Int
}

/// Runs Debian's wrk with a Lua script that POSTs the body, when wrk is installed; nil otherwise.
func runWrk(url: String, key: String, body: String, connections: Int, seconds: Int, scratch: String) throws -> WrkResult? {
    guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
    let script = scratch + "/post.lua"
    let escaped = body.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    try """
    wrk.method = "POST"
    wrk.body = "\(escaped)"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["Authorization"] = "Bearer \(key)"
    done = function(summary, latency, requests)
      io.write(string.format("BENCH %d %f %f %f %d\\n", summary.requests, summary.duration / 1e6,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status))
    end
    """.write(toFile: script, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: wrk)
    process.arguments = ["-t2", "-c\(connections)", "-d\(seconds)s", "-s", script, url]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let output = String(decoding: data, as: UTF8.self)
    guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("BENCH ") }) else {
        throw ServerBenchFailure(message: "wrk printed no summary: \(output.prefix(500))")
    }
    let f = line.split(separator: " ").dropFirst().map { Double($0) ?? 0 }
    guard f.count == 5, f[1] > 0 else { throw ServerBenchFailure(message: "cannot read wrk's summary: \(line)") }
    return WrkResult(rate: f[0] / f[1], p50: f[2], p99: f[3], non2xx: Int(f[4]))
}

/// VmRSS of this process, in KiB.
func residentKiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
    return Double(line.split(separator: " ").dropFirst().first.map(String.init) ?? "") ?? 0
}
