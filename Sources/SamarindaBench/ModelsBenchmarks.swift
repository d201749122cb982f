import Foundation
import SamarindaCore
import SamarindaModels

/// Benchmarks of SamarindaModels (see Harness.swift).
let modelBenchmarks: [Benchmark] = [
    Benchmark(name: "models.router-stream-overhead", run: routerStreamOverhead),
    Benchmark(name: "models.redact-10kb", run: redactTenKB),
]

/// The router's own cost on a streamed chat: the same loopback server, the same
/// request, once read directly through `HTTPClient` (decoding each SSE chunk)
/// and once through `ModelRouter.stream` (alias resolution, classification,
/// budget reserve/settle in SQLite, semaphore, breaker, audit). Interleaved so
/// both see the same machine state; the figure is the difference of the p50s.
@Sendable func routerStreamOverhead(_ ctx: BenchContext) async throws -> [Measurement] {
    signal(SIGPIPE, SIG_IGN)
    let server = try CannedSSEServer(body: cannedStream(pieces: 32))
    var provider = ProviderConfig(name: "lokal", kind: .openai)
    provider.baseURL = "http://127.0.0.1:\(server.port)/v1"
    provider.model = "bench-model"
    provider.maxClassification = .rahasia
    var config = SamarindaConfig()
    config.providers = [provider, .offlineDefault]
    config.models = [ModelAlias(name: "bench", providers: ["lokal", "offline"])]
    config.budgets = ["disdukcapil": Int.max / 4]
    let db = try Database(path: ctx.scratch + "/bench.db", options: .init(synchronousFull: false))
    try db.migrate([BudgetLedger.migrations])
    let router = ModelRouter(config: config, audit: MemoryAuditSink(), budget: BudgetLedger(database: db, budgets: config.budgets))
    let principal = Principal(id: "key:bench", name: "bench", department: "disdukcapil", role: .staff, clearance: .terbatas)
    let request = ChatRequest(model: "bench", messages: [.system("Anda asisten kota."), .user("Apa syarat membuat KTP-el di Samarinda?")], maxTokens: 256)
    let body = try JSONEncoder().encode(ChatRequest(model: "bench-model", messages: request.messages, maxTokens: 256, stream: true))

    func direct() async throws -> Int {
        let r = try await HTTPClient.shared.stream(.json("http://127.0.0.1:\(server.port)/v1/chat/completions", body: body))
        var buffer = Data()
        var deltas = 0
        let decoder = JSONDecoder()
        for try await chunk in r.body {
            buffer.append(chunk)
            while let nl = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<nl]
                buffer = Data(buffer[(nl + 1)...])
                guard line.starts(with: Data("data: ".utf8)) else { continue }
                let payload = line.dropFirst(6)
                if payload.elementsEqual(Data("[DONE]".utf8)) { continue }
                let c = try decoder.decode(ChatStreamChunk.self, from: Data(payload))
                if c.choices.first?.delta.content != nil { deltas += 1 }
            }
        }
        return deltas
    }
    func routed() async throws -> Int {
        var deltas = 0
        for await e in router.stream(request, context: ModelCallContext(principal: principal)) {
            switch e {
            case .delta: deltas += 1
            case .error(let err): throw err
            default: break
            }
        }
        return deltas
    }

    // Warm up connections, caches and the SQLite statements.
    for _ in 0..<20 { _ = try await direct(); _ = try await routed() }
    let n = ctx.n(2000, quick: 300)
    var directSamples: [Double] = []
    var routedSamples: [Double] = []
    for _ in 0..<n {
        directSamples.append(try await seconds { _ = try await direct() } * 1000)
        routedSamples.append(try await seconds { _ = try await routed() } * 1000)
    }
    let d50 = percentile(directSamples, 50), r50 = percentile(routedSamples, 50)
    let overhead = r50 - d50
    return [
        Measurement(name: "streamed chat p50, direct HTTPClient", value: d50, unit: "ms"),
        Measurement(name: "streamed chat p50, through ModelRouter", value: r50, unit: "ms", baseline: d50, baselineName: "direct"),
        Measurement(name: "router overhead p50 (routed − direct)", value: overhead, unit: "ms", goal: "≤ 1 ms", met: overhead <= 1.0),
        Measurement(name: "streamed chat p99, through ModelRouter", value: percentile(routedSamples, 99), unit: "ms"),
    ]
}

