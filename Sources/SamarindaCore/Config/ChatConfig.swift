import Foundation

/// `[chat]`: how much of a stored conversation a follow-up carries to the model. A long conversation
/// would otherwise send every turn (cost, latency, and a context window overflow at the provider).
/// The most recent turns are kept; the system prompt and the new question always go.
public struct ChatConfig: Sendable, Equatable {
    /// Most stored turns (a question or an answer each) put before the new question.
    public var historyMaxTurns = 40
    /// Most characters of stored turns put before the new question (about 4 characters a token).
    public var historyMaxChars = 48_000
    public init() {}
}

extension SamarindaConfig {
    /// Reads `[chat]` (its own block, so that it merges apart from the other sections).
    static func parseChat(_ s: TOMLSection, into config: inout SamarindaConfig) {
        if let v = s.int("history_max_turns", range: 0...10_000) { config.chat.historyMaxTurns = v }
        if let v = s.int("history_max_chars", range: 0...10_000_000) { config.chat.historyMaxChars = v }
        s.finish()
    }
}
