import Foundation

/// A forward-only reader over JSON bytes, for the few shapes decoded on every chat completion: the
/// caller's request, a provider's answer and its stream chunks.
///
/// Written by hand because Foundation has no pull parser, and JSONDecoder's generic Codable containers
/// were about 8 % of the CPU of every completion (perf on the running service, issue 18). It is strict
/// (RFC 8259) and conservative: anything it is not sure it reads exactly as JSONDecoder would —
/// a number with a fraction where a whole one is wanted, any exponent, an escape it cannot turn into valid UTF-8,
/// a non-ASCII byte in a string it skips, a key given twice in one object, nesting deeper than 64, a
/// shape the caller did not expect —
/// throws `JSONCursor.Miss`. Callers then decode the same bytes with JSONDecoder, which either reads
/// them or says precisely what is wrong; so the fast path can only ever be faster, never different
/// (a differential test holds each caller to that).
public struct JSONCursor {
    /// "Not read here": the caller falls back to JSONDecoder.
    public struct Miss: Error {
        public init() {}
    }

    private let bytes: UnsafeRawBufferPointer
    private var at = 0

    private init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Runs `body` over the whole of `data`; nil when it misses or leaves anything but whitespace unread.
    public static func read<T>(_ data: some ContiguousBytes, _ body: (inout JSONCursor) throws -> T) -> T? {
        data.withUnsafeBytes { raw -> T? in
            var cursor = JSONCursor(raw)
            guard let value = try? body(&cursor) else { return nil }
            cursor.skipSpace()
            return cursor.at == raw.count ? value : nil
        }
    }

    // MARK: Values

