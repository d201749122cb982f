import Foundation
import SamarindaCore
import SamarindaModels

/// The model gateway (issue 18, see Harness.swift): chat completions through `samarinda serve` against
/// a canned OpenAI-compatible backend on loopback, measured by wrk in one run beside
///
/// - the backend alone (`direct`: what any gateway in front of it can at most reach),
/// - Samarinda.ai non-streamed and streamed (10-chunk answers), alias → one `openai` provider,
///   service key, no retrieval, durable audit trail, budgets accounted,
/// - with `--peers`, LiteLLM proxy (`litellm --num_workers 2`, no database) in front of the same
///   backend with the same payload and load (Scripts/bench --peers installs it once into a cached
///   virtual environment outside the repository and passes its path in `SAMARINDA_BENCH_LITELLM`),
/// - the added latency at one connection (Samarinda p50 − direct p50),
/// - the service's RSS before and after, and `samarinda audit verify` over every event of the run.
///
/// `--soak SECONDS` adds a long run (alternating non-streamed and streamed slices of 30 s) with the
/// RSS sampled after every slice, for the "flat over 5 minutes" goal.
let gatewayBenchmarks: [Benchmark] = [
    Benchmark(name: "gateway.chat-completions", run: gatewayChatCompletions),
]

/// What every gateway is sent: a short chat, as a city office's client would send it.
private func chatPayload(model: String, stream: Bool) -> String {
    #"{"model":"\#(model)","messages":[{"role":"system","content":"Anda asisten pelayanan publik Kota Samarinda."},"#
        + #"{"role":"user","content":"Apa syarat membuat KTP-el?"}],"max_tokens":64\#(stream ? #","stream":true"# : "")}"#
}

@Sendable func gatewayChatCompletions(_ ctx: BenchContext) async throws -> [Measurement] {
    signal(SIGPIPE, SIG_IGN)
    let backend = try CannedSSEServer(body: cannedStream(pieces: 10), completion: cannedCompletion())
    let server = try await BenchServer(scratch: ctx.scratch, plugins: false, extraConfig: providerConfig(backend))
    do {
        // Ours first, the peer after: a peer that does not start (LiteLLM's imports take minutes on a
        // loaded machine) costs only its own rows, and does not take the CPU while ours are measured.
        var out = try await measureGateway(ctx, server: server, backendPort: backend.port) { baseline in
            guard ctx.peers else { return [] }
            guard let litellm = ProcessInfo.processInfo.environment["SAMARINDA_BENCH_LITELLM"], !litellm.isEmpty else {
                throw ServerBenchFailure(message: "--peers needs SAMARINDA_BENCH_LITELLM (the litellm executable); Scripts/bench --peers installs it and sets it")
            }
            let peer: PeerGateway
            do {
                peer = try await PeerGateway.litellm(executable: litellm, backendPort: backend.port, scratch: ctx.scratch)
            } catch {
                return [Measurement(name: "LiteLLM proxy not measured: \(error)", value: 0, unit: "", goal: "≥ 10× its throughput", met: false)]
            }
            defer { peer.stop() }
            return try baseline(peer)
        }
        out += try server.stopAndVerify()
        out += try await oneConnectionWithoutFsync(ctx, backend: backend, durable: out)
        return out
    } catch {
        _ = try? server.stopAndVerify()
        throw error
    }
}

