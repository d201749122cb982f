import Foundation
import SamarindaCore

// samarinda-bench [--quick] [--json FILE] [--filter NAME] [--peers] [--soak SECONDS]: runs every benchmark (see Scripts/bench).
let arguments = CommandLine.arguments.dropFirst()
let quick = arguments.contains("--quick")
let jsonPath = arguments.firstIndex(of: "--json").flatMap { arguments.index(after: $0) < arguments.endIndex ? arguments[arguments.index(after: $0)] : nil }
let peers = arguments.contains("--peers")
let soakSeconds = arguments.firstIndex(of: "--soak").flatMap { arguments.index(after: $0) < arguments.endIndex ? Int(arguments[arguments.index(after: $0)]) : nil } ?? 0
let filter = arguments.firstIndex(of: "--filter").flatMap { arguments.index(after: $0) < arguments.endIndex ? arguments[arguments.index(after: $0)] : nil }

let all: [Benchmark] = auditBenchmarks + modelBenchmarks + budgetBenchmarks + documentBenchmarks + retrievalBenchmarks + pluginBenchmarks
    + serverBenchmarks + piiBenchmarks + gatewayBenchmarks
    + ocrBenchmarks
var results: [String: [Measurement]] = [:]
var failures = 0
for benchmark in all where filter.map({ benchmark.name.contains($0) }) ?? true {
    let scratch = try TemporaryDirectory(prefix: "samarinda-bench")
    print("== \(benchmark.name)")
    do {
        let ms = try await benchmark.run(BenchContext(quick: quick, scratch: scratch.path, peers: peers, soakSeconds: soakSeconds))
        for m in ms {
            var line = "  \(m.name): \(String(format: "%.3f", m.value)) \(m.unit)"
            if let b = m.baseline { line += "  (baseline \(m.baselineName ?? ""): \(String(format: "%.3f", b)) \(m.unit), ratio \(String(format: "%.2f", m.value / b)))" }
            if let g = m.goal { line += "  goal \(g): \(m.met == true ? "met" : m.met == false ? "NOT MET" : "-")" }
            print(line)
        }
        results[benchmark.name] = ms
    } catch {
        print("  failed: \(error)")
        failures += 1
    }
}
let report: [String: Any] = [
    "date": ISO8601DateFormatter().string(from: Date()),
    "quick": quick,
    "machine": ProcessInfo.processInfo.hostName,
    "cores": ProcessInfo.processInfo.activeProcessorCount,
]
let encoder = JSONEncoder()
encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
let body = try encoder.encode(results)
let meta = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
let json = "{\"meta\": \(String(decoding: meta, as: UTF8.self)), \"results\": \(String(decoding: body, as: UTF8.self))}\n"
let out = jsonPath ?? "bench-results/latest.json"
try? FileManager.default.createDirectory(atPath: (out as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
try OutputFile.write(Data(json.utf8), to: out, mode: 0o644)  // atomic for a file, direct for /dev/null or a FIFO
print("results written to \(out)")
exit(failures == 0 ? 0 : 1)
