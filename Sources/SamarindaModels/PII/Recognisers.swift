/// The recognisers, each one linear pass over the folded bytes (see TextFolding.swift).
enum Recognisers {
    typealias Match = PIIRedactor.Match

    // MARK: E-mail

    static func emails(_ b: [UInt8]) -> [Match] {
        var out: [Match] = []
        var i = 0
        while i < b.count {
            guard b[i] == UInt8(ascii: "@") else { i += 1; continue }
            var s = i
            while s > 0, isLocalChar(b[s - 1]) { s -= 1 }
            var e = i + 1
            while e < b.count, isAlnum(b[e]) || b[e] == UInt8(ascii: ".") || b[e] == UInt8(ascii: "-") { e += 1 }
            while e > i + 1, b[e - 1] == UInt8(ascii: ".") || b[e - 1] == UInt8(ascii: "-") { e -= 1 }
            while s < i, b[s] == UInt8(ascii: ".") { s += 1 }
            if s < i, e > i + 1 {
                let domain = b[(i + 1)..<e]
                if let lastDot = domain.lastIndex(of: UInt8(ascii: ".")), lastDot > i + 1, e - lastDot - 1 >= 2,
                   b[(lastDot + 1)..<e].allSatisfy(isLetter) {
                    out.append(Match(start: s, end: e, kind: .email))
                    i = e
                    continue
                }
            }
            i += 1
        }
        return out
    }

    // MARK: Numbers (NIK, KK, NPWP, NIP, phone, bank account, card, BPJS, SIM)

    /// Digit groups joined by up to three separator characters (space, `.`, `-`, brackets), as
    /// people group numbers: `6472 0115 0890 0001`, `0812.3456.7890`, `(0812) 3456-7890`,
    /// `+62-812-…`, `01.312.166.0-091.000`. Within one such chain, the longest run of whole groups
    /// (at most 8 groups, 20 digits) that validates is taken, then the scan goes on after it.
    /// A chain glued to letters is a code (`ABC6472…`, `…0001abc`), unless the letters are a label
    /// (`NIK6472…`, `HP081…`).
    static func numbers(_ b: [UInt8], covered: [Bool]) -> [Match] {
        var out: [Match] = []
        var groups: [(s: Int, e: Int)] = []
        let n = b.count
        var i = 0
        while i < n {
            guard isDigit(b[i]), !covered[i] else { i += 1; continue }
            let leftGlued = i > 0 && isLetter(b[i - 1]) && !Label.isGlued(b, before: i)
            groups.removeAll(keepingCapacity: true)
            var j = i
            while true {
                let g = j
                while j < n, isDigit(b[j]) { j += 1 }
                groups.append((g, j))
                var k = j
                while k < n, k - j < 3, isChainSeparator(b[k]) { k += 1 }
                if k > j, k < n, isDigit(b[k]), !covered[k] { j = k; continue }
                break
            }
            let rightGlued = j < n && isLetter(b[j])
            var p = leftGlued ? 1 : 0
            // Once a group was passed over, the chain is not a list of numbers: a phone is not looked
            // for inside the rest of it (`950700 081074 0730` is a mistyped NIK, not a phone).
            var passedOver = leftGlued
            while p < groups.count {
                var found: Match?
                var digits = 0
                var q = p
                var ends: [(q: Int, digits: Int)] = []
                while q < groups.count, q - p < 8 {
                    digits += groups[q].e - groups[q].s
                    if digits > 20 { break }
                    ends.append((q, digits))
                    q += 1
                }
                for (last, count) in ends.reversed() where count >= 7 {
                    if rightGlued && last == groups.count - 1 { continue }
                    // A run that the chain continues without a space (`08.732.149.7-769.000`) is part of a longer number.
                    let continued = last + 1 < groups.count && !b[groups[last].e..<groups[last + 1].s].contains(0x20)
                    if let m = classify(b, groups: groups[p...last], digitCount: count, insideChain: passedOver || continued) { found = m; break }
                }
                if let m = found {
                    out.append(m)
                    p = groups.firstIndex { $0.s >= m.end } ?? groups.count
                } else {
                    p += 1
                    passedOver = true
                }
            }
            i = j
            while i < n, isAlnum(b[i]) { i += 1 }
        }
        return out
    }

    @inline(__always) private static func isChainSeparator(_ c: UInt8) -> Bool {
        c == 0x20 || c == UInt8(ascii: ".") || c == UInt8(ascii: "-") || c == UInt8(ascii: "(") || c == UInt8(ascii: ")")
    }

