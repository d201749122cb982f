import Foundation
import SamarindaAudit
import SamarindaCore

/// Benchmarks of SamarindaAudit (see Harness.swift).
let auditBenchmarks: [Benchmark] = [
    Benchmark(name: "audit.append") { ctx in
        // Many concurrent appenders, as a busy server's request handlers are; durable commits (synchronous = FULL).
        let appenders = 512
        let total = ctx.n(200_000, quick: 50_000)
        let (log, _) = try openTrail(ctx, "append")
        let perAppender = total / appenders
        let t = try await seconds {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for a in 0..<appenders {
                    group.addTask {
                        for i in 0..<perAppender { try await log.append(benchEvent(a * perAppender + i)) }
                    }
                }
                try await group.waitForAll()
            }
        }
        // Same-run reference: one appender, each event its own commit (what batching saves).
        let single = ctx.n(2_000, quick: 500)
        let t1 = try await seconds { for i in 0..<single { try await log.append(benchEvent(i)) } }
        try await log.close()
        let rate = Double(perAppender * appenders) / t
        return [
            Measurement(name: "append, \(appenders) concurrent appenders", value: rate, unit: "events/s", goal: "≥ 50,000 events/s", met: rate >= 50_000),
            Measurement(name: "append, one appender (unbatched)", value: Double(single) / t1, unit: "events/s"),
        ]
    },
    Benchmark(name: "audit.verify") { ctx in
        let total = ctx.n(500_000, quick: 100_000)
        let (log, _) = try openTrail(ctx, "verify")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for a in 0..<256 {
                group.addTask { for i in stride(from: a, to: total, by: 256) { try await log.append(benchEvent(i)) } }
            }
            try await group.waitForAll()
        }
        try await log.checkpoint()
        var verdict: AuditVerdict?
        let t = try await seconds { verdict = try log.verify() }
        try await log.close()
        guard let verdict, verdict.ok, verdict.eventsChecked == total else { throw BenchFailure(message: "verify failed: \(String(describing: verdict))") }
        let rate = Double(total) / t
        return [Measurement(name: "verify \(total) events", value: rate, unit: "events/s", goal: "≥ 500,000 events/s", met: rate >= 500_000)]
    },
]

private struct BenchFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

private func openTrail(_ ctx: BenchContext, _ name: String) throws -> (AuditLog, SamarindaConfig) {
    var config = SamarindaConfig()
    config.storage.path = ctx.scratch + "/\(name).db"
    let database = try Database(path: config.storage.path, options: .init(synchronousFull: true))
    return (try AuditLog(database: database, config: config), config)
}

/// A typical tool-call event: actor, target, a content digest and a few fields.
private func benchEvent(_ n: Int) -> AuditEvent {
    AuditEvent(actor: AuditActor(principalID: "key:\(n % 97)", department: "disdukcapil", role: "staff", keyID: "k\(n % 97)"),
               action: "tool.call", target: "disdukcapil.syarat/cek_syarat", classification: .terbatas,
               durationMicros: Int64(n % 5000),
               fields: ["arguments": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "result_chars": String(n % 4000)],
               requestID: "req-\(n)")
}
