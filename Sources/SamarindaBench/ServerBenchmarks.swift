import Foundation
import Synchronization
import SamarindaCore
import SamarindaModels
import SamarindaRuntime
import SamarindaServer
import SamarindaTestSupport

/// Benchmarks of SamarindaServer (see Harness.swift).
///
/// `server.http-tool-call`: the real service — `samarinda serve` from the same build, as its own
/// process, as it is deployed (durable audit trail, API key auth, rate limiter, metrics) — on a
/// loopback port, driven with `POST /v1/tools/{plugin}/{tool}` on a trivial tool by 64 concurrent
/// keep-alive connections: from wrk (Debian's, when installed: the figure the goal is about) and from
/// libcurl in this process. The load generator shares the machine's two cores with the service, so
/// the figures are a lower bound of what the service does alone. The service's RSS is sampled before,
/// between and after the runs, and the audit trail is verified at the end.
let serverBenchmarks: [Benchmark] = [
    Benchmark(name: "server.http-tool-call") { ctx in
        let server = try await BenchServer(scratch: ctx.scratch)
        do {
            let out = try await measureHTTPToolCalls(ctx, server)
            return out + (try server.stopAndVerify())
        } catch {
            _ = try? server.stopAndVerify()
            throw error
        }
    },
]

private func measureHTTPToolCalls(_ ctx: BenchContext, _ server: BenchServer) async throws -> [Measurement] {
    let connections = 64
    let duration: Double = ctx.quick ? 5 : 20
    let url = "http://127.0.0.1:\(server.port)/v1/tools/\(server.plugin)/\(server.tool)"
    let body = Data(server.arguments.utf8)

    // Warm up: plugin state, connection pool, SQLite pages.
    _ = try await drive(url: url, key: server.key, body: body, connections: connections, seconds: 1)
    let rssBefore = server.serviceRSSKiB()
    var out: [Measurement] = []
    var rssSamples = [rssBefore]
    if let wrk = try runWrk(url: url, key: server.key, body: server.arguments, connections: connections,
                            seconds: Int(duration), scratch: ctx.scratch) {
        rssSamples.append(server.serviceRSSKiB())
        out += [
            Measurement(name: "HTTP tool calls, wrk, \(connections) connections, \(Int(duration)) s", value: wrk.rate, unit: "req/s",
                        goal: "≥ 5,000 req/s", met: wrk.rate >= 5_000),
            Measurement(name: "HTTP tool call latency p50 (wrk)", value: wrk.p50, unit: "ms"),
            Measurement(name: "HTTP tool call latency p99 (wrk)", value: wrk.p99, unit: "ms", goal: "≤ 20 ms", met: wrk.p99 <= 20),
            Measurement(name: "non-2xx responses under wrk", value: Double(wrk.non2xx), unit: "responses"),
        ]
    } else {
        print("  (wrk not installed: `apt-get install wrk` to measure with it too; the goal is checked with libcurl alone)")
    }
    let curl = try await drive(url: url, key: server.key, body: body, connections: connections, seconds: duration)
    rssSamples.append(server.serviceRSSKiB())
    guard curl.failures == 0 else { throw ServerBenchFailure(message: "\(curl.failures) of \(curl.latencies.count + curl.failures) requests failed: \(curl.firstFailure ?? "")") }
    let rate = Double(curl.latencies.count) / curl.seconds
    let p99 = percentile(curl.latencies, 99) * 1000
    let withoutWrk = !out.contains { $0.name.contains("wrk") }
    out += [
        Measurement(name: "HTTP tool calls, libcurl, \(connections) connections, \(Int(duration)) s", value: rate, unit: "req/s",
                    goal: withoutWrk ? "≥ 5,000 req/s" : nil, met: withoutWrk ? rate >= 5_000 : nil),
        Measurement(name: "HTTP tool call latency p50 (libcurl)", value: percentile(curl.latencies, 50) * 1000, unit: "ms"),
        Measurement(name: "HTTP tool call latency p99 (libcurl)", value: p99, unit: "ms",
                    goal: withoutWrk ? "≤ 20 ms" : nil, met: withoutWrk ? p99 <= 20 : nil),
    ]
    // Flat memory: the service's RSS after each run may not keep growing by more than a few MiB.
    let growth = (rssSamples.last! - rssSamples[1...].min()!) / 1024
    out += [
        Measurement(name: "service RSS before load", value: rssBefore / 1024, unit: "MiB"),
        Measurement(name: "service RSS after each run", value: rssSamples.dropFirst().max()! / 1024, unit: "MiB (max)"),
        Measurement(name: "service RSS growth from the first to the last loaded run", value: growth, unit: "MiB",
                    goal: "≤ 8 MiB", met: growth <= 8),
    ]
    return out
}

struct ServerBenchFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// `samarinda serve` (the binary built beside this one) with the shipped `disdukcapil.cek-nik` plugin
/// (no capabilities: pure Lua), or a tiny fixture plugin when the bench does not run from the
/// repository root, on a free loopback port, with a `service` key created through the CLI.
final class BenchServer: @unchecked Sendable {
    let port: Int
    let key: String
    let plugin: String
    let tool: String
    let arguments: String
    private let binary: String
    private let config: String
    private let process: Process

