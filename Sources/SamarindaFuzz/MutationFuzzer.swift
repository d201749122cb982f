import Foundation

/// A small mutation fuzzer for when libFuzzer is not built: mutates seeds and earlier inputs
/// with byte flips, inserts of tokens that parsers care about, deletions and splices. Before each
/// input runs, it is written to `crashesDir/current-<target>`, so when the process dies the input
/// that killed it is on disk (Scripts/fuzz moves it to a numbered crash file for a regression test).
struct MutationFuzzer {
    let target: String
    let crashesDir: String

    struct Result { var runs = 0; var seconds = 0.0; var slow = 0; var corpus = 0 }

    static let tokens: [String] = [
        "\"", "\\", "\\u0000", "\\ud800", "[", "]", "[[", "]]", "{", "}", "=", ",", ":", "\n", "\r\n", "\t", "#", "'''", "\"\"\"",
        "0", "-1", "1e308", "9999999999999999999999", "NaN", "inf", "true", "null", "0x", "1979-05-27T07:32:00Z",
        "(a+)+", "^", "$", "*", "{1,1000000}", ".", "|", "\\d", "(?", "[^", "type", "object", "array", "pattern", "properties",
        "required", "items", "$ref", "enum", "minLength", "maximum", "6472014501900003", "0812", "+62", "@", ".go.id", "RT", "RW",
        "meng", "peng", "ber", "kan", "-nya", "di", "ke", "per", "an", "é", "\u{0301}", "👩‍👩‍👧", "\u{202E}", "\u{FEFF}", "\u{0}",
        "messages", "role", "content", "tool_calls", "stream", "model", "[plugin]", "[[tools]]", "[tools.input_schema]",
        "capabilities", "host_api", "[limits]", "[[providers]]", "[models]", "[budgets]", "[departments.x]",
    ]

    func run(seconds: Double) -> Result {
        var rng = SystemRandomNumberGenerator()
        var corpus: [[UInt8]] = FuzzTargets.seeds(target).map { Array($0.utf8) }
        try? FileManager.default.createDirectory(atPath: crashesDir, withIntermediateDirectories: true)
        let current = crashesDir + "/current-\(target)"
        // One open file, rewritten in place per input: creating a file per input would cost more than the parse.
        let fd = open(current, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(fd) }
        let start = ContinuousClock.now
        let limit = Duration.milliseconds(Int(seconds * 1000))
        var result = Result()
        while ContinuousClock.now - start < limit {
            var input = corpus.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...8, using: &rng) { mutate(&input, corpus: corpus, rng: &rng) }
            if input.count > 64 * 1024 { input = Array(input.prefix(64 * 1024)) }
            _ = ftruncate(fd, 0)
            _ = input.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            let t0 = ContinuousClock.now
            FuzzTargets.run(target, input)
            let took = ContinuousClock.now - t0
            if took > .seconds(1) {
                result.slow += 1
                FileManager.default.createFile(atPath: crashesDir + "/slow-\(target)-\(result.slow)", contents: Data(input))
            }
            result.runs += 1
            // Keep a few inputs that parse far enough to be interesting (cheap stand-in for coverage).
            if corpus.count < 256, Int.random(in: 0..<50, using: &rng) == 0 { corpus.append(input) }
        }
        try? FileManager.default.removeItem(atPath: current)
        let d = ContinuousClock.now - start
        result.seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        result.corpus = corpus.count
        return result
    }

    func mutate(_ input: inout [UInt8], corpus: [[UInt8]], rng: inout SystemRandomNumberGenerator) {
        let position = input.isEmpty ? 0 : Int.random(in: 0...input.count, using: &rng)
        switch Int.random(in: 0..<7, using: &rng) {
        case 0 where !input.isEmpty:
            input[min(position, input.count - 1)] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
        case 1:
            input.insert(contentsOf: Array(Self.tokens.randomElement(using: &rng)!.utf8), at: position)
        case 2 where !input.isEmpty:
            let end = min(input.count, position + Int.random(in: 1...16, using: &rng))
            if position < end { input.removeSubrange(position..<end) }
        case 3:
            input.insert(UInt8.random(in: 0...255, using: &rng), at: position)
        case 4:
            let other = corpus.randomElement(using: &rng)!
            if !other.isEmpty {
                let a = Int.random(in: 0..<other.count, using: &rng)
                let b = min(other.count, a + Int.random(in: 1...64, using: &rng))
                input.insert(contentsOf: other[a..<b], at: position)
            }
        case 5 where !input.isEmpty:
            // Repeat a slice: deep nesting and long runs find recursion and quadratic paths.
            let end = min(input.count, position + Int.random(in: 1...8, using: &rng))
            if position < end {
                let slice = Array(input[position..<end])
                for _ in 0..<Int.random(in: 2...200, using: &rng) { input.insert(contentsOf: slice, at: position) }
            }
        default:
            input.insert(contentsOf: Array(String(Int.random(in: Int.min...Int.max, using: &rng)).utf8), at: position)
        }
    }
}
