import TOMLKit

// TOMLKit parses TOML (toml++ underneath) and reports syntax errors with a
// line, but its Decodable path neither rejects unknown keys nor says where a
// wrongly typed key sits. This reader walks the parsed tables by hand, so
// every config and manifest error names file, key and line, and unknown keys
// are errors, not silently ignored typos.

/// Reads one TOML document, collecting errors instead of stopping at the first.
public final class TOMLDocument {
    public let file: String
    let source: String
    let lines: [Substring]
    public private(set) var errors: [ConfigError] = []

    /// Parses `text`; a syntax error is recorded with its line and leaves an empty root.
    public init(file: String, text: String) {
        self.file = file
        self.source = text
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if let bad = Self.headerWithoutKey(text) {
            rootTable = TOMLTable()
            errors.append(ConfigError(file: file, key: "", line: bad,
                                      message: "TOML syntax error: a table header must start with a key, e.g. [server] or [[tools]]"))
            return
        }
        do {
            rootTable = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            rootTable = TOMLTable()
            errors.append(ConfigError(file: file, key: "", line: error.source.begin.line,
                                      message: "TOML syntax error: \(error.description)"))
        } catch {
            rootTable = TOMLTable()
            errors.append(ConfigError(file: file, key: "", line: nil, message: "TOML syntax error: \(error)"))
        }
    }

    /// The first line whose table header does not start with a key (`[.a]`, `[é]`, `[*]`), if any.
    /// toml++ (under TOMLKit) hits an assertion on such a header and aborts the whole process instead
    /// of reporting a syntax error (found by Scripts/fuzz), so they are refused before it parses.
    /// A small lexer (hand-written: it only has to know where strings, comments and values end, which
    /// no library exposes without parsing) tracks basic, literal and multi-line strings with their
    /// escapes, comments, and the nesting of arrays and inline tables, so a `[` counts as a header
    /// only where TOML allows one: first on a line, outside any string or value.
    static func headerWithoutKey(_ text: String) -> Int? {
        enum State { case normal, comment, basic, literal, multilineBasic, multilineLiteral }
        let s = Array(text.unicodeScalars)
        var state = State.normal
        var depth = 0  // open arrays and inline tables of the current value
        var line = 1
        var lineStart = true  // only spaces and tabs so far on this line
        var i = 0
        func at(_ k: Int, _ quote: Unicode.Scalar) -> Bool {
            k + 2 < s.count && s[k] == quote && s[k + 1] == quote && s[k + 2] == quote
        }
        while i < s.count {
            let c = s[i]
            if c == "\n" {
                line += 1
                lineStart = true
                // Single-line strings and comments end at the line's end (toml++ reports an unterminated string there).
                if state == .comment || state == .basic || state == .literal { state = .normal }
                i += 1
                continue
            }
            switch state {
            case .comment:
                break
            case .basic, .multilineBasic:
                if c == "\\" { i += 1 }  // skip the escaped scalar
                else if state == .multilineBasic, at(i, "\"") { state = .normal; i += 2 }
                else if state == .basic, c == "\"" { state = .normal }
            case .literal:
                if c == "'" { state = .normal }
            case .multilineLiteral:
                if at(i, "'") { state = .normal; i += 2 }
            case .normal:
                if lineStart, depth == 0, c == "[" {
                    var j = i + 1
                    if j < s.count, s[j] == "[" { j += 1 }
                    while j < s.count, s[j] == " " || s[j] == "\t" { j += 1 }
                    guard j < s.count, s[j] != "\n" else { return line }  // "[" alone: toml++ aborts on it too
                    let k = s[j]
                    let ok = k == "]" || k == "\"" || k == "'" || k == "-" || k == "_"
                        || ("a"..."z").contains(k) || ("A"..."Z").contains(k) || ("0"..."9").contains(k)
                    if !ok { return line }
                    // The rest of a header line is a key path (quoted keys included) and a comment.
                    while i < s.count, s[i] != "\n" { i += 1 }
                    continue
                }
                if c == "#" { state = .comment }
                else if at(i, "\"") { state = .multilineBasic; i += 2 }
                else if at(i, "'") { state = .multilineLiteral; i += 2 }
                else if c == "\"" { state = .basic }
                else if c == "'" { state = .literal }
                else if c == "[" || c == "{" { depth += 1 }
                else if c == "]" || c == "}" { depth = max(0, depth - 1) }
            }
            if c != " " && c != "\t" { lineStart = false }
            i += 1
        }
        return nil
    }

    private let rootTable: TOMLTable
    public var root: TOMLSection { TOMLSection(document: self, table: rootTable, path: []) }

    func fail(_ path: [String], _ message: String) {
        errors.append(ConfigError(file: file, key: path.joined(separator: "."), line: line(of: path), message: message))
    }

