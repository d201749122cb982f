import Foundation

// samarinda-fuzz TARGET [--seconds N] [--corpus DIR] [--crashes DIR]   (see Scripts/fuzz)
//
// Built normally, this is a bounded random/mutation fuzzer of its own (byte flips, inserts of
// interesting tokens, splices of seeds and of inputs that grew the output). Built by Scripts/fuzz
// with `-sanitize=fuzzer,address -DSAMARINDA_LIBFUZZER`, the same targets run under libFuzzer:
// our main hands over to LLVMFuzzerRunDriver, so libFuzzer's own main is never linked in.
let target = ProcessInfo.processInfo.environment["SAMARINDA_FUZZ_TARGET"] ?? CommandLine.arguments.dropFirst().first ?? ""
guard FuzzTargets.names.contains(target) else {
    FileHandle.standardError.write(Data("usage: samarinda-fuzz TARGET [--seconds N] [--crashes DIR]; targets: \(FuzzTargets.names.joined(separator: ", "))\n".utf8))
    exit(2)
}

#if SAMARINDA_LIBFUZZER
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

nonisolated(unsafe) var fuzzTarget = target
// libFuzzer gets every argument after the target name (e.g. -max_total_time=30 corpus/).
var args: [UnsafeMutablePointer<CChar>?] = [strdup(CommandLine.arguments[0])] + CommandLine.arguments.dropFirst(2).map { strdup($0) } + [nil]
var argc = Int32(args.count - 1)
let status = args.withUnsafeMutableBufferPointer { buffer -> Int32 in
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        FuzzTargets.run(fuzzTarget, data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        return 0
    }
}
exit(status)
#else
let arguments = Array(CommandLine.arguments.dropFirst(2))
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}
if let file = option("--replay") {
    // Runs one saved input (a crash or slow input) once, to reproduce it.
    FuzzTargets.run(target, Array(try Data(contentsOf: URL(fileURLWithPath: file))))
    print("replayed \(file): no crash")
    exit(0)
}
let seconds = Double(option("--seconds") ?? "10") ?? 10
let crashes = option("--crashes") ?? "fuzz-crashes"
let result = MutationFuzzer(target: target, crashesDir: crashes).run(seconds: seconds)
print("fuzz \(target): \(result.runs) inputs in \(String(format: "%.1f", result.seconds)) s, \(result.slow) slow (> 1 s), corpus \(result.corpus), no crash")
#endif