    /// `plugins: false` serves an empty plugin folder (no tools offered to models); `extraConfig` is appended to the configuration.
    init(scratch: String, plugins withPlugins: Bool = true, extraConfig: String = "", storageConfig: String = "") async throws {
        binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path + "/samarinda"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ServerBenchFailure(message: "\(binary) is not built: run `swift build -c release --product samarinda` (Scripts/bench does)")
        }
        let plugins = scratch + "/Plugins"
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        let shipped = FileManager.default.currentDirectoryPath + "/Plugins/disdukcapil.cek-nik"
        if !withPlugins {
            (plugin, tool, arguments) = ("", "", "")
        } else if FileManager.default.fileExists(atPath: shipped + "/plugin.toml") {
            try FileManager.default.copyItem(atPath: shipped, toPath: plugins + "/disdukcapil.cek-nik")
            (plugin, tool, arguments) = ("disdukcapil.cek-nik", "cek_nik", #"{"nik": "6472014501900003"}"#)
        } else {
            try writeFixturePlugin(into: plugins)
            (plugin, tool, arguments) = ("umum.gema", "gema", #"{"teks": "halo"}"#)
        }
        port = try freeLoopbackPort()
        config = scratch + "/bench.toml"
        try """
            [server]
            listen = "127.0.0.1:\(port)"
            [storage]
            path = "\(scratch)/data/samarinda.db"
            \(storageConfig)
            [plugins]
            dir = "\(plugins)"
            watch = false
            [documents]
            seed_dir = ""
            # The benchmark measures the service, not the per-key rate limit (6,000/min by default).
            [roles.service]
            requests_per_minute = 1000000
            \(extraConfig)
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let created = try runCommand(binary, ["keys", "create", "--config", config, "--name", "bench", "--department", "disdukcapil", "--role", "service"])
        guard let key = created.split(whereSeparator: \.isWhitespace).first(where: { $0.hasPrefix("smd_") }) else {
            throw ServerBenchFailure(message: "samarinda keys create printed no key: \(created)")
        }
        self.key = String(key)
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--config", config]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let client = HTTPClient()
        for _ in 0..<300 {
            if let reply = try? await client.send(HTTPRequest(url: "http://127.0.0.1:\(port)/healthz", timeoutMillis: 1_000)), reply.status == 200 { return }
            guard process.isRunning else { throw ServerBenchFailure(message: "samarinda serve exited with status \(process.terminationStatus) before answering") }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.terminate()
        throw ServerBenchFailure(message: "samarinda serve did not answer /healthz within 30 s")
    }

    var pid: Int32 { process.processIdentifier }

    /// VmRSS of the service process, in KiB.
    func serviceRSSKiB() -> Double { residentKiB(ofProcess: process.processIdentifier) }

    /// CPU time (user + system, every thread) the service has used so far, in seconds.
    func serviceCPUSeconds() -> Double { cpuSeconds(ofProcess: process.processIdentifier) }

    /// Stops the service with SIGTERM (graceful: final checkpoint) and verifies the audit trail it wrote.
    func stopAndVerify() throws -> [Measurement] {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        let report = try runCommand(binary, ["audit", "verify", "--lang", "en", "--config", config])
        // "Audit trail verified: events #1–#N (…)."
        guard let line = report.split(separator: "\n").first(where: { $0.hasPrefix("Audit trail verified: events #1–#") }),
              let events = line.dropFirst("Audit trail verified: events #1–#".count).split(separator: " ").first.flatMap({ Double($0) }) else {
            throw ServerBenchFailure(message: "samarinda audit verify did not pass after the load: \(report.suffix(600))")
        }
        return [Measurement(name: "audit events written and verified after the run", value: events, unit: "events")]
    }
}

/// Runs a command and returns its standard output and error; throws with both when it fails.
private func runCommand(_ binary: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0 else {
        throw ServerBenchFailure(message: "\(binary) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(text.suffix(600))")
    }
    return text
}

/// A loopback port nobody listens on now (bound to port 0, read back, released).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ServerBenchFailure(message: "socket() failed: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw ServerBenchFailure(message: "cannot bind a loopback port: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

private func writeFixturePlugin(into plugins: String) throws {
    try PluginFixture(id: "umum.gema", name: "Gema", description: "echo for benchmarks", tools: [
        .init("gema", description: "echo", input: #"required = ["teks"]"# + "\n" + #"properties.teks = { type = "string", maxLength = 100 }"#),
    ], main: """
    local M = {}
    function M.gema(args) return { teks = args.teks } end
    return M
    """).write(into: plugins)
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
    /// Requests answered in the run (for per-request costs).
    var requests: Double = 0
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
    process.arguments = ["-t\(min(2, connections))", "-c\(connections)", "-d\(seconds)s", "-s", script, url]
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
    return WrkResult(rate: f[0] / f[1], requests: f[0], p50: f[2], p99: f[3], non2xx: Int(f[4]))
}

/// User + system CPU time of a process and all its threads, in seconds (`/proc/PID/stat` fields 14 and 15).
func cpuSeconds(ofProcess pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return 0 }
    // After the command name in parentheses: state is field 3, utime field 14, stime field 15.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// VmRSS of a process (default: this one), in KiB.
func residentKiB(ofProcess pid: Int32? = nil) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/\(pid.map(String.init) ?? "self")/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
    return Double(line.split(separator: " ").dropFirst().first.map(String.init) ?? "") ?? 0
}
