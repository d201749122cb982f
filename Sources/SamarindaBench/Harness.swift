import Foundation

// A small benchmark harness: each benchmark measures its figure and, where
// the goal is a ratio, a baseline in the same run; results print as a table
// and are written as JSON so that two runs can be compared. We keep it in
// the root package (instead of ordo-one/benchmark) so `Scripts/bench` needs
// no extra dependency build and can drive loopback servers and subprocesses.

/// One figure a benchmark reports.
struct Measurement: Codable {
    var name: String
    var value: Double
    var unit: String
    /// The same-run baseline, when the goal is a ratio against one.
    var baseline: Double? = nil
    var baselineName: String? = nil
    /// The goal in words, e.g. "≥ 20,000 calls/s".
    var goal: String? = nil
    /// Whether the goal was met, when there is one.
    var met: Bool? = nil
}

struct BenchContext: Sendable {
    /// `--quick`: smaller sizes so the whole suite runs in under two minutes.
    var quick: Bool
    /// A fresh folder for files the benchmark creates.
    var scratch: String
    /// `--peers`: also measure peer gateways (LiteLLM) where a benchmark has them.
    var peers = false
    /// `--soak SECONDS`: extra long-run load where a benchmark checks that memory stays flat.
    var soakSeconds = 0
    /// Scales an iteration count down in quick mode.
    func n(_ full: Int, quick q: Int) -> Int { quick ? q : full }
}

struct Benchmark: Sendable {
    var name: String
    var run: @Sendable (BenchContext) async throws -> [Measurement]
}

/// Times `body` and returns seconds.
func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// The p-th percentile (0–100) of samples.
func percentile(_ samples: [Double], _ p: Double) -> Double {
    guard !samples.isEmpty else { return .nan }
    let sorted = samples.sorted()
    let rank = Int((p / 100 * Double(sorted.count - 1)).rounded())
    return sorted[min(max(rank, 0), sorted.count - 1)]
}