/// The one-connection p50 of a second service whose database commits without waiting for the disk
/// (`[storage] synchronous = "normal"`: NOT durable, never a production setting): with the durable one
/// beside it, what of the added latency is the audit's fsync and what is the gateway's own work.
private func oneConnectionWithoutFsync(_ ctx: BenchContext, backend: CannedSSEServer, durable: [Measurement]) async throws -> [Measurement] {
    let scratch = ctx.scratch + "/no-fsync"
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    let server = try await BenchServer(scratch: scratch, plugins: false, extraConfig: providerConfig(backend), storageConfig: #"synchronous = "normal""#)
    defer { _ = try? server.stopAndVerify() }
    let plain = chatPayload(model: "bench", stream: false)
    let url = "http://127.0.0.1:\(server.port)/v1/chat/completions"
    guard let direct = durable.first(where: { $0.name == "one connection: direct p50" })?.value,
          try runWrk(url: url, key: server.key, body: plain, connections: 1, seconds: 2, scratch: scratch) != nil,
          let r = try runWrk(url: url, key: server.key, body: plain, connections: 1, seconds: max(3, (ctx.quick ? 5 : 10) / 2), scratch: scratch),
          r.non2xx == 0 else { return [] }
    return [
        Measurement(name: "diagnostic, NOT durable ([storage] synchronous = \"normal\"): one connection: Samarinda.ai p50", value: r.p50, unit: "ms"),
        Measurement(name: "diagnostic: added latency at one connection without the audit fsync (p50 − direct p50 of the durable run)",
                    value: r.p50 - direct, unit: "ms"),
    ]
}

/// The canned backend as the one `openai` provider behind the alias `bench`.
private func providerConfig(_ backend: CannedSSEServer) -> String {
    """
        [[providers]]
        name = "canned"
        kind = "openai"
        base_url = "http://127.0.0.1:\(backend.port)/v1"
        model = "bench-model"
        max_classification = "rahasia"
        # The load is 32 connections: let every one of them through to the backend.
        max_concurrency = 256
        [models]
        bench = ["canned"]
        """
}

/// Measures the direct backend and Samarinda.ai, then hands `peers` a function that measures a peer
/// gateway against the same run's figures.
private func measureGateway(_ ctx: BenchContext, server: BenchServer, backendPort: Int,
                            peers: ((PeerGateway) throws -> [Measurement]) async throws -> [Measurement]) async throws -> [Measurement] {
    let connections = 32
    let duration = ctx.quick ? 5 : 10
    let direct = "http://127.0.0.1:\(backendPort)/v1/chat/completions"
    let ours = "http://127.0.0.1:\(server.port)/v1/chat/completions"
    let plain = chatPayload(model: "bench", stream: false), streamed = chatPayload(model: "bench", stream: true)

    func wrk(_ url: String, _ body: String, connections: Int = connections, seconds: Int = duration, key: String = server.key) throws -> WrkResult {
        guard let r = try runWrk(url: url, key: key, body: body, connections: connections, seconds: seconds, scratch: ctx.scratch) else {
            throw ServerBenchFailure(message: "the gateway benchmark needs wrk: apt-get install wrk")
        }
        guard r.non2xx == 0 else { throw ServerBenchFailure(message: "\(r.non2xx) answers from \(url) were not 2xx") }
        return r
    }
    // Warm up: connection pools, SQLite pages, the budget rows of this month.
    _ = try wrk(ours, plain, seconds: 2)
    _ = try wrk(ours, streamed, seconds: 1)
    // For profiling by hand (`perf record -p PID` while wrk drives the printed URL): the service and
    // backend stay up, warmed, for SAMARINDA_BENCH_HOLD seconds before the measured runs.
    if let hold = ProcessInfo.processInfo.environment["SAMARINDA_BENCH_HOLD"].flatMap(Int.init), hold > 0 {
        FileHandle.standardError.write(Data("  holding \(hold) s: service \(ours) (pid \(server.pid)), key \(server.key), backend \(direct); wrk script \(ctx.scratch)/post.lua\n".utf8))
        try await Task.sleep(for: .seconds(hold))
    }
    let rssBefore = server.serviceRSSKiB()
    var rss = [rssBefore]

    /// The service's CPU time per answer over one run, in µs: what a completion costs regardless of how
    /// busy the shared machine is (wall-clock rates on 2 shared cores are not).
    func cpuMicros(_ run: () throws -> WrkResult) throws -> (WrkResult, Double) {
        let before = server.serviceCPUSeconds()
        let r = try run()
        return (r, (server.serviceCPUSeconds() - before) / max(r.requests, 1) * 1e6)
    }
    let d = try wrk(direct, chatPayload(model: "bench-model", stream: false))
    let (s, sCPU) = try cpuMicros { try wrk(ours, plain) }
    rss.append(server.serviceRSSKiB())
    let (st, stCPU) = try cpuMicros { try wrk(ours, streamed) }
    rss.append(server.serviceRSSKiB())
    // One connection: what the gateway adds to each answer when it is not busy.
    let d1 = try wrk(direct, chatPayload(model: "bench-model", stream: false), connections: 1, seconds: max(3, duration / 2))
    let s1 = try wrk(ours, plain, connections: 1, seconds: max(3, duration / 2))
    rss.append(server.serviceRSSKiB())

    var out: [Measurement] = [
        Measurement(name: "direct backend, non-streamed, wrk \(connections) connections \(duration) s", value: d.rate, unit: "req/s"),
        Measurement(name: "direct backend p50", value: d.p50, unit: "ms"),
        Measurement(name: "direct backend p99", value: d.p99, unit: "ms"),
        Measurement(name: "Samarinda.ai non-streamed", value: s.rate, unit: "req/s", baseline: d.rate, baselineName: "direct",
                    goal: "≥ 6,000 req/s", met: s.rate >= 6_000),
        Measurement(name: "Samarinda.ai non-streamed p50", value: s.p50, unit: "ms"),
        Measurement(name: "Samarinda.ai non-streamed p99", value: s.p99, unit: "ms", goal: "≤ 15 ms", met: s.p99 <= 15),
        Measurement(name: "Samarinda.ai streamed (10-chunk answers)", value: st.rate, unit: "streams/s", goal: "≥ 3,000 streams/s", met: st.rate >= 3_000),
        Measurement(name: "Samarinda.ai streamed p50", value: st.p50, unit: "ms"),
        Measurement(name: "Samarinda.ai streamed p99", value: st.p99, unit: "ms"),
        Measurement(name: "service CPU per non-streamed completion", value: sCPU, unit: "µs"),
        Measurement(name: "service CPU per streamed answer", value: stCPU, unit: "µs"),
        Measurement(name: "one connection: direct p50", value: d1.p50, unit: "ms"),
        Measurement(name: "one connection: Samarinda.ai p50", value: s1.p50, unit: "ms", baseline: d1.p50, baselineName: "direct"),
        Measurement(name: "added latency at one connection (p50 Samarinda − direct)", value: s1.p50 - d1.p50, unit: "ms",
                    goal: "≤ 0.5 ms", met: s1.p50 - d1.p50 <= 0.5),
    ]
    out += try await peers { peer in
        _ = try wrk(peer.url, chatPayload(model: "bench", stream: false), seconds: 2, key: peer.key) // warm-up
        let p = try wrk(peer.url, chatPayload(model: "bench", stream: false), key: peer.key)
        let ps = try wrk(peer.url, chatPayload(model: "bench", stream: true), key: peer.key)
        return [
            Measurement(name: "\(peer.name) non-streamed", value: p.rate, unit: "req/s", baseline: d.rate, baselineName: "direct"),
            Measurement(name: "\(peer.name) non-streamed p50", value: p.p50, unit: "ms"),
            Measurement(name: "\(peer.name) non-streamed p99", value: p.p99, unit: "ms"),
            Measurement(name: "\(peer.name) streamed", value: ps.rate, unit: "streams/s"),
            Measurement(name: "\(peer.name) streamed p99", value: ps.p99, unit: "ms"),
            Measurement(name: "throughput Samarinda.ai / \(peer.name), non-streamed", value: s.rate / p.rate, unit: "×", goal: "≥ 10×", met: s.rate >= 10 * p.rate),
            Measurement(name: "p99 Samarinda.ai / \(peer.name), non-streamed", value: s.p99 / p.p99, unit: "×", goal: "≤ 0.1", met: s.p99 <= 0.1 * p.p99),
            Measurement(name: "throughput Samarinda.ai / \(peer.name), streamed", value: st.rate / ps.rate, unit: "×"),
        ]
    }
    if ctx.soakSeconds > 0 {
        // Slices of 30 s alternating the two kinds of load, the service's RSS read after each.
        var left = ctx.soakSeconds, slice = 0
        while left > 0 {
            let seconds = min(30, left)
            _ = try wrk(ours, slice % 2 == 0 ? plain : streamed, seconds: seconds)
            rss.append(server.serviceRSSKiB())
            left -= seconds
            slice += 1
        }
        out.append(Measurement(name: "soak: \(ctx.soakSeconds) s more of load in \(slice) slices", value: Double(ctx.soakSeconds), unit: "s"))
    }
    // Flat memory: after the first loaded run the RSS may not keep growing by more than a few MiB.
    let growth = (rss.last! - rss[1...].min()!) / 1024
    out += [
        Measurement(name: "service RSS at start (after warm-up)", value: rssBefore / 1024, unit: "MiB"),
        Measurement(name: "service RSS at end", value: rss.last! / 1024, unit: "MiB"),
        Measurement(name: "service RSS growth from the first loaded run to the end", value: growth, unit: "MiB", goal: "≤ 8 MiB", met: growth <= 8),
    ]
    return out
}

/// An OpenAI chat completion with usage, as the canned backend answers non-streamed requests.
func cannedCompletion() -> Data {
    Data(#"{"id":"chatcmpl-canned","object":"chat.completion","created":1,"model":"bench-model","choices":[{"index":0,"message":{"role":"assistant","content":"Syarat KTP-el: berusia 17 tahun, fotokopi Kartu Keluarga, dan datang ke kantor Disdukcapil untuk perekaman."},"finish_reason":"stop"}],"usage":{"prompt_tokens":31,"completion_tokens":24,"total_tokens":55}}"#.utf8)
}

/// A peer gateway running as its own process group for the comparison.
final class PeerGateway: @unchecked Sendable {
    let name: String
    let url: String
    /// The bearer key the peer checks on every request, as Samarinda checks its service key.
    let key: String
    private let process: Process

    private init(name: String, url: String, key: String, process: Process) {
        self.name = name
        self.url = url
        self.key = key
        self.process = process
    }

    /// LiteLLM proxy with the canned backend as its one model (`bench` → `openai/bench-model`), two
    /// workers, no database, no telemetry and no download of its model price list (no network here).
    /// It authenticates with a master key (it refuses to start without one), like our service key.
    static func litellm(executable: String, backendPort: Int, scratch: String) async throws -> PeerGateway {
        let port = try freeLoopbackPort()
        let config = scratch + "/litellm.yaml"
        let key = "sk-" + (0..<4).map { _ in UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") }.joined()
        try """
            model_list:
              - model_name: bench
                litellm_params:
                  model: openai/bench-model
                  api_base: http://127.0.0.1:\(backendPort)/v1
                  api_key: canned
            litellm_settings:
              telemetry: false
            general_settings:
              master_key: \(key)
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--config", config, "--host", "127.0.0.1", "--port", String(port), "--num_workers", "2"]
        var environment = ProcessInfo.processInfo.environment
        environment["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
        environment["LITELLM_LOG"] = "ERROR"
        environment["LITELLM_TELEMETRY"] = "False"
        environment["DATABASE_URL"] = nil
        process.environment = environment
        let log = scratch + "/litellm.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        let peer = PeerGateway(name: "LiteLLM proxy", url: "http://127.0.0.1:\(port)/v1/chat/completions", key: key, process: process)
        let client = HTTPClient()
        for _ in 0..<1_500 { // LiteLLM takes a while to import: minutes while the 2 shared cores are busy
            if let reply = try? await client.send(HTTPRequest(url: "http://127.0.0.1:\(port)/health/liveliness", timeoutMillis: 1_000)),
               reply.status == 200 { return peer }
            guard process.isRunning else {
                let tail = (try? String(contentsOfFile: log, encoding: .utf8)).map { String($0.suffix(800)) } ?? ""
                throw ServerBenchFailure(message: "litellm exited with status \(process.terminationStatus) before answering: \(tail)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        peer.stop()
        throw ServerBenchFailure(message: "litellm did not answer /health/liveliness within 300 s (log: \(log))")
    }

    /// Stops the proxy and its workers (uvicorn forks them; they exit with their parent on SIGTERM).
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
