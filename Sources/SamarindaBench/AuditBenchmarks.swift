import SamarindaCore

/// Benchmarks of SamarindaAudit (see Harness.swift).
let auditBenchmarks: [Benchmark] = []
