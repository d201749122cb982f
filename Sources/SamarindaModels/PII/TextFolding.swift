import Foundation

/// The text the recognisers read: the UTF-8 bytes after Unicode compatibility folding (NFKC) of the
/// characters that hide personal data from a byte scanner — full-width digits and letters
/// (`６４７２`), no-break and narrow spaces (pasted from Word and PDFs), typographic dashes and
/// quotes — with zero-width characters and soft hyphens dropped (they are invisible inside a number)
/// and the JSON escapes of those spaces (`\u00a0`) read as spaces. Each folded byte remembers the
/// original bytes it came from, so a match is cut out of the *original* text and the placeholder
/// restores exactly what the caller wrote.
///
/// Why not `precomposedStringWithCompatibilityMapping` over the whole text: it loses the offsets
/// that redaction needs, and costs more than the whole scan on a 10 KB prompt. Folding per
/// character keeps offsets; characters outside the table below still get Foundation's NFKC, one
/// character at a time, and are used only when that gives ASCII.
struct FoldedText {
    /// The folded bytes (ASCII where folding applied, the original bytes elsewhere).
    let bytes: [UInt8]
    /// For each folded byte, the original byte range `[start, end)` it came from; nil when folding
    /// changed nothing (ASCII text: the common case costs one pass and no copies of offsets).
    private let starts: [Int32]?
    private let ends: [Int32]?

    init(_ original: [UInt8]) {
        guard Self.needsFolding(original) else {
            bytes = original
            starts = nil
            ends = nil
            return
        }
        var out: [UInt8] = []
        var s: [Int32] = []
        var e: [Int32] = []
        out.reserveCapacity(original.count)
        s.reserveCapacity(original.count)
        e.reserveCapacity(original.count)
        var cache: [UInt32: [UInt8]] = [:]
        var i = 0
        let n = original.count
        func emit(_ bytes: [UInt8], from a: Int, to b: Int) {
            for x in bytes {
                out.append(x)
                s.append(Int32(a))
                e.append(Int32(b))
            }
        }
        while i < n {
            let c = original[i]
            if c == UInt8(ascii: "\\"), let escaped = Self.jsonSpaceEscape(original, i) {
                emit([0x20], from: i, to: i + escaped)
                i += escaped
                continue
            }
            if c < 0x80 {
                out.append(c)
                s.append(Int32(i))
                e.append(Int32(i + 1))
                i += 1
                continue
            }
            let (scalar, length) = Self.decode(original, i)
            if let folded = Self.fold(scalar, cache: &cache) {
                emit(folded, from: i, to: i + length)
            } else {
                emit(Array(original[i..<(i + length)]), from: i, to: i + length)
            }
            i += length
        }
        bytes = out
        starts = s
        ends = e
    }

    /// The original byte range of the folded range `[s, e)`.
    func originalRange(_ s: Int, _ e: Int) -> Range<Int> {
        guard let starts, let ends else { return s..<e }
        return Int(starts[s])..<Int(ends[e - 1])
    }

    private static func needsFolding(_ b: [UInt8]) -> Bool {
        for (i, c) in b.enumerated() {
            if c >= 0x80 { return true }
            if c == UInt8(ascii: "\\"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "u") { return true }
        }
        return false
    }

    /// `\u00a0`, `\u2009`, `\u202f`, `\u3000`, `\u200b`…: the length of a JSON escape of a space-like
    /// character at `i` (tool arguments arrive as JSON text), or nil.
    private static func jsonSpaceEscape(_ b: [UInt8], _ i: Int) -> Int? {
        guard i + 6 <= b.count, b[i + 1] == UInt8(ascii: "u") else { return nil }
        var v: UInt32 = 0
        for k in (i + 2)..<(i + 6) {
            let c = b[k] | 0x20
            let d: UInt8
            if c >= 48 && c <= 57 { d = c - 48 } else if c >= 97 && c <= 102 { d = c - 87 } else { return nil }
            v = v << 4 | UInt32(d)
        }
        guard let scalar = Unicode.Scalar(v), let f = foldTable(scalar), f == [0x20] || f.isEmpty else { return nil }
        return 6
    }

    private static func decode(_ b: [UInt8], _ i: Int) -> (UInt32, Int) {
        let c = UInt32(b[i])
        // The input came from a Swift String, so it is valid UTF-8.
        if c < 0xE0, i + 1 < b.count { return ((c & 0x1F) << 6 | UInt32(b[i + 1] & 0x3F), 2) }
        if c < 0xF0, i + 2 < b.count { return ((c & 0x0F) << 12 | UInt32(b[i + 1] & 0x3F) << 6 | UInt32(b[i + 2] & 0x3F), 3) }
        if i + 3 < b.count { return ((c & 0x07) << 18 | UInt32(b[i + 1] & 0x3F) << 12 | UInt32(b[i + 2] & 0x3F) << 6 | UInt32(b[i + 3] & 0x3F), 4) }
        return (0xFFFD, 1)
    }

    /// The ASCII bytes a non-ASCII character folds to (empty: dropped), or nil to keep it as it is.
    private static func fold(_ v: UInt32, cache: inout [UInt32: [UInt8]]) -> [UInt8]? {
        guard let scalar = Unicode.Scalar(v) else { return nil }
        if let f = foldTable(scalar) { return f }
        if let known = cache[v] { return known.isEmpty ? nil : known }
        // Anything else: Foundation's NFKC of the one character, used when it is ASCII (𝟔 → 6, ² → 2, ﬁ → fi).
        let nfkc = String(Character(scalar)).precomposedStringWithCompatibilityMapping
        let ascii = nfkc.utf8.allSatisfy { $0 < 0x80 } && !nfkc.isEmpty ? Array(nfkc.utf8) : []
        cache[v] = ascii
        return ascii.isEmpty ? nil : ascii
    }

    /// The characters that matter most, without calling into Foundation.
    private static func foldTable(_ s: Unicode.Scalar) -> [UInt8]? {
        switch s.value {
        case 0x00A0, 0x1680, 0x2000...0x200A, 0x202F, 0x205F, 0x3000: return [0x20]
        case 0x00AD, 0x200B...0x200D, 0x2060, 0xFEFF: return []
        case 0x2010...0x2015, 0x2212, 0xFE58, 0xFE63: return [UInt8(ascii: "-")]
        case 0x2018...0x201B, 0x2032: return [UInt8(ascii: "'")]
        case 0x201C...0x201F, 0x2033: return [UInt8(ascii: "\"")]
        case 0x2024: return [UInt8(ascii: ".")]
        case 0xFF01...0xFF5E: return [UInt8(s.value - 0xFEE0)]
        default: return nil
        }
    }
}