/// PII redaction of a 10 KB Indonesian prompt with personal data sprinkled through it.
@Sendable func redactTenKB(_ ctx: BenchContext) async throws -> [Measurement] {
    let paragraph = """
        Pemohon atas nama Siti Aminah dengan NIK 6472015508900002 mengajukan perubahan data Kartu Keluarga \
        No. KK 6472012003150007 di Kantor Disdukcapil Kota Samarinda. Hubungi 0812-3456-7890 atau siti.aminah@example.co.id \
        untuk konfirmasi. Biaya layanan tidak dipungut, rekening BRI 0123-01-000456-30-7 bukan milik dinas. NPWP 01.312.166.0-091.000 \
        dilampirkan. Jadwal pelayanan Senin sampai Jumat pukul 08.00 sampai 15.00 WITA, nomor antrean 1234, tahun 2024.

        """
    var prompt = ""
    while prompt.utf8.count < 10 * 1024 { prompt += paragraph }
    let redactor = PIIRedactor()
    let check = try redactor.redact(prompt)
    guard check.counts[.nik] ?? 0 > 0, check.counts[.phone] ?? 0 > 0 else { throw ModelError(.invalidRequest, "bench prompt has no PII") }
    for _ in 0..<50 { _ = try redactor.redact(prompt) }
    let n = ctx.n(3000, quick: 500)
    var samples: [Double] = []
    for _ in 0..<n { samples.append(try await seconds { _ = try redactor.redact(prompt) } * 1000) }
    let p50 = percentile(samples, 50)
    return [
        Measurement(name: "redact \(prompt.utf8.count / 1024) KB prompt p50 (\(check.countsSummary))", value: p50, unit: "ms", goal: "≤ 1 ms", met: p50 <= 1.0),
        Measurement(name: "redact 10 KB prompt p99", value: percentile(samples, 99), unit: "ms"),
    ]
}

/// An OpenAI-style SSE answer of `pieces` deltas plus finish, usage and [DONE].
func cannedStream(pieces: Int) -> Data {
    var s = ""
    for i in 0..<pieces {
        s += #"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"bench-model","choices":[{"index":0,"delta":{"content":"kata\#(i) "},"finish_reason":null}]}"# + "\n\n"
    }
    s += #"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"bench-model","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"# + "\n\n"
    s += #"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"bench-model","choices":[],"usage":{"prompt_tokens":20,"completion_tokens":32,"total_tokens":52}}"# + "\n\n"
    s += "data: [DONE]\n\n"
    return Data(s.utf8)
}

/// A minimal HTTP/1.1 keep-alive server on loopback that answers every request with the same
/// SSE body (or, given `completion`, answers requests without `"stream":true` with that JSON): the
/// stand-in for a model server, with as little cost of its own as possible so the difference
/// measured is ours. (Benchmarks only; tests use the scripted fake server.)
final class CannedSSEServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let response: [UInt8]
    private let completionResponse: [UInt8]?

    init(body: Data, completion: Data? = nil) throws {
        response = Array("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + Array(body)
        completionResponse = completion.map {
            Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \($0.count)\r\n\r\n".utf8) + Array($0)
        }
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, len) } }
        guard bound == 0, listen(listener, 128) == 0 else {
            port = 0
            throw ModelError(.transport, "bench server cannot listen")
        }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { continue }
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            Thread { [self] in serve(client) }.start()
        }
    }

    private func serve(_ fd: Int32) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        defer { close(fd) }
        while true {
            // Read one request: headers, then Content-Length bytes of body.
            var headerEnd: Int?
            while headerEnd == nil {
                if let r = buffer.firstRange(of: [13, 10, 13, 10]) { headerEnd = r.upperBound; break }
                let n = read(fd, &chunk, chunk.count)
                if n <= 0 { return }
                buffer += chunk[0..<n]
            }
            let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self).lowercased()
            let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            while buffer.count < headerEnd! + length {
                let n = read(fd, &chunk, chunk.count)
                if n <= 0 { return }
                buffer += chunk[0..<n]
            }
            var response = self.response
            if let completion = completionResponse, !Self.asksForStream(buffer[headerEnd!..<(headerEnd! + length)]) { response = completion }
            buffer.removeFirst(headerEnd! + length)
            var sent = 0
            while sent < response.count {
                let n = response[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n <= 0 { return }
                sent += n
            }
        }
    }

    /// Whether a request body holds `"stream": true` (any spacing), without parsing the JSON.
    private static func asksForStream(_ body: ArraySlice<UInt8>) -> Bool {
        guard let key = body.firstRange(of: Array(#""stream""#.utf8)) else { return false }
        let rest = body[key.upperBound...].drop { $0 == 0x20 || $0 == 0x3A } // spaces and the colon
        return rest.starts(with: Array("true".utf8))
    }
}
