/// Categories of UU 27/2022's *specific* personal data that are flagged when a request names them
/// beside an identifier. Patterns cannot recognise a diagnosis or a conviction; words that name
/// them can, and a request with such a word *and* a NIK is about a person's health or record.
public enum SensitiveCategory: String, Sendable, CaseIterable, Codable, Comparable {
    case health = "kesehatan"
    case criminal = "pidana"

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// The words, Bahasa Indonesia and English, lowercased; a multi-word term matches words in a row.
/// Kept as data so an operator's reviewer can read the whole list (docs/PII.md shows how to test one).
enum SensitiveTerms {
    static let terms: [SensitiveCategory: [String]] = [
        .health: [
            "diagnosis", "diagnosa", "didiagnosis", "didiagnosa", "penyakit", "sakit", "rekam medis", "rekam medik", "riwayat medis",
            "hiv", "aids", "odha", "tbc", "tuberkulosis", "kanker", "tumor", "diabetes", "hepatitis", "stroke", "jantung",
            "gangguan jiwa", "skizofrenia", "depresi", "odgj", "rawat inap", "rawat jalan", "rumah sakit", "puskesmas", "pasien",
            "disabilitas", "hamil", "kehamilan", "keguguran", "aborsi", "covid", "positif covid", "narkotika", 
            "obat", "resep", "terapi", "medical record", "diagnosed", "disease", "illness", "patient",
            "hospital", "pregnant", "pregnancy", "mental health", "psychiatric", "cancer", 
        ],
        .criminal: [
            "pidana", "tindak pidana", "catatan kriminal", "kriminal", "narapidana", "napi", "terpidana", "tersangka", "terdakwa",
            "vonis", "divonis", "dipenjara", "penjara", "penahanan", "residivis", "mantan napi", "skck",
            "catatan kepolisian", "lapas", "rutan", "dakwaan", "putusan pengadilan", "criminal record", "criminal", "convicted",
            "conviction", "prison", "jail", "arrested", "offender", "felony",
        ],
    ]

    /// Term words as byte arrays, grouped by their first word, for one pass over the text.
    private static let index: [[UInt8]: [(rest: [[UInt8]], category: SensitiveCategory)]] = {
        var idx: [[UInt8]: [(rest: [[UInt8]], category: SensitiveCategory)]] = [:]
        for (category, list) in terms {
            for term in list {
                let words = term.split(separator: " ").map { Array($0.utf8) }
                idx[words[0], default: []].append((Array(words.dropFirst()), category))
            }
        }
        return idx
    }()

    /// The categories whose terms occur in `b` as whole words (folded bytes, any case).
    static func categories(in b: [UInt8]) -> Set<SensitiveCategory> {
        var found: Set<SensitiveCategory> = []
        var word: [UInt8] = []
        var i = 0
        let n = b.count
        while i < n {
            guard isLetter(b[i]) else { i += 1; continue }
            var e = i
            word.removeAll(keepingCapacity: true)
            while e < n, isLetter(b[e]) { word.append(lower(b[e])); e += 1 }
            if word.count >= 3, word.count <= 15, let entries = index[word] {
                for entry in entries where !found.contains(entry.category) && follows(b, e, entry.rest) { found.insert(entry.category) }
                if found.count == SensitiveCategory.allCases.count { return found }
            }
            i = e
        }
        return found
    }

    /// Whether `words` follow position `k`, each after one or more spaces.
    private static func follows(_ b: [UInt8], _ k: Int, _ words: [[UInt8]]) -> Bool {
        var k = k
        for w in words {
            guard k < b.count, b[k] == 0x20 else { return false }
            while k < b.count, b[k] == 0x20 { k += 1 }
            guard k + w.count <= b.count else { return false }
            for (o, c) in w.enumerated() where lower(b[k + o]) != c { return false }
            k += w.count
            if k < b.count, isLetter(b[k]) { return false }
        }
        return true
    }
}
