/// The structures that make a number personal data rather than any number. Each is written from
/// the published structure (python-stdnum implements the same rules for NIK and NPWP; the harness
/// cross-checks a sample against it: Scripts/pii-crosscheck).
enum Validators {
    /// NIK: `PPKKCC DDMMYY SSSS` — issued region, kecamatan ≥ 01, birth date (day + 40 for women), serial ≠ 0000.
    static func isNIK(_ d: [UInt8]) -> Bool {
        isRegionDateSerial(d, allowFemale: true)
    }

    static func isRegionDateSerial(_ d: [UInt8], allowFemale: Bool) -> Bool {
        guard d.count == 16 else { return false }
        guard RegionCodes.isValid(province: num(d, 0, 2), regency: num(d, 2, 2)), num(d, 4, 2) >= 1 else { return false }
        var day = num(d, 6, 2)
        if allowFemale, day > 40 { day -= 40 }
        let year = num(d, 10, 2)
        guard isDate(day: day, month: num(d, 8, 2), leap: year % 4 == 0) else { return false }
        return num(d, 12, 4) != 0
    }

    /// Old 15-digit NPWP: the 9th digit is a Luhn check digit over the first nine; serial ≠ 000000.
    static func isNPWP15(_ d: [UInt8]) -> Bool {
        guard d.count == 15 else { return false }
        guard d[2..<8].contains(where: { $0 != 0 }) else { return false }
        return luhn(d[0..<9])
    }

    /// NIP (civil servants, PP 11/2017 numbering): `YYYYMMDD YYYYMM S NNN` — birth date, appointment
    /// year and month (at 17 or older, not in the future of this system's lifetime), sex 1 or 2, serial ≠ 000.
    static func isNIP(_ d: [UInt8]) -> Bool {
        guard d.count == 18 else { return false }
        let birthYear = num(d, 0, 4), appointed = num(d, 8, 4)
        guard (1940...2010).contains(birthYear),
              isDate(day: num(d, 6, 2), month: num(d, 4, 2), leap: birthYear % 4 == 0 && (birthYear % 100 != 0 || birthYear % 400 == 0)),
              (birthYear + 17...2040).contains(appointed), (1...12).contains(num(d, 12, 2)),
              d[14] == 1 || d[14] == 2, num(d, 15, 3) != 0 else { return false }
        return true
    }

    /// A payment card: 13–19 digits, an issuer prefix (Visa, Mastercard, Amex, JCB, Discover,
    /// UnionPay, GPN) and the Luhn check digit.
    static func isCardNumber(_ d: [UInt8]) -> Bool {
        let c = d.count
        guard (13...19).contains(c) else { return false }
        let p2 = num(d, 0, 2), p4 = num(d, 0, 4)
        let issuer = (d[0] == 4 && (c == 13 || c == 16 || c == 19))
            || ((51...55).contains(p2) && c == 16) || ((2221...2720).contains(p4) && c == 16)
            || ((p2 == 34 || p2 == 37) && c == 15)
            || ((3528...3589).contains(p4) && c == 16)
            || ((p4 == 6011 || p2 == 65 || (6440...6499).contains(p4)) && c == 16)
            || (p2 == 62 && c >= 16)
            || (p4 == 9360 && c >= 16)
        return issuer && luhn(d)
    }

    /// The Luhn check (ISO/IEC 7812) over all digits, the last being the check digit.
    static func luhn<C: Collection>(_ d: C) -> Bool where C.Element == UInt8 {
        var sum = 0
        var double = false
        for digit in d.reversed() {
            var v = Int(digit)
            if double { v *= 2; if v > 9 { v -= 9 } }
            sum += v
            double.toggle()
        }
        return sum % 10 == 0
    }

    private static func isDate(day: Int, month: Int, leap: Bool) -> Bool {
        guard (1...12).contains(month), day >= 1 else { return false }
        return day <= [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    private static func num(_ d: [UInt8], _ a: Int, _ n: Int) -> Int { (a..<(a + n)).reduce(0) { $0 * 10 + Int(d[$1]) } }
}

/// Region codes of Indonesian vehicle plates (Korlantas Polri), the first letters of a plate.
enum PlateRegions {
    static let codes: Set<String> = [
        "A", "B", "D", "E", "F", "G", "H", "K", "L", "M", "N", "P", "R", "S", "T", "W", "Z",
        "AA", "AB", "AD", "AE", "AG", "BA", "BB", "BD", "BE", "BG", "BH", "BK", "BL", "BM", "BN", "BP",
        "DA", "DB", "DC", "DD", "DE", "DG", "DH", "DK", "DL", "DM", "DN", "DR", "DS", "DT", "EA", "EB", "ED",
        "KB", "KH", "KT", "KU", "PA", "PB",
    ]

    static func isValid(_ letters: ArraySlice<UInt8>) -> Bool {
        !letters.isEmpty && codes.contains(String(decoding: letters, as: UTF8.self))
    }
}
