import SamarindaCore

/// Benchmarks of SamarindaDocuments (see Harness.swift).
let documentBenchmarks: [Benchmark] = []
