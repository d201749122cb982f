import Foundation
import SamarindaCore

/// The recall/precision harness of the redactor (docs/PII.md): a seeded generator of valid
/// identifiers and invalid look-alikes written into many contexts, and the measurement of what the
/// redactor changes. The same corpus runs end to end through the router to a recording stand-in
/// provider (`PIIHarness.endToEnd`). Goals: recall ≥ 99.5 % for every identifier × context,
/// ≤ 0.1 % of look-alikes changed, 0 valid identifiers received by an external provider.
public enum PIIHarness {
    public struct Case: Sendable {
        public var identifier: String
        public var context: String
        public var text: String
        /// The identifier as written in `text`.
        public var written: String
        /// Its digits (empty for identifiers that are not mostly digits): a leak in any spacing is a leak.
        public var digits: String
        public var valid: Bool
    }

    /// A SplitMix64 generator: the same seed, the same corpus on every machine.
    typealias Random = SplitMix64

    // MARK: Identifiers

    /// One identifier: its label words and a generator of (canonical, written forms) for valid and look-alike values.
    struct Identifier: Sendable {
        var name: String
        var labels: [String]
        /// Whether a label is needed for it to be recognised (otherwise contexts also write it bare).
        var needsLabel: Bool
        var numeric: Bool
        var valid: @Sendable (inout Random) -> String
        var lookAlike: @Sendable (inout Random) -> String
        /// Ways of writing a canonical value (grouping); the first is the canonical form itself.
        var forms: [@Sendable (String) -> String]
    }

