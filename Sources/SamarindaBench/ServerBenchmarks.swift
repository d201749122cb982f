import SamarindaCore

/// Benchmarks of SamarindaServer (see Harness.swift).
let serverBenchmarks: [Benchmark] = []