    private static func classify(_ b: [UInt8], groups: ArraySlice<(s: Int, e: Int)>, digitCount: Int, insideChain: Bool) -> Match? {
        var s = groups.first!.s
        let e = groups.last!.e
        var d: [UInt8] = []
        d.reserveCapacity(digitCount)
        for g in groups { for k in g.s..<g.e { d.append(b[k] - 48) } }
        // A leading `+` or `(` belongs to the number (`+62 812…`, `(0541) 741234`).
        let plus = s > 0 && b[s - 1] == UInt8(ascii: "+")
        if plus { s -= 1 }
        if !plus, s > 0, b[s - 1] == UInt8(ascii: "("), b[s..<e].contains(UInt8(ascii: ")")) { s -= 1 }
        guard let kind = kind(of: d, b, s, e, plus: plus) else { return nil }
        if kind == .phone || kind == .card, insideChain, !plus, Label.nearest(b, before: s) != (kind == .phone ? .phone : .card) { return nil }
        return Match(start: s, end: e, kind: kind)
    }

    private static func kind(of d: [UInt8], _ b: [UInt8], _ s: Int, _ e: Int, plus: Bool) -> PIIKind? {
        let count = d.count
        let label = Label.nearest(b, before: s)
        // Labelled kinds first: the label is what tells a bank account from a BPJS number.
        switch label {
        case .kk? where count == 16 && Validators.isRegionDateSerial(d, allowFemale: false): return .kk
        case .npwp? where count == 16 && ((d[0] == 0 && Validators.isNPWP15(Array(d[1...]))) || Validators.isNIK(d)): return .npwp
        case .npwp? where count == 15 && Validators.isNPWP15(d): return .npwp
        case .bpjs? where count == 13, .bpjsKesehatan? where count == 13: return .bpjsKesehatan
        case .bpjs? where count == 11, .bpjsKetenagakerjaan? where (8...13).contains(count): return .bpjsKetenagakerjaan
        case .sim? where (12...14).contains(count): return .sim
        case .card? where (13...19).contains(count) && Validators.luhn(d): return .card
        case .bank? where (10...16).contains(count) && !(count == 16 && Validators.isNIK(d)): return .bankAccount
        default: break
        }
        if count == 16, Validators.isNIK(d) { return .nik }
        if count == 18, Validators.isNIP(d) { return .nip }
        if count == 15, Validators.isNPWP15(d), isNPWPFormatted(b, s, e) { return .npwp }
        if Validators.isCardNumber(d) { return .card }
        // Phones: +62 / 62 / 0 followed by the national number.
        var national: ArraySlice<UInt8>?
        if plus, count > 2, d[0] == 6, d[1] == 2 { national = d[2...] }
        else if !plus, count > 2, d[0] == 6, d[1] == 2, d[2] == 8 { national = d[2...] }
        else if !plus, count > 1, d[0] == 0, d[1] != 0 { national = d[1...] }
        if let national, let first = national.first {
            if first == 8, (9...12).contains(national.count) { return .phone }
            if first != 8, first != 0, (8...11).contains(national.count), plus || label == .phone { return .phone }
        }
        return nil
    }

    /// Written the way NPWPs are printed: `01.234.567.8-901.000`.
    private static func isNPWPFormatted(_ b: [UInt8], _ s: Int, _ e: Int) -> Bool {
        let pattern = Array("dd.ddd.ddd.d-ddd.ddd".utf8)
        guard e - s == pattern.count else { return false }
        for k in 0..<pattern.count {
            if pattern[k] == UInt8(ascii: "d") { if !isDigit(b[s + k]) { return false } } else if b[s + k] != pattern[k] { return false }
        }
        return true
    }

    // MARK: Passport numbers (with their label)

    static func passports(_ b: [UInt8], covered: [Bool]) -> [Match] {
        var out: [Match] = []
        var i = 0
        while i < b.count {
            guard isUpper(b[i]), i == 0 || !isAlnum(b[i - 1]), !covered[i] else { i += 1; continue }
            var j = i
            while j < b.count, isAlnum(b[j]) { j += 1 }
            let word = b[i..<j]
            let letters = word.prefix { isUpper($0) }.count
            let digits = word.count - letters
            if (1...2).contains(letters), (6...8).contains(digits), word.dropFirst(letters).allSatisfy(isDigit),
               Label.nearest(b, before: i) == .passport {
                out.append(Match(start: i, end: j, kind: .passport))
            }
            i = max(j, i + 1)
        }
        return out
    }

    // MARK: Vehicle registration plates

