import Foundation
import SamarindaCore
import SamarindaModels

/// Benchmarks of budget bookkeeping (see Harness.swift).
let budgetBenchmarks: [Benchmark] = [
    Benchmark(name: "gateway.router-budgets", run: routerBudgetOverhead),
]

/// What budgets add to the chat path: the same in-process chat (the embedded provider, so no network
/// noise) through two routers that differ only in whether budgets are configured. Both account every
/// call (reserve and settle in SQLite, as production always does); "with budgets" also checks a
/// department, an API key and a provider limit on each call. Interleaved so both see the same machine
/// state; the figure is the ratio of the p50s (goal: no measurable cost).
@Sendable func routerBudgetOverhead(_ ctx: BenchContext) async throws -> [Measurement] {
    var plain = SamarindaConfig()
    plain.models = [ModelAlias(name: "bench", providers: ["offline"])]
    var budgeted = plain
    budgeted.budgets = ["disdukcapil": 1 << 40]
    budgeted.providers = budgeted.providers.map { var p = $0; p.monthlyTokens = 1 << 40; return p }

    func router(_ config: SamarindaConfig, file: String) throws -> ModelRouter {
        let db = try Database(path: ctx.scratch + "/" + file, options: .init(synchronousFull: false))
        try db.migrate([BudgetLedger.migrations])
        return ModelRouter(config: config, audit: MemoryAuditSink(), budget: BudgetLedger(database: db, config: config))
    }
    let without = try router(plain, file: "without.db")
    let with = try router(budgeted, file: "with.db")
    let staff = Principal(id: "key:bench", name: "bench", department: "disdukcapil", role: .staff, clearance: .terbatas)
    var limited = staff
    limited.monthlyTokens = 1 << 40
    let request = ChatRequest(model: "bench", messages: [.system("Anda asisten kota."), .user("Apa syarat membuat KTP-el di Samarinda?")], maxTokens: 256)

    for _ in 0..<200 {
        _ = try await without.chat(request, context: ModelCallContext(principal: staff))
        _ = try await with.chat(request, context: ModelCallContext(principal: limited))
    }
    let n = ctx.n(5000, quick: 500)
    var withoutSamples: [Double] = []
    var withSamples: [Double] = []
    for _ in 0..<n {
        withoutSamples.append(try await seconds { _ = try await without.chat(request, context: ModelCallContext(principal: staff)) } * 1000)
        withSamples.append(try await seconds { _ = try await with.chat(request, context: ModelCallContext(principal: limited)) } * 1000)
    }
    let w50 = percentile(withoutSamples, 50), b50 = percentile(withSamples, 50)
    let ratio = b50 / w50
    return [
        Measurement(name: "chat p50, no budgets configured", value: w50, unit: "ms"),
        Measurement(name: "chat p50, department + key + provider budgets", value: b50, unit: "ms", baseline: w50, baselineName: "no budgets",
                    goal: "ratio ≤ 1.05", met: ratio <= 1.05),
        Measurement(name: "chat p99, department + key + provider budgets", value: percentile(withSamples, 99), unit: "ms"),
    ]
}
