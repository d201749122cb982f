import Foundation
import Testing
@testable import SamarindaCore

/// Issue 15, item 1, for `samarinda.toml`: every number the configuration holds, set to something
/// absurd, is a `file:line: key: …` error saying what is allowed — never a trap, never a silent default.
@Suite struct ConfigNumbersTests {
    /// Every numeric key: the table it lives in, lines that table needs besides the key, and the key.
    static let keys: [(table: String, preamble: String, key: String)] = [
        ("[server]", "", "max_body_bytes"),
        ("[server]", "", "request_timeout_ms"),
        ("[server]", "", "shutdown_grace_ms"),
        ("[storage]", "", "busy_timeout_ms"),
        ("[roles.staff]", "", "requests_per_minute"),
        ("[plugins]", "", "watch_interval_ms"),
        ("[plugins.max_limits]", "", "memory_mb"),
        ("[plugins.max_limits]", "", "cpu_ms"),
        ("[plugins.max_limits]", "", "timeout_ms"),
        ("[audit]", "", "checkpoint_every"),
        ("[audit]", "", "group_commit_ms"),
        ("[[providers]]", "name = \"lokal\"\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:8081/v1\"\n", "timeout_ms"),
        ("[[providers]]", "name = \"lokal\"\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:8081/v1\"\n", "connect_timeout_ms"),
        ("[[providers]]", "name = \"lokal\"\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:8081/v1\"\n", "max_concurrency"),
        ("[[providers]]", "name = \"lokal\"\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:8081/v1\"\n", "retries"),
        ("[budgets]", "", "dinkes"),
        ("[documents]", "", "chunk_chars"),
        ("[documents]", "", "overlap_chars"),
        ("[chat]", "", "history_max_turns"),
        ("[chat]", "", "history_max_chars"),
    ]

    /// Values no numeric key accepts: beyond 64 bits, the 64-bit extremes, negative, and floats
    /// TOML allows (huge, infinite, not a number).
    static let hostile = ["99999999999999999999", "9223372036854775807", "-9223372036854775808", "0x7fffffffffffffff",
                          "-1", "1e300", "inf", "-inf", "nan", "2.5"]

    @Test(arguments: keys)
    func absurdNumbersAreFileLineKeyErrors(table: String, preamble: String, key: String) {
        for value in Self.hostile {
            // The key sits on line 3: a comment, the table header, then (after any preamble) the key.
            let text = "# samarinda.toml\n\(table)\n\(preamble)\(key) = \(value)\n"
            let line = 3 + preamble.split(separator: "\n").count
            do {
                _ = try SamarindaConfig.parse(text, file: "n.toml")
                Issue.record("\(table) \(key) = \(value) was accepted")
            } catch let e as ConfigErrors {
                let first = e.errors.first
                #expect(e.errors.count == 1 && first?.line == line, "\(key) = \(value): \(e)")
                // Either our range/type check (names the key) or the TOML parser's own overflow report.
                let named = first?.key.hasSuffix(key) == true && (first?.message.contains("out of range; allowed") == true || first?.message.hasPrefix("expected an integer") == true)
                #expect(named || first?.message.hasPrefix("TOML syntax error") == true, "\(key) = \(value): \(e)")
                #expect(e.description.hasPrefix("n.toml:\(line): "), "\(e)")
            } catch {
                Issue.record("\(key) = \(value): unexpected error \(error)")
            }
        }
    }

    @Test func listenPortBeyond64BitsIsAnError() {
        for listen in ["127.0.0.1:99999999999999999999", "127.0.0.1:-1", "127.0.0.1:65536", "[::1]:9223372036854775807"] {
            #expect(throws: ConfigErrors.self, "\(listen)") { try SamarindaConfig.parse("[server]\nlisten = \"\(listen)\"\n", file: "n.toml") }
        }
    }
}