    /// `KT 1234 AB`, `KT-1234-AB`, `KT1234AB`: a region code of Korlantas, 1–4 digits, 1–3 letters.
    /// Without the letters (`B 1234`) only after a label (nopol, plat, kendaraan).
    static func plates(_ b: [UInt8], covered: [Bool]) -> [Match] {
        var out: [Match] = []
        let n = b.count
        var i = 0
        while i < n {
            guard isUpper(b[i]), i == 0 || !isAlnum(b[i - 1]), !covered[i] else { i += 1; continue }
            var j = i
            while j < n, j - i < 3, isUpper(b[j]) { j += 1 }
            guard j - i <= 2, PlateRegions.isValid(b[i..<j]) else { i = j; continue }
            var k = j
            if k < n, isPlateSeparator(b[k]) { k += 1 }
            let ds = k
            while k < n, k - ds < 5, isDigit(b[k]) { k += 1 }
            guard (1...4).contains(k - ds), b[ds] != UInt8(ascii: "0"), k == n || !isDigit(b[k]) else { i = j; continue }
            var end = k
            var m = k
            if m < n, isPlateSeparator(b[m]) { m += 1 }
            let ls = m
            while m < n, m - ls < 4, isUpper(b[m]) { m += 1 }
            if (1...3).contains(m - ls), m == n || !isAlnum(b[m]) {
                end = m
            } else if (k < n && isAlnum(b[k])) || Label.nearest(b, before: i) != .plate {
                i = j
                continue
            }
            out.append(Match(start: i, end: end, kind: .plate))
            i = end
        }
        return out
    }

    /// Space, `-`, or `+` (a space in a URL query).
    @inline(__always) private static func isPlateSeparator(_ c: UInt8) -> Bool {
        c == 0x20 || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
    }

    // MARK: Addresses with RT/RW

    /// `RT 003 RW 005`, `RT.03/RW.05`, `RT003/RW005`, `RT/RW 03/05` (any case), taken together with
    /// the street before it on the same line (`Jl. Cendana No. 12`) when there is one.
    static func addresses(_ b: [UInt8]) -> [Match] {
        var out: [Match] = []
        let n = b.count
        var i = 0
        while i + 1 < n {
            guard lower(b[i]) == UInt8(ascii: "r"), lower(b[i + 1]) == UInt8(ascii: "t"), i == 0 || !isAlnum(b[i - 1]) else { i += 1; continue }
            guard let end = rtrw(b, i + 2) else { i += 2; continue }
            out.append(Match(start: streetStart(b, before: i) ?? i, end: end, kind: .address))
            i = end
        }
        return out
    }

    /// The end of `RT <n> RW <n>` or `RT/RW <n>/<n>` whose `RT` ends at `i`, or nil.
    private static func rtrw(_ b: [UInt8], _ i: Int) -> Int? {
        let n = b.count
        func separators(_ k: inout Int, _ allowed: String) {
            let set = Array(allowed.utf8)
            let s = k
            while k < n, k - s < 3, set.contains(b[k]) { k += 1 }
        }
        func number(_ k: inout Int) -> Bool {
            let s = k
            while k < n, k - s < 4, isDigit(b[k]) { k += 1 }
            return (1...3).contains(k - s) && (k == n || !isAlnum(b[k]))
        }
        func rw(_ k: Int) -> Bool { k + 1 < n && lower(b[k]) == UInt8(ascii: "r") && lower(b[k + 1]) == UInt8(ascii: "w") && (k + 2 == n || !isLetter(b[k + 2])) }
        var k = i
        if k < n, b[k] == UInt8(ascii: "/"), rw(k + 1) {
            // RT/RW 03/05
            k += 3
            separators(&k, " .:+")
            guard number(&k) else { return nil }
            separators(&k, " /-+")
            return number(&k) ? k : nil
        }
        guard k == n || !isLetter(b[k]) else { return nil }
        separators(&k, " .:-+")
        guard number(&k) else { return nil }
        separators(&k, " ,./-+")
        guard rw(k) else { return nil }
        k += 2
        separators(&k, " .:-+")
        return number(&k) ? k : nil
    }

    /// Where the street of an address starts (`Jl.`, `Jalan`, `Gg.`, `Perum`, …) on the same line, within 80 bytes.
    private static func streetStart(_ b: [UInt8], before s: Int) -> Int? {
        let words: Set<String> = ["jl", "jln", "jalan", "gg", "gang", "perum", "perumahan", "komplek", "kompleks", "blok", "lorong"]
        var k = s
        var found: Int?
        while k > max(0, s - 80), b[k - 1] != 0x0A, b[k - 1] != UInt8(ascii: "|"), b[k - 1] != UInt8(ascii: "\"") {
            k -= 1
            if isLetter(b[k]), k == 0 || !isLetter(b[k - 1]) {
                var e = k
                while e < s, isLetter(b[e]) { e += 1 }
                if e - k <= 9, words.contains(String(decoding: b[k..<e].map(lower), as: UTF8.self)) { found = k }
            }
        }
        return found
    }
}

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
@inline(__always) func isUpper(_ c: UInt8) -> Bool { c >= 65 && c <= 90 }
@inline(__always) func isLetter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
@inline(__always) func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isLetter(c) }
@inline(__always) func lower(_ c: UInt8) -> UInt8 { isUpper(c) ? c + 32 : c }
@inline(__always) private func isLocalChar(_ c: UInt8) -> Bool {
    isAlnum(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "%") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-")
}
