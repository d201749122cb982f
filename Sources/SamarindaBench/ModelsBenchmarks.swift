import SamarindaCore

/// Benchmarks of SamarindaModels (see Harness.swift).
let modelBenchmarks: [Benchmark] = []
