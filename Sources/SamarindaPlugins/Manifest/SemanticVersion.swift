/// A semantic version (semver.org): `MAJOR.MINOR.PATCH[-prerelease][+build]`.
public struct SemanticVersion: Sendable, Comparable, Hashable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int
    public var prerelease: [String]

    public init(_ major: Int, _ minor: Int, _ patch: Int, prerelease: [String] = []) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
    }

    /// Parses a full version; nil when `text` is not one.
    public init?(_ text: String) {
        var core = Substring(text)
        if let plus = core.firstIndex(of: "+") { core = core[..<plus] }
        var pre: [String] = []
        if let dash = core.firstIndex(of: "-") {
            pre = core[core.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !pre.isEmpty, pre.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } }) else { return nil }
            core = core[..<dash]
        }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let a = Self.number(parts[0]), let b = Self.number(parts[1]), let c = Self.number(parts[2]) else { return nil }
        self.init(a, b, c, prerelease: pre)
    }

    static func number(_ s: Substring) -> Int? {
        guard !s.isEmpty, s.allSatisfy(\.isASCII), s.allSatisfy(\.isNumber), s == "0" || !s.hasPrefix("0") else { return nil }
        return Int(s)
    }

    public var description: String {
        "\(major).\(minor).\(patch)" + (prerelease.isEmpty ? "" : "-" + prerelease.joined(separator: "."))
    }

    public static func < (a: Self, b: Self) -> Bool {
        if (a.major, a.minor, a.patch) != (b.major, b.minor, b.patch) { return (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch) }
        if a.prerelease.isEmpty { return false }
        if b.prerelease.isEmpty { return true }
        for (x, y) in zip(a.prerelease, b.prerelease) where x != y {
            switch (Int(x), Int(y)) {
            case let (i?, j?): return i < j
            case (.some, nil): return true
            case (nil, .some): return false
            default: return x < y
            }
        }
        return a.prerelease.count < b.prerelease.count
    }
}

/// A range of versions as npm/Cargo write them: `^1.0`, `~1.2`, `>=1.0.0 <2.0.0`, `1.x`, `*`,
/// alternatives joined by `||`.
public struct VersionRange: Sendable, CustomStringConvertible {
    struct Comparator: Sendable {
        enum Op: Sendable { case lt, le, gt, ge, eq }
        let op: Op
        let version: SemanticVersion
        func matches(_ v: SemanticVersion) -> Bool {
            switch op {
            case .lt: v < version
            case .le: v <= version
            case .gt: v > version
            case .ge: v >= version
            case .eq: v == version
            }
        }
    }

    public let text: String
    let alternatives: [[Comparator]]

    public init?(_ text: String) {
        self.text = text
        var alts: [[Comparator]] = []
        for alt in text.components(separatedBy: "||") {
            var set: [Comparator] = []
            let tokens = alt.split(whereSeparator: { $0 == " " || $0 == "," })
            if tokens.isEmpty { return nil }
            for token in tokens {
                guard let cs = Self.comparators(String(token)) else { return nil }
                set += cs
            }
            alts.append(set)
        }
        alternatives = alts
    }

    public var description: String { text }

    public func contains(_ v: SemanticVersion) -> Bool {
        alternatives.contains { $0.allSatisfy { $0.matches(v) } }
    }

    /// A partial version: `1`, `1.2`, `1.2.3`, with `x`/`*` wildcards. Returns the parts given.
    private static func partial(_ s: Substring) -> [Int]? {
        if s == "*" || s == "x" || s == "X" { return [] }
        if SemanticVersion(String(s)) != nil, let v = SemanticVersion(String(s)) { return [v.major, v.minor, v.patch] }
        var parts: [Int] = []
        for p in s.split(separator: ".", omittingEmptySubsequences: false) {
            if p == "x" || p == "X" || p == "*" { break }
            guard let n = SemanticVersion.number(p) else { return nil }
            parts.append(n)
        }
        return parts.count <= 3 ? parts : nil
    }

    private static func comparators(_ token: String) -> [Comparator]? {
        var t = Substring(token)
        func lower(_ p: [Int]) -> SemanticVersion { SemanticVersion(p.count > 0 ? p[0] : 0, p.count > 1 ? p[1] : 0, p.count > 2 ? p[2] : 0) }
        if t.hasPrefix("^") {
            guard let p = partial(t.dropFirst()) else { return nil }
            let lo = lower(p)
            let hi: SemanticVersion
            if p.isEmpty { return [] }
            if lo.major > 0 || p.count == 1 { hi = SemanticVersion(lo.major + 1, 0, 0) }
            else if lo.minor > 0 || p.count == 2 { hi = SemanticVersion(0, lo.minor + 1, 0) }
            else { hi = SemanticVersion(0, 0, lo.patch + 1) }
            return [.init(op: .ge, version: lo), .init(op: .lt, version: hi)]
        }
        if t.hasPrefix("~") {
            guard let p = partial(t.dropFirst()) else { return nil }
            if p.isEmpty { return [] }
            let lo = lower(p)
            let hi = p.count == 1 ? SemanticVersion(lo.major + 1, 0, 0) : SemanticVersion(lo.major, lo.minor + 1, 0)
            return [.init(op: .ge, version: lo), .init(op: .lt, version: hi)]
        }
        let ops: [(String, Comparator.Op)] = [(">=", .ge), ("<=", .le), (">", .gt), ("<", .lt), ("=", .eq)]
        for (prefix, op) in ops where t.hasPrefix(prefix) {
            t = t.dropFirst(prefix.count)
            guard let p = partial(t), !p.isEmpty else { return nil }
            return [.init(op: op, version: lower(p))]
        }
        guard let p = partial(t) else { return nil }
        if p.isEmpty { return [] }
        if p.count == 3 { return [.init(op: .eq, version: lower(p))] }
        let lo = lower(p)
        let hi = p.count == 1 ? SemanticVersion(lo.major + 1, 0, 0) : SemanticVersion(lo.major, lo.minor + 1, 0)
        return [.init(op: .ge, version: lo), .init(op: .lt, version: hi)]
    }
}