    /// Best-effort line of a key: finds the table header of the key's parent, then the key inside it.
    /// Array-of-tables elements are addressed as `name[index]`.
    func line(of path: [String]) -> Int? {
        guard let last = path.last else { return nil }
        var parents: [String] = []
        var arrayIndex: [String: Int] = [:]
        for component in path.dropLast() {
            if let open = component.firstIndex(of: "["), let idx = Int(component[component.index(after: open)...].dropLast()) {
                let name = String(component[..<open])
                parents.append(name)
                arrayIndex[parents.joined(separator: ".")] = idx
            } else {
                parents.append(component)
            }
        }
        let keyName = last.split(separator: "[").first.map(String.init) ?? last
        var currentHeader: [String] = []
        var arrayCounts: [String: Int] = [:]
        var headerMatches = parents.isEmpty
        for (n, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                let isArray = line.hasPrefix("[[")
                let name = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] \t")).split(separator: "#").first
                    .map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "[] \t")) } ?? ""
                currentHeader = Self.splitKey(name)
                let joined = currentHeader.joined(separator: ".")
                if isArray { arrayCounts[joined, default: -1] += 1 }
                headerMatches = currentHeader == parents && (arrayIndex[joined].map { $0 == arrayCounts[joined] } ?? true)
                if !headerMatches, currentHeader == parents + [keyName] { return n + 1 }
                continue
            }
            // A key in the root or in a dotted form (`a.b = ...`) matches too.
            guard let eq = line.firstIndex(of: "=") else { continue }
            let keyPart = Self.splitKey(String(line[..<eq]).trimmingCharacters(in: .whitespaces))
            if headerMatches, keyPart.first == keyName { return n + 1 }
            if currentHeader + keyPart == parents + [keyName] { return n + 1 }
        }
        return nil
    }

    static func splitKey(_ key: String) -> [String] {
        key.split(separator: ".").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \t\"'")) }
    }
}

import Foundation

/// A table inside a document. Reading a key marks it as known; `finish()` reports the rest as unknown.
public final class TOMLSection {
    unowned let document: TOMLDocument
    let table: TOMLTable
    public let path: [String]
    private var known: Set<String> = []

    init(document: TOMLDocument, table: TOMLTable, path: [String]) {
        self.document = document
        self.table = table
        self.path = path
    }

    public var keys: [String] { table.keys }
    public func has(_ key: String) -> Bool { table[key] != nil }

    public func fail(_ key: String, _ message: String) { document.fail(path + [key], message) }

    private func value(_ key: String) -> (any TOMLValueConvertible)? {
        known.insert(key)
        return table[key]
    }

    private func typeError(_ key: String, expected: String, got v: any TOMLValueConvertible) {
        fail(key, "expected \(expected), found \(v.type)")
    }

    public func string(_ key: String) -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.string else { typeError(key, expected: "a string", got: v); return nil }
        return s
    }

    public func int(_ key: String, range: ClosedRange<Int>? = nil) -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = v.int else { typeError(key, expected: "an integer", got: v); return nil }
        if let range, !range.contains(i) {
            fail(key, "\(i) is out of range; allowed: \(range.lowerBound)…\(range.upperBound)")
            return nil
        }
        return i
    }

    public func bool(_ key: String) -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.bool else { typeError(key, expected: "true or false", got: v); return nil }
        return b
    }

    public func strings(_ key: String) -> [String]? {
        guard let v = value(key) else { return nil }
        guard let a = v.array else { typeError(key, expected: "an array of strings", got: v); return nil }
        var out: [String] = []
        for (i, item) in a.enumerated() {
            guard let s = item.string else { fail("\(key)[\(i)]", "expected a string, found \(item.type)"); return nil }
            out.append(s)
        }
        return out
    }

    /// A string that must be one of `allowed`.
    public func oneOf(_ key: String, _ allowed: [String]) -> String? {
        guard let s = string(key) else { return nil }
        guard allowed.contains(s) else {
            fail(key, "'\(s)' is not allowed; allowed: \(allowed.joined(separator: ", "))")
            return nil
        }
        return s
    }

    public func classification(_ key: String) -> Classification? {
        oneOf(key, Classification.allCases.map(\.name)).flatMap(Classification.init(name:))
    }

    public func section(_ key: String) -> TOMLSection? {
        guard let v = value(key) else { return nil }
        guard let t = v.table else { typeError(key, expected: "a table", got: v); return nil }
        return TOMLSection(document: document, table: t, path: path + [key])
    }

    /// An array of tables (`[[key]]`).
    public func sections(_ key: String) -> [TOMLSection]? {
        guard let v = value(key) else { return nil }
        guard let a = v.array else { typeError(key, expected: "an array of tables ([[\(key)]])", got: v); return nil }
        var out: [TOMLSection] = []
        for (i, item) in a.enumerated() {
            guard let t = item.table else { fail("\(key)[\(i)]", "expected a table, found \(item.type)"); continue }
            out.append(TOMLSection(document: document, table: t, path: path + ["\(key)[\(i)]"]))
        }
        return out
    }

    /// Marks `key` as known without reading it (for keys a caller reads through `raw`).
    public func raw(_ key: String) -> (any TOMLValueConvertible)? { value(key) }

    /// Reports every key that was never read, with the allowed keys of this table.
    public func finish(allowed: [String]? = nil) {
        for key in table.keys where !known.contains(key) {
            let list = (allowed ?? known.sorted()).joined(separator: ", ")
            fail(key, "unknown key; allowed here: \(list.isEmpty ? "(none)" : list)")
        }
    }
}
