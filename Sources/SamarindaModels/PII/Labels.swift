/// The words people write before a number to say what it is, in Bahasa Indonesia and English, and
/// the one nearest before a candidate. The nearest label decides, so in "NIK …, rek 1234567890,
/// hp 0812…" each number gets its own label, not the first one in the sentence.
enum Label: Sendable {
    case nik, kk, npwp, nip, phone, bank, card, bpjs, bpjsKesehatan, bpjsKetenagakerjaan, sim, passport, plate

    /// Lowercased words (and the glued forms clerks type: `norek`, `nohp`).
    static let words: [String: Label] = {
        var w: [String: Label] = [:]
        func add(_ label: Label, _ list: [String]) { for x in list { w[x] = label } }
        add(.nik, ["nik", "ktp", "nonik", "kependudukan", "e-ktp", "ektp", "identitas", "identity"])
        add(.kk, ["kk", "nkk", "nokk", "keluarga", "family"])
        add(.npwp, ["npwp", "nonpwp", "pajak", "tax", "tin"])
        add(.nip, ["nip", "nonip", "pegawai", "employee", "asn", "pns"])
        add(.phone, ["telp", "telepon", "tel", "tlp", "hp", "wa", "whatsapp", "ponsel", "phone", "fax", "faks", "handphone", "mobile",
                     "cell", "nohp", "notelp", "nowa", "kontak", "contact", "call", "sms", "hubungi"])
        add(.bank, ["rekening", "rek", "norek", "account", "acc", "a/c", "bank", "bri", "bni", "bca", "mandiri", "bsi", "btn", "cimb",
                    "bankaltimtara", "va", "virtual", "iban"])
        add(.card, ["kredit", "credit", "debit", "card", "visa", "mastercard", "cc", "atm", "jcb", "amex"])
        add(.bpjs, ["bpjs"])
        add(.bpjsKesehatan, ["kesehatan", "kis", "jkn", "health"])
        add(.bpjsKetenagakerjaan, ["ketenagakerjaan", "kpj", "jamsostek", "bpjamsostek", "bpjstk", "tk"])
        add(.sim, ["sim", "mengemudi", "license", "licence", "driving", "driver"])
        add(.passport, ["paspor", "passport"])
        add(.plate, ["nopol", "plat", "pelat", "polisi", "kendaraan", "tnkb", "plate", "registration"])
        return w
    }()

    /// The label nearest before byte `s` (within 48 bytes, skipping words that are not labels).
    static func nearest(_ b: [UInt8], before s: Int) -> Label? {
        let from = max(0, s - 48)
        var e = s
        while e > from {
            // The word ending at e: letters, and `-` or `/` inside (e-ktp, a/c).
            guard isLetter(b[e - 1]) else { e -= 1; continue }
            var w = e
            while w > from, isLetter(b[w - 1]) || ((b[w - 1] == UInt8(ascii: "-") || b[w - 1] == UInt8(ascii: "/")) && w - 1 > from && isLetter(b[w - 2])) { w -= 1 }
            if let l = label(b, w, e) { return l }
            // A hyphenated pair may also be two words ("No-NIK").
            var k = e
            while k > w, isLetter(b[k - 1]) { k -= 1 }
            if k != w, let l = label(b, k, e) { return l }
            e = w
        }
        return nil
    }

    /// Whether the letters just before `s` (a number glued to its label, `NIK6472…`) are a label.
    static func isGlued(_ b: [UInt8], before s: Int) -> Bool {
        var w = s
        while w > 0, isLetter(b[w - 1]) { w -= 1 }
        guard w < s, w == 0 || !isAlnum(b[w - 1]) || b[w - 1] >= 0x80 else { return false }
        return label(b, w, s) != nil
    }

    private static func label(_ b: [UInt8], _ s: Int, _ e: Int) -> Label? {
        guard e - s <= 16 else { return nil }
        let word = String(decoding: b[s..<e].map { isUpper($0) ? $0 + 32 : $0 }, as: UTF8.self)
        return words[word]
    }
}
