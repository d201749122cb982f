import Foundation
import SamarindaModels

/// `Scripts/bench --filter pii`: the recall/precision harness of issue 17 (docs/PII.md) and the
/// redaction cost of a 10 KB prompt.
let piiBenchmarks: [Benchmark] = [
    Benchmark(name: "pii.harness", run: piiHarness),
]

@Sendable func piiHarness(_ ctx: BenchContext) async throws -> [Measurement] {
    let cases = PIIHarness.corpus()
    let report = PIIHarness.measure(cases)
    print(report.summary.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
    for (pair, r) in report.recall.sorted(by: { $0.key < $1.key }) where r.found < r.total {
        print("  recall \(pair): \(r.found)/\(r.total)")
    }
    // The NIK and NPWP cases for Scripts/pii-crosscheck, which checks them against python-stdnum.
    let sample = cases.filter { ["NIK", "NPWP"].contains($0.identifier) }.map { ["identifier": $0.identifier, "digits": $0.digits, "valid": $0.valid ? "1" : "0"] }
    try? FileManager.default.createDirectory(atPath: "bench-results", withIntermediateDirectories: true)
    try JSONSerialization.data(withJSONObject: sample).write(to: URL(fileURLWithPath: "bench-results/pii-sample.json"))
    let worst = report.worstRecall
    return [
        Measurement(name: "cases generated", value: Double(report.cases), unit: "cases", goal: "≥ 10,000", met: report.cases >= 10_000),
        Measurement(name: "recall, worst identifier × context (\(worst.pair))", value: worst.value * 100, unit: "%", goal: "≥ 99.5 %", met: worst.value >= 0.995),
        Measurement(name: "recall overall", value: report.totalRecall * 100, unit: "%"),
        Measurement(name: "look-alikes changed (\(report.lookAlikesChanged) of \(report.lookAlikes))", value: report.falsePositiveRate * 100, unit: "%",
                    goal: "≤ 0.1 %", met: report.falsePositiveRate <= 0.001),
    ] + (try await redactTenKB(ctx))
}
