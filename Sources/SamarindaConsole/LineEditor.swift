import CEditLine
import Foundation

/// Interactive input with line editing, persistent history and tab completion (libedit).
/// History lives in the data folder, readable by the owner only.
final class LineEditor {
    let historyPath: String

    init(historyPath: String) {
        self.historyPath = historyPath
        using_history()
        stifle_history(2000)
        if FileManager.default.fileExists(atPath: historyPath) { read_history(historyPath) }
        ced_install_completion { text, state in
            guard let text else { return nil }
            if state == 0 { LineEditor.matches = LineEditor.provider?(String(cString: ced_line_buffer()), String(cString: text)) ?? [] }
            let index = Int(state)
            guard index < LineEditor.matches.count else { return nil }
            return strdup(LineEditor.matches[index])
        }
    }

    /// Called from libedit's C callback on the console's own thread; set before reading a line.
    nonisolated(unsafe) static var provider: ((_ line: String, _ word: String) -> [String])?
    nonisolated(unsafe) static var matches: [String] = []

    /// Reads a line; nil on end of input (Ctrl-D).
    func readLine(prompt: String) -> String? {
        guard let raw = readline(prompt) else { return nil }
        defer { free(raw) }
        let line = String(cString: raw)
        if !line.trimmingCharacters(in: .whitespaces).isEmpty {
            add_history(line)
            save()
        }
        return line
    }

    func save() {
        let folder = (historyPath as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        write_history(historyPath)
        chmod(historyPath, 0o600)
    }
}

extension Console {
    /// The interactive loop on a terminal.
    public func runInteractive(historyPath: String) async -> Int32 {
        let editor = LineEditor(historyPath: historyPath)
        print(style.bold("Samarinda.ai console") + " — acting as \(principal). Type 'help', Tab completes, Ctrl-D leaves.")
        var status: Int32 = 0
        while !wantsToQuit {
            // Completion runs synchronously inside readline: snapshot the candidates it may need.
            let snapshot = luaMode ? CompletionSnapshot(commands: [], arguments: [:]) : await completionSnapshot()
            LineEditor.provider = { line, word in snapshot.candidates(line: line, word: word) }
            // No colour in the prompt: libedit would count the escape bytes as visible columns.
            guard let line = editor.readLine(prompt: luaMode ? "lua> " : "samarinda> ") else { print(""); break }
            let result = await execute(line)
            if !result.output.isEmpty { print(style.fit(result.output, hint: "use a narrower command or '-c' and a pipe to see it all")) }
            status = result.failed ? 1 : 0
        }
        editor.save()
        return status
    }
}

/// Completion candidates gathered before each prompt, so the C callback never awaits.
struct CompletionSnapshot: Sendable {
    var commands: [String]
    var arguments: [String: [[String]]]
    /// Candidates after a keyword, per command: `as` → principals, `in` → collections.
    var afterKeyword: [String: [String: [String]]] = [:]

    func candidates(line: String, word: String) -> [String] {
        let words = ConsoleLexer.split(line)
        let completingNew = line.last == " " || line.isEmpty
        if words.isEmpty || (words.count == 1 && !completingNew) {
            return commands.filter { $0.hasPrefix(word) }
        }
        let index = completingNew ? words.count - 1 : words.count - 2
        if index >= 1, let keyword = words.dropFirst(index).first, let after = afterKeyword[words[0]]?[keyword] { return after.filter { $0.hasPrefix(word) } }
        guard let perIndex = arguments[words[0]], index >= 0, index < perIndex.count else { return [] }
        return perIndex[index].filter { $0.hasPrefix(word) }
    }
}

extension Console {
    func completionSnapshot() async -> CompletionSnapshot {
        var arguments: [String: [[String]]] = [:]
        var afterKeyword: [String: [String: [String]]] = [:]
        for name in commandOrder {
            guard let c = commands[name] else { continue }
            var perIndex: [[String]] = []
            for i in 0..<6 {
                // Sub-command-dependent candidates: ask with each first word the command offers.
                let firsts = i == 0 ? [] : await c.complete(self, 0, [])
                var words = Set(await c.complete(self, i, []))
                for f in firsts { words.formUnion(await c.complete(self, i, [f])) }
                perIndex.append(words.sorted())
            }
            arguments[name] = perIndex
            for keyword in ["as", "in"] {
                let after = await c.complete(self, 1, [keyword])
                // Only commands that treat the keyword specially (the plain second-argument list is not it).
                if !after.isEmpty, after != (await c.complete(self, 1, [])) { afterKeyword[name, default: [:]][keyword] = after }
            }
        }
        return CompletionSnapshot(commands: commandOrder, arguments: arguments, afterKeyword: afterKeyword)
    }
}
