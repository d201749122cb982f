import SamarindaCore

/// Benchmarks of SamarindaPlugins (see Harness.swift).
let pluginBenchmarks: [Benchmark] = []