    /// An object: `field` is called with each key in order and must read (or `skip`) its value. A key
    /// that comes twice misses: which of the two JSONDecoder keeps is its own choice to make.
    public mutating func object(_ field: (inout JSONCursor, String) throws -> Void) throws {
        skipSpace()
        try expect(UInt8(ascii: "{"))
        skipSpace()
        if peek() == UInt8(ascii: "}") { at += 1; return }
        var keys: [String] = []  // the objects read here have a handful of keys: a list beats hashing
        while true {
            skipSpace()
            let key = try string()
            guard !keys.contains(key) else { throw Miss() }
            keys.append(key)
            skipSpace()
            try expect(UInt8(ascii: ":"))
            try field(&self, key)
            skipSpace()
            guard let next = peek() else { throw Miss() }
            at += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw Miss() }
        }
    }

    /// An array: `element` is called once per element and must read (or `skip`) it.
    public mutating func array(_ element: (inout JSONCursor) throws -> Void) throws {
        skipSpace()
        try expect(UInt8(ascii: "["))
        skipSpace()
        if peek() == UInt8(ascii: "]") { at += 1; return }
        while true {
            try element(&self)
            skipSpace()
            guard let next = peek() else { throw Miss() }
            at += 1
            if next == UInt8(ascii: "]") { return }
            guard next == UInt8(ascii: ",") else { throw Miss() }
        }
    }

    /// Consumes `null` and returns true when the next value is one; otherwise reads nothing.
    public mutating func null() -> Bool {
        skipSpace()
        guard literal("null") else { return false }
        return true
    }

    public mutating func bool() throws -> Bool {
        skipSpace()
        if literal("true") { return true }
        if literal("false") { return false }
        throw Miss()
    }

    /// A whole number written without fraction or exponent, at most 18 digits (so it fits an Int
    /// whatever the digits are); anything else misses.
    public mutating func integer() throws -> Int {
        skipSpace()
        let start = at
        let negative = peek() == UInt8(ascii: "-")
        if negative { at += 1 }
        var value = 0, digits = 0
        while let b = peek(), b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") {
            value = value &* 10 &+ Int(b &- UInt8(ascii: "0"))
            digits += 1
            at += 1
        }
        guard digits > 0, digits <= 18, !(digits > 1 && bytes[start + (negative ? 1 : 0)] == UInt8(ascii: "0")) else { throw Miss() }
        if let b = peek(), b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") { throw Miss() }
        return negative ? -value : value
    }

    /// A JSON number without exponent, as the nearest Double (JSONDecoder refuses some exponent forms
    /// RFC 8259 allows, such as `0E7`; they are left to it).
    public mutating func number() throws -> Double {
        skipSpace()
        let start = at
        try scanNumber()
        guard !bytes[start..<at].contains(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) else { throw Miss() }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw Miss() }
        return value
    }

    public mutating func string() throws -> String {
        skipSpace()
        try expect(UInt8(ascii: "\""))
        let start = at
        // The common case: no escapes, copied straight from the input.
        var ascii = true
        while let b = peek(), b != UInt8(ascii: "\""), b != UInt8(ascii: "\\") {
            guard b >= 0x20 else { throw Miss() }
            if b >= 0x80 { ascii = false }
            at += 1
        }
        guard let end = peek() else { throw Miss() }
        if end == UInt8(ascii: "\"") {
            defer { at += 1 }
            let text = UnsafeRawBufferPointer(rebasing: bytes[start..<at]).assumingMemoryBound(to: UInt8.self)
            // ASCII needs no validation (and the generic validating initialiser costs a metadata lookup).
            if ascii { return String(decoding: text, as: UTF8.self) }
            guard let s = String(validating: text, as: UTF8.self) else { throw Miss() }
            return s
        }
        var out = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<at]))
        while let b = peek() {
            at += 1
            switch b {
            case UInt8(ascii: "\""):
                guard let s = String(validating: out, as: UTF8.self) else { throw Miss() }
                return s
            case UInt8(ascii: "\\"):
                guard let e = peek() else { throw Miss() }
                at += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A high surrogate must be followed by an escaped low one; a lone one misses.
                        guard literal("\\u") else { throw Miss() }
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw Miss() }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw Miss() }
                    out.append(contentsOf: String(Character(u)).utf8)
                default: throw Miss()
                }
            default:
                guard b >= 0x20 else { throw Miss() }
                out.append(b)
            }
        }
        throw Miss()
    }

    /// Reads past any one value, checking its syntax.
    public mutating func skip() throws {
        try skip(depth: 0)
    }

    private mutating func skip(depth: Int) throws {
        guard depth < 64 else { throw Miss() }
        skipSpace()
        switch peek() {
        case UInt8(ascii: "{"): try object { cursor, _ in try cursor.skip(depth: depth + 1) }
        case UInt8(ascii: "["): try array { try $0.skip(depth: depth + 1) }
        case UInt8(ascii: "\""):
            // Only ASCII is skipped: whether a skipped string's other bytes are valid is JSONDecoder's call.
            at += 1
            while let b = peek(), b != UInt8(ascii: "\"") {
                guard b >= 0x20, b < 0x80 else { throw Miss() }
                at += 1
                guard b == UInt8(ascii: "\\") else { continue }
                guard let e = peek() else { throw Miss() }
                at += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"): continue
                case UInt8(ascii: "u"): guard !(0xD800...0xDFFF).contains(try hex4()) else { throw Miss() }
                default: throw Miss()
                }
            }
            guard peek() != nil else { throw Miss() }
            at += 1
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"): guard null() else { throw Miss() }
        default: _ = try number()
        }
    }

    // MARK: Bytes

    private func peek() -> UInt8? { at < bytes.count ? bytes[at] : nil }

    private mutating func skipSpace() {
        while let b = peek(), b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { at += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard peek() == byte else { throw Miss() }
        at += 1
    }

    private mutating func literal(_ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard at + n <= bytes.count else { return false }
        for i in 0..<n where bytes[at + i] != text.utf8Start[i] { return false }
        at += n
        return true
    }

    private mutating func hex4() throws -> UInt32 {
        guard at + 4 <= bytes.count else { throw Miss() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[at]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw Miss()
            }
            value = value << 4 | UInt32(digit)
            at += 1
        }
        return value
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    private mutating func scanNumber() throws {
        func digits() throws {
            var n = 0
            while let b = peek(), b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") { at += 1; n += 1 }
            guard n > 0 else { throw Miss() }
        }
        if peek() == UInt8(ascii: "-") { at += 1 }
        if peek() == UInt8(ascii: "0") {
            at += 1
            if let b = peek(), b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") { throw Miss() }
        } else {
            try digits()
        }
        if peek() == UInt8(ascii: ".") { at += 1; try digits() }
        if let b = peek(), b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
            at += 1
            if let s = peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { at += 1 }
            try digits()
        }
    }
}
