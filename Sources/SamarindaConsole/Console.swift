import Foundation
import SamarindaAudit
import SamarindaCore
import SamarindaRuntime

/// The operator console: a REPL over the local data folder (the operator is on the machine)
/// or over a running service's HTTP API. Every command is a `ConsoleCommand`; this type parses a
/// line, dispatches it, and formats what comes back for a person or a script.
public final class Console: @unchecked Sendable {
    public let backend: ConsoleBackend
    /// Who the operator acts as (audited like any other principal).
    public let principal: Principal
    let style: ConsoleStyle
    private(set) var commands: [String: ConsoleCommand] = [:]
    private(set) var commandOrder: [String] = []
    /// Set by `quit`.
    var wantsToQuit = false
    /// Set by `lua` (no arguments): each line is Lua until `.exit`.
    var luaMode = false
    /// Plugins are scanned once, on first use (see `loadedPlugins`).
    var pluginsScanned = false

    public init(backend: ConsoleBackend, principal: Principal, style: ConsoleStyle = .detect()) {
        self.backend = backend
        self.principal = principal
        self.style = style
        for command in ConsoleCommand.all { register(command) }
    }

    func register(_ command: ConsoleCommand) {
        if commands[command.name] == nil { commandOrder.append(command.name) }
        commands[command.name] = command
    }

    /// The result of one line: what to print, and whether it failed (scripts get exit status 1).
    public struct Result: Sendable {
        public var output: String
        public var failed: Bool
        /// A specific exit status for `-c` (e.g. `audit verify` returns 1 on a broken trail).
        public var exitCode: Int32 { failed ? 1 : 0 }
        public static func ok(_ text: String) -> Result { Result(output: text, failed: false) }
        public static func failure(_ text: String) -> Result { Result(output: text, failed: true) }
    }

    /// Runs one line: a command with its arguments, `= expr` for Lua, or a blank line.
    public func execute(_ line: String) async -> Result {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if luaMode {
            if trimmed == ".exit" || trimmed == "quit" { luaMode = false; return .ok(style.dim("back to console commands")) }
            if trimmed.isEmpty { return .ok("") }
            // Each snippet is audited as console.lua by the plugin host.
            return await run(ConsoleCommand.lua, arguments: ConsoleArguments(words: [], rest: line))
        }
        if trimmed.isEmpty || trimmed.hasPrefix("#") { return .ok("") }
        let words = ConsoleLexer.split(trimmed)
        guard let name = words.first else { return .ok("") }
        if name.hasPrefix("="), let lua = commands["lua"] {
            let expression = String(trimmed.dropFirst()).trimmingCharacters(in: .whitespaces)
            guard !expression.isEmpty else { return .failure(style.error("usage: = <lua expression>, e.g. = 1 + 1; 'lua' switches to Lua mode")) }
            return await run(lua, arguments: ConsoleArguments(words: [], rest: expression))
        }
        guard let command = commands[name] else {
            let suggestion = commandOrder.min { editDistance($0, name) < editDistance($1, name) }.map { " Did you mean '\($0)'?" } ?? ""
            return .failure(style.error("unknown command '\(name)'.\(suggestion) Type 'help' for the list."))
        }
        let rest = trimmed.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        let started = ContinuousClock.now
        let result = await run(command, arguments: ConsoleArguments(words: Array(words.dropFirst()), rest: rest))
        await auditCommand(name, line: trimmed, result: result, started: started)
        return result
    }

    /// Every operator action is audited like any other: the command name and a digest of the line
    /// (the line itself may hold a question or arguments with personal data).
    private func auditCommand(_ name: String, line: String, result: Result, started: ContinuousClock.Instant) async {
        guard case .local(let platform) = backend, name != "help", name != "quit" else { return }
        let elapsed = ContinuousClock.now - started
        let event = AuditEvent(actor: AuditActor(principal), action: "console.command", target: name,
                               outcome: result.failed ? .error(code: "command_failed") : .ok,
                               durationMicros: elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000,
                               fields: ["line": AuditContentRule(config: platform.config).value(line, .consoleLine, department: principal.department, sink: platform.audit, limit: .max)])
        try? await platform.audit.record(event)
    }

    private func run(_ command: ConsoleCommand, arguments: ConsoleArguments) async -> Result {
        do {
            return try await command.run(self, arguments)
        } catch let error as ConsoleError {
            return .failure(style.error(error.message))
        } catch {
            return .failure(style.error("\(error)"))
        }
    }

    /// Words for tab completion at the start of `line` (commands, then each command's arguments).
    public func completions(for line: String) async -> [String] {
        let words = ConsoleLexer.split(line)
        let completingNewWord = line.last == " "
        if words.isEmpty || (words.count == 1 && !completingNewWord) {
            let prefix = words.first ?? ""
            return commandOrder.filter { $0.hasPrefix(prefix) }
        }
        guard let command = commands[words[0]] else { return [] }
        let prefix = completingNewWord ? "" : (words.last ?? "")
        let argumentIndex = completingNewWord ? words.count - 1 : words.count - 2
        return await command.complete(self, argumentIndex, Array(words.dropFirst())).filter { $0.hasPrefix(prefix) }
    }

    /// Runs lines as they arrive (a pipe from a script or another program), printing each result
    /// before reading the next line, so a caller can react to one answer before sending more.
    public func runStream(next: () -> String?, output: (String) -> Void) async -> Int32 {
        var status: Int32 = 0
        while !wantsToQuit, let line = next() {
            let result = await execute(line)
            if !result.output.isEmpty { output(result.output) }
            if result.failed { status = result.exitCode }
        }
        return status
    }

    /// Reads commands from standard input when it is not a terminal (`echo plugins | samarinda console`).
    /// Returns the exit status: 1 if any command failed.
    public func runLines(_ lines: [String], output: (String) -> Void) async -> Int32 {
        var status: Int32 = 0
        for line in lines {
            let result = await execute(line)
            if !result.output.isEmpty { output(result.output) }
            if result.failed { status = result.exitCode }
            if wantsToQuit { break }
        }
        return status
    }
}

/// A problem with a console command that the operator can fix; printed on one line.
public struct ConsoleError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A command's arguments: split words (quotes respected) and the raw text after the command name
/// (for JSON and questions, which must not be split).
public struct ConsoleArguments: Sendable {
    public var words: [String]
    public var rest: String

    /// Splits off a trailing `as <principal>` clause.
    func splittingAs() -> (ConsoleArguments, String?) {
        guard let range = rest.range(of: " as ", options: .backwards) else { return (self, nil) }
        let who = rest[range.upperBound...].trimmingCharacters(in: .whitespaces)
        // Only a key or department:role counts, so JSON or a question that says " as " is left alone.
        let looksLikePrincipal = who.hasPrefix("smd_") || who.range(of: "^[a-z0-9-]+:[a-z_]+$", options: .regularExpression) != nil
        guard looksLikePrincipal else { return (self, nil) }
        let head = String(rest[..<range.lowerBound])
        return (ConsoleArguments(words: ConsoleLexer.split(head), rest: head), who)
    }
}

/// Splits a command line into words; double or single quotes group words.
enum ConsoleLexer {
    static func split(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var inWord = false
        for ch in line {
            if let q = quote {
                if ch == q { quote = nil } else { current.append(ch) }
            } else if ch == "\"" || ch == "'" {
                quote = ch
                inWord = true
            } else if ch == " " || ch == "\t" {
                if inWord { words.append(current); current = ""; inWord = false }
            } else {
                current.append(ch)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