    static func dd(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    static func group(_ s: String, _ sizes: [Int], _ sep: String) -> String {
        var out: [String] = []
        var i = s.startIndex
        for size in sizes where i < s.endIndex {
            let e = s.index(i, offsetBy: size, limitedBy: s.endIndex) ?? s.endIndex
            out.append(String(s[i..<e]))
            i = e
        }
        if i < s.endIndex { out.append(String(s[i...])) }
        return out.joined(separator: sep)
    }
    static func digitArray(_ s: String) -> [UInt8] { s.utf8.filter(isDigit).map { $0 - 48 } }
    static func region(_ r: inout Random) -> String {
        let p = r.pick(RegionCodes.provinces.keys.sorted())
        let (kab, kota) = RegionCodes.provinces[p]!
        let regency = kota > 0 && r.int(0...3) == 0 ? 71 + r.int(0...(kota - 1)) : r.int(1...kab)
        return dd(p) + dd(regency) + dd(r.int(1...30))
    }
    static func date(_ r: inout Random, female: Bool) -> String {
        let m = r.int(1...12)
        let d = r.int(1...[31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1])
        return dd(d + (female ? 40 : 0)) + dd(m) + dd(r.int(0...99))
    }
    static func luhnDigit(_ body: String) -> Int {
        for c in 0...9 where Validators.luhn(digitArray(body + "\(c)")) { return c }
        return 0
    }
    /// A look-alike must be invalid for every recogniser, or it is not a look-alike.
    static func notAnyValid(_ s: String) -> Bool {
        let d = digitArray(s)
        return !Validators.isNIK(d) && !Validators.isCardNumber(d) && !Validators.isNIP(d) && !(d.count == 15 && Validators.isNPWP15(d))
    }
    static func retry(_ r: inout Random, _ f: (inout Random) -> String) -> String {
        while true { let s = f(&r); if notAnyValid(s) { return s } }
    }

    static let identifiers: [Identifier] = {
        let plain: @Sendable (String) -> String = { $0 }
        let nikForms: [@Sendable (String) -> String] = [plain, { group($0, [4, 4, 4], " ") }, { group($0, [4, 4, 4], "-") }, { group($0, [4, 4, 4], ".") },
                                               { group($0, [6, 6], " ") }, { group($0, [2, 2, 2, 6], ".") }]
        let nik = Identifier(name: "NIK", labels: ["NIK", "No. KTP", "nik", "Nomor KTP", "NIK"], needsLabel: false, numeric: true,
            valid: { r in region(&r) + date(&r, female: r.int(0...1) == 1) + dd(r.int(0...99)) + dd(r.int(1...99)) },
            lookAlike: { r in retry(&r) { r in
                let good = region(&r) + date(&r, female: false) + "0" + String(r.int(100...999))
                switch r.int(0...6) {
                case 0: return String(good.prefix(6)) + "3102" + String(good.suffix(6))        // 31 February
                case 1: return String(good.prefix(8)) + "13" + String(good.suffix(6))          // month 13
                case 2: return "99" + String(good.dropFirst(2))                               // no province 99
                case 3: return String(good.prefix(4)) + "00" + String(good.dropFirst(6))       // kecamatan 00
                case 4: return String(good.prefix(12)) + "0000"                               // serial 0000
                case 5: return String(good.prefix(15))                                        // 15 digits
                default: return String(good.prefix(6)) + "75" + String(good.dropFirst(8))      // day 75
                }
            } }, forms: nikForms)
        let kk = Identifier(name: "KK", labels: ["No. KK", "KK", "Kartu Keluarga", "nomor KK"], needsLabel: true, numeric: true,
            valid: { r in region(&r) + date(&r, female: false) + dd(r.int(0...99)) + dd(r.int(1...99)) },
            lookAlike: { r in retry(&r) { r in region(&r) + "3202" + dd(r.int(0...99)) + dd(r.int(0...99)) + dd(r.int(1...99)) } }, forms: nikForms)
        let npwp = Identifier(name: "NPWP", labels: ["NPWP", "npwp", "No. NPWP", "NPWP"], needsLabel: true, numeric: true,
            valid: { r in
                let body = dd(r.int(1...99)) + String(r.int(100_000...999_999))
                return body + "\(luhnDigit(body))" + String(r.int(0...999)).leftPad(3) + "000"
            },
            lookAlike: { r in retry(&r) { r in
                let body = dd(r.int(1...99)) + String(r.int(100_000...999_999))
                return body + "\((luhnDigit(body) + r.int(1...9)) % 10)" + String(r.int(0...999)).leftPad(3) + "000"
            } }, forms: [{ npwpPrinted($0) }, plain, { "0" + $0 }])
        let nip = Identifier(name: "NIP", labels: ["NIP", "NIP.", "nip pegawai", "employee"], needsLabel: false, numeric: true,
            valid: { r in
                let y = r.int(1960...1999), m = r.int(1...12), d = r.int(1...28)
                return "\(y)" + dd(m) + dd(d) + "\(r.int((y + 20)...2024))" + dd(r.int(1...12)) + "\(r.int(1...2))" + String(r.int(1...999)).leftPad(3)
            },
            lookAlike: { r in retry(&r) { r in
                let y = r.int(1960...1999)
                switch r.int(0...2) {
                case 0: return "\(y)" + "13" + dd(r.int(1...28)) + "\(y + 25)" + "01" + "1" + "001"   // month 13
                case 1: return "\(y)" + "0612" + "\(y + 25)" + "03" + "3" + "001"                   // sex 3
                default: return "\(y)" + "0612" + "\(y + 5)" + "03" + "1" + "001"                    // appointed at 5
                }
            } }, forms: [plain, { group($0, [8, 6, 1], " ") }])
        let phone = Identifier(name: "TELEPON", labels: ["HP", "No. HP", "WA", "telp", "Phone"], needsLabel: false, numeric: true,
            valid: { r in "08" + r.pick(["11", "12", "13", "21", "22", "52", "53", "55", "56", "57", "58", "77", "78", "81", "95", "96"]) + r.digits(r.int(6...8)) },
            lookAlike: { r in "08" + r.digits(r.int(3...5)) },
            forms: [plain, { group($0, [4, 4], "-") }, { "(" + group($0, [4], ") ") }, { group($0, [4, 4], ".") },
                    { "+62-" + group(String($0.dropFirst()), [3, 4], "-") }, { "+62 " + group(String($0.dropFirst()), [3, 4], " ") },
                    { "62" + $0.dropFirst() }])
        let email = Identifier(name: "EMAIL", labels: ["email", "E-mail", "surel"], needsLabel: false, numeric: false,
            valid: { r in r.pick(["budi", "siti.aminah", "andi_w", "rina+ktp", "dewi.s"]) + "\(r.int(1...999))@" + r.pick(["gmail.com", "samarindakota.go.id", "yahoo.co.id", "mail.id"]) },
            lookAlike: { r in r.pick(["budi", "siti"]) + "@" + r.pick(["localhost", "x", "host1"]) },
            forms: [plain])
        let card = Identifier(name: "KARTU", labels: ["kartu kredit", "Visa", "credit card", "kartu debit"], needsLabel: false, numeric: true,
            valid: { r in let body = r.pick(["4", "51", "52", "55"]) ; let b = body + r.digits(15 - body.count); return b + "\(luhnDigit(b))" },
            lookAlike: { r in retry(&r) { r in let b = "4" + r.digits(14); return b + "\((luhnDigit(b) + r.int(1...9)) % 10)" } },
            forms: [plain, { group($0, [4, 4, 4], " ") }, { group($0, [4, 4, 4], "-") }])
        let bpjsKes = Identifier(name: "BPJSKES", labels: ["No. BPJS Kesehatan", "BPJS", "No. KIS", "kartu JKN"], needsLabel: true, numeric: true,
            valid: { r in "000" + r.digits(10) },
            lookAlike: { r in "000" + r.digits(7) },
            forms: [plain, { group($0, [4, 4, 4], " ") }])
        let bpjsTK = Identifier(name: "BPJSTK", labels: ["No. KPJ", "BPJS Ketenagakerjaan", "BP Jamsostek"], needsLabel: true, numeric: true,
            valid: { r in r.pick(["1", "2"]) + r.digits(10) },
            lookAlike: { r in r.pick(["1", "2"]) + r.digits(5) },
            forms: [plain, { group($0, [2, 5], " ") }])
        let sim = Identifier(name: "SIM", labels: ["No. SIM", "SIM", "driving licence"], needsLabel: true, numeric: true,
            valid: { r in r.pick(["1", "2", "3", "4", "5", "6", "7", "8", "9"]) + r.digits(11) },
            lookAlike: { r in r.pick(["1", "2", "3"]) + r.digits(6) },
            forms: [plain, { group($0, [4, 4], "-") }])
        let bank = Identifier(name: "REKENING", labels: ["rekening BRI", "No. Rek", "norek", "bank account"], needsLabel: true, numeric: true,
            valid: { r in r.pick(["1", "2", "3", "5", "7"]) + r.digits(r.int(9...14)) },
            lookAlike: { r in r.pick(["1", "2"]) + r.digits(5) },
            forms: [plain, { group($0, [4, 2, 6], "-") }])
        let passport = Identifier(name: "PASPOR", labels: ["Paspor", "passport", "No. Paspor"], needsLabel: true, numeric: false,
            valid: { r in r.pick(["A", "B", "C", "X"]) + r.digits(7) },
            lookAlike: { r in r.pick(["A", "C"]) + r.digits(4) },
            forms: [plain])
        let plate = Identifier(name: "NOPOL", labels: ["nopol", "plat", "kendaraan"], needsLabel: false, numeric: false,
            valid: { r in r.pick(["KT", "B", "DA", "L", "AB", "KU"]) + " " + "\(r.int(1...9999))" + " " + r.pick(["AB", "X", "ZYA", "TK", "Q"]) },
            lookAlike: { r in r.pick(["ZZ", "QQ", "KTX"]) + " " + "\(r.int(1...9999))" + " " + r.pick(["AB", "X"]) },
            forms: [plain, { $0.replacingOccurrences(of: " ", with: "") }, { $0.replacingOccurrences(of: " ", with: "-") }])
        let address = Identifier(name: "ALAMAT", labels: ["alamat", "Alamat", "address"], needsLabel: false, numeric: false,
            valid: { r in "RT " + String(r.int(1...30)).leftPad(3) + " RW " + String(r.int(1...15)).leftPad(3) },
            lookAlike: { r in "RT-PCR " + "\(r.int(2...9))" + " kali" },
            forms: [plain, { $0.replacingOccurrences(of: "RT ", with: "RT.").replacingOccurrences(of: " RW ", with: "/RW.") },
                    { $0.replacingOccurrences(of: " RW ", with: " / RW ").lowercased() }, { "Jl. Cendana No. 12 " + $0 }])
        return [nik, kk, npwp, nip, phone, email, card, bpjsKes, bpjsTK, sim, bank, passport, plate, address]
    }()

    static func npwpPrinted(_ s: String) -> String {
        let c = Array(s)
        guard c.count == 15 else { return s }
        return "\(String(c[0..<2])).\(String(c[2..<5])).\(String(c[5..<8])).\(c[8])-\(String(c[9..<12])).\(String(c[12..<15]))"
    }

    // MARK: Contexts

    /// How people write: each context takes a label and a value and gives the text around them.
    public static let contexts: [(name: String, write: @Sendable (_ label: String, _ value: String) -> String)] = [
        ("kalimat", { "Mohon dicek \($0) \($1) atas nama Budi Santoso, terima kasih." }),
        ("titik-dua", { "Data pemohon. \($0): \($1). Mohon diproses." }),
        ("rapat", { "\($0)\($1) mohon dicek" }),
        ("sama-dengan", { "query \($0)=\($1)&status=aktif" }),
        ("pagar-garis", { "\($0)#\($1) / \($0)/\($1)" }),
        ("awal-baris", { "\($0):\n\($1)\nsudah diverifikasi" }),
        ("tabel", { "| Nama | \($0) | Ket |\n|---|---|---|\n| Budi | \($1) | baru |" }),
        ("json", { "{\"nama\": \"Budi\", \"\($0)\": \"\($1)\"}" }),
        ("argumen-alat", { "{\"q\": \"cek \($0)\\u00a0\($1)\", \"limit\": 5}" }),
        ("url", { "https://layanan.samarindakota.go.id/cek?\($0)=\($1.replacingOccurrences(of: " ", with: "+"))&lang=id" }),
        ("subjek-email", { "Subject: Re: Permohonan \($0) \($1) - mendesak\nFrom: Bagian Umum" }),
        ("nbsp", { "\($0)\u{00A0}\($1.replacingOccurrences(of: " ", with: "\u{202F}"))\u{00A0}terdaftar" }),
        ("lebar-penuh", { "\($0)：\(fullWidth($1))。" }),
        ("kutip-kurung", { "\($0) “\($1)” (lihat [\($1)])" }),
        ("strip-panjang", { "\($0) — \($1.replacingOccurrences(of: "-", with: "‑"))" }),
        ("daftar", { "Berkas:\n- \($0): \($1)\n- status: lengkap" }),
    ]

    static func fullWidth(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { c in
            (0x21...0x7E).contains(c.value) && c != " " ? Unicode.Scalar(c.value + 0xFEE0)! : c
        }))
    }

    /// The corpus: for every identifier × context, `perPair` valid cases and `perPair` look-alikes.
    public static func corpus(seed: UInt64 = 17, perPair: Int = 24) -> [Case] {
        var r = Random(seed: seed)
        var out: [Case] = []
        for id in identifiers {
            for ctx in contexts {
                for k in 0..<(2 * perPair) {
                    let valid = k < perPair
                    let canonical = valid ? id.valid(&r) : id.lookAlike(&r)
                    let form = id.forms[k % id.forms.count]
                    var written = form(canonical)
                    // In URLs numbers are written without spaces (other values get `+` for their spaces).
                    if ctx.name == "url" && id.numeric { written = written.replacingOccurrences(of: " ", with: "") }
                    var label = id.needsLabel || k % 3 != 2 ? r.pick(id.labels) : ""
                    // Glued labels are a habit with numbers; a plate or address keeps its space.
                    if ctx.name == "rapat" && !id.numeric && !label.isEmpty { label += " " }
                    let text = ctx.write(label, written)
                    let shown: String
                    switch ctx.name {
                    case "nbsp": shown = written.replacingOccurrences(of: " ", with: "\u{202F}")
                    case "lebar-penuh": shown = fullWidth(written)
                    case "strip-panjang": shown = written.replacingOccurrences(of: "-", with: "‑")
                    case "url": shown = written.replacingOccurrences(of: " ", with: "+")
                    default: shown = written
                    }
                    out.append(Case(identifier: id.name, context: ctx.name, text: text, written: shown,
                                    digits: id.numeric ? String(canonical.filter(\.isNumber)) : "", valid: valid))
                }
            }
        }
        return out
    }

    // MARK: Measuring

    public struct Report: Sendable {
        /// "identifier × context" → (found, total) over valid cases.
        public var recall: [String: (found: Int, total: Int)] = [:]
        public var lookAlikes = 0
        public var lookAlikesChanged = 0
        /// A few failures of each sort, for the person fixing them.
        public var missed: [String] = []
        public var changed: [String] = []

        public var cases: Int { recall.values.reduce(0) { $0 + $1.total } + lookAlikes }
        public var worstRecall: (pair: String, value: Double) {
            recall.map { ($0.key, Double($0.value.found) / Double(max(1, $0.value.total))) }.min { $0.1 < $1.1 } ?? ("", 1)
        }
        public var totalRecall: Double {
            let t = recall.values.reduce((0, 0)) { ($0.0 + $1.found, $0.1 + $1.total) }
            return Double(t.0) / Double(max(1, t.1))
        }
        public var falsePositiveRate: Double { Double(lookAlikesChanged) / Double(max(1, lookAlikes)) }
        public var meetsGoals: Bool { worstRecall.value >= 0.995 && falsePositiveRate <= 0.001 }

        public var summary: String {
            var lines = [String(format: "%d cases; recall %.2f%% overall, worst pair %@ at %.2f%%; look-alikes changed %d of %d (%.3f%%)",
                                cases, totalRecall * 100, worstRecall.pair, worstRecall.value * 100, lookAlikesChanged, lookAlikes, falsePositiveRate * 100)]
            let below = recall.filter { Double($0.value.found) < 0.995 * Double($0.value.total) }.keys.sorted()
            if !below.isEmpty { lines.append("below 99.5 %: " + below.joined(separator: ", ")) }
            lines += missed.prefix(12).map { "missed: " + $0 }
            lines += changed.prefix(12).map { "changed: " + $0 }
            return lines.joined(separator: "\n")
        }
    }

    /// Whether `output` still carries the case's identifier (as written, or its digits in any spacing or width).
    public static func leaks(_ c: Case, in output: String) -> Bool {
        if output.contains(c.written) { return true }
        guard !c.digits.isEmpty else { return false }
        let digits = String(output.precomposedStringWithCompatibilityMapping.unicodeScalars.filter { $0.value >= 48 && $0.value <= 57 }.map(Character.init))
        return digits.contains(c.digits)
    }

    /// Runs the corpus through the redactor.
    public static func measure(_ cases: [Case], redactor: PIIRedactor = PIIRedactor()) -> Report {
        var report = Report()
        for c in cases {
            let out = (try? redactor.redact(c.text).text) ?? c.text
            let key = "\(c.identifier) × \(c.context)"
            if c.valid {
                let ok = out != c.text && !leaks(c, in: out)
                report.recall[key, default: (0, 0)].total += 1
                if ok { report.recall[key]!.found += 1 } else if report.missed.count < 50 { report.missed.append("\(key): \(c.text.debugDescription) → \(out.debugDescription)") }
            } else {
                report.lookAlikes += 1
                // Changed: the look-alike is no longer there as written (its neighbours are other cases' business).
                if !out.contains(c.written) {
                    report.lookAlikesChanged += 1
                    if report.changed.count < 50 { report.changed.append("\(key): \(c.text.debugDescription) → \(out.debugDescription)") }
                }
            }
        }
        return report
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}

extension SplitMix64 {
    /// The harness's draws (by modulo: part of what a seed means for the corpus, so kept as it was).
    mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(next() % UInt64(r.count)) }
    mutating func pick<T>(_ a: [T]) -> T { a[int(0...(a.count - 1))] }
    mutating func digits(_ n: Int) -> String { String((0..<n).map { _ in Character(String(int(0...9))) }) }
}
