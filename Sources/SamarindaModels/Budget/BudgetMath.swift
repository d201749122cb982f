import Foundation
import SamarindaCore

/// Token arithmetic that cannot trap. Every number here may come from outside (a caller's
/// `max_tokens`, a provider's reported usage, a budget in the config or the database), and Swift's
/// `+`/`-`/`*` trap on overflow: one `"max_tokens": 9223372036854775807` would take the service down.
/// Counts are clamped into `0...ceiling` where they enter, and combined only through these.
enum BudgetMath {
    /// The largest token count kept anywhere (2^50): sums of millions of them still fit in 64 bits.
    static let ceiling = BudgetRulesConfig.maxTokens

    /// `n` clamped into `0...ceiling` (negative counts are zero; absurd ones are the ceiling).
    static func clamp(_ n: Int) -> Int { min(max(n, 0), ceiling) }

    static func add(_ a: Int, _ b: Int) -> Int {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? (b > 0 ? .max : .min) : r
    }

    static func subtract(_ a: Int, _ b: Int) -> Int {
        let (r, o) = a.subtractingReportingOverflow(b)
        return o ? (b < 0 ? .max : .min) : r
    }

    static func multiply(_ a: Int, _ b: Int) -> Int {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        return o ? ((a < 0) == (b < 0) ? .max : .min) : r
    }

    /// Sum of counts, each clamped, the result clamped.
    static func sum<S: Sequence>(_ counts: S) -> Int where S.Element == Int {
        clamp(counts.reduce(0) { add($0, clamp($1)) })
    }

    /// What is left of `limit` after `used` and `held` (never negative).
    static func remaining(limit: Int, used: Int, held: Int) -> Int {
        max(0, subtract(subtract(limit, used), held))
    }

    /// A `Double` from SQLite's TOTAL() (which never overflows) as a clamped count.
    static func count(_ d: Double) -> Int {
        guard !d.isNaN, d > 0 else { return 0 }
        return d >= Double(ceiling) ? ceiling : Int(d)
    }

    /// `part` as a whole percentage of `whole` (0 when `whole` is 0), without overflow.
    static func percent(_ part: Int, of whole: Int) -> Int {
        guard whole > 0 else { return part > 0 ? 100 : 0 }
        // Capped before converting: Int(Double) traps beyond Int.max (Int.max of 1 would be 9.2e20 %).
        return Int(min(Double(max(0, part)) / Double(whole) * 100, 1_000_000_000).rounded(.down))
    }
}

/// The most tokens a provider can count for a prompt, from its bytes: every tokenizer in use
/// (byte-level BPE, SentencePiece with byte fallback) spends at most one token per UTF-8 byte, and a
/// chat template adds a few tokens per message and per request. Unlike the 4-characters-per-token
/// estimate, this is an upper bound, so a reservation built on it cannot be exceeded by an honest provider.
enum PromptBound {
    static func tokens(_ request: ChatRequest, rules: BudgetRulesConfig) -> Int {
        var parts: [Int] = [rules.requestOverheadTokens]
        for m in request.messages {
            parts.append(rules.messageOverheadTokens)
            parts.append(m.content?.utf8.count ?? 0)
            parts.append(m.name?.utf8.count ?? 0)
            parts.append(m.toolCallID?.utf8.count ?? 0)
            for call in m.toolCalls ?? [] {
                parts.append(rules.messageOverheadTokens)
                parts.append(call.id.utf8.count)
                parts.append(call.function.name.utf8.count)
                parts.append(call.function.arguments.utf8.count)
            }
        }
        // Tool definitions are rendered into the prompt by the server's template.
        if let tools = request.tools, !tools.isEmpty {
            parts.append((try? JSONEncoder().encode(tools).count) ?? BudgetMath.ceiling)
        }
        return BudgetMath.sum(parts)
    }
}
