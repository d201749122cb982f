import Foundation

/// Output for a person: colour only on a terminal and never when `NO_COLOR` is set
/// (https://no-color.org); long outputs cut with a hint when shown on a terminal.
public struct ConsoleStyle: Sendable {
    public var colour: Bool
    public var terminal: Bool
    public var maxLines: Int

    public init(colour: Bool, terminal: Bool, maxLines: Int = 60) {
        self.colour = colour
        self.terminal = terminal
        self.maxLines = maxLines
    }

    public static func detect(environment: [String: String] = ProcessInfo.processInfo.environment) -> ConsoleStyle {
        let tty = isatty(STDOUT_FILENO) == 1
        let noColor = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        return ConsoleStyle(colour: tty && !noColor && environment["TERM"] != "dumb", terminal: tty)
    }

    public static let plain = ConsoleStyle(colour: false, terminal: false)

    func paint(_ text: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    func error(_ text: String) -> String { paint("error: ", "31;1") + text }
    func ok(_ text: String) -> String { paint(text, "32") }
    func warn(_ text: String) -> String { paint(text, "33") }
    func bold(_ text: String) -> String { paint(text, "1") }
    func dim(_ text: String) -> String { paint(text, "2") }

    /// Cuts a long output on a terminal, saying how to see the rest.
    func fit(_ text: String, hint: String) -> String {
        guard terminal else { return text }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > maxLines else { return text }
        return lines.prefix(maxLines).joined(separator: "\n") + "\n" + dim("… \(lines.count - maxLines) more lines; \(hint)")
    }
}
