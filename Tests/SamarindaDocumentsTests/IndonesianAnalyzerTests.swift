import Testing
@testable import SamarindaDocuments

@Suite struct IndonesianAnalyzerTests {
    let stemmer = IndonesianStemmer()

    /// Word → stem pairs covering each prefix rule (with its sound changes), each suffix, and confixes.
    static let pairs: [(String, String)] = [
        ("mewarnai", "warna"), ("pelayanan", "layan"), ("perizinan", "izin"), ("kependudukan", "duduk"),
        ("mengajukan", "aju"), ("pengajuan", "aju"), ("permohonan", "mohon"), ("memohon", "mohon"),
        ("pendaftaran", "daftar"), ("mendaftarkan", "daftar"), ("didaftarkan", "daftar"), ("persyaratan", "syarat"),
        ("pembayaran", "bayar"), ("membayar", "bayar"), ("dibayarkan", "bayar"), ("pengaduan", "adu"),
        ("melaporkan", "lapor"), ("laporan", "lapor"), ("pelaporan", "lapor"), ("penerbitan", "terbit"),
        ("diterbitkan", "terbit"), ("menerbitkan", "terbit"), ("kelahiran", "lahir"), ("perkawinan", "kawin"),
        ("pemeriksaan", "periksa"), ("diperiksa", "periksa"), ("memeriksa", "periksa"), ("pengambilan", "ambil"),
        ("mengambil", "ambil"), ("menyampaikan", "sampai"), ("penyerahan", "serah"), ("menyerahkan", "serah"),
        ("pembangunan", "bangun"), ("bangunan", "bangun"), ("perpindahan", "pindah"), ("dipindahkan", "pindah"),
        ("ketentuan", "tentu"), ("menentukan", "tentu"), ("pemerintahan", "perintah"), ("pemerintah", "perintah"),
        ("kebersihan", "bersih"), ("menyatakan", "nyata"), ("pernyataan", "nyata"), ("mengirimkan", "kirim"),
        ("pengiriman", "kirim"), ("penilaian", "nilai"), ("menilai", "nilai"), ("memperbaiki", "baik"),
        ("perbaikan", "baik"), ("berdasarkan", "dasar"), ("mengetahui", "tahu"), ("diketahui", "tahu"),
        ("pekerjaan", "kerja"), ("bekerja", "kerja"), ("pengelolaan", "kelola"), ("dikelola", "kelola"),
        ("memakai", "pakai"), ("pemakaian", "pakai"), ("membaca", "baca"), ("menulis", "tulis"),
        ("penulisan", "tulis"), ("pengusaha", "usaha"), ("perusahaan", "usaha"), ("berusaha", "usaha"),
        ("keuangan", "uang"), ("kecamatan", "camat"), ("kelurahan", "lurah"), ("penduduk", "duduk"),
        ("pemilik", "milik"), ("kepemilikan", "milik"), ("disetujui", "setuju"), ("persetujuan", "setuju"),
        ("bukunya", "buku"), ("bayarlah", "bayar"), ("pajaknya", "pajak"), ("tunggakan", "tunggak"),
        // Roots that look affixed stay whole.
        ("berita", "berita"), ("berkas", "berkas"), ("pegawai", "pegawai"), ("masalah", "masalah"),
        ("keluarga", "keluarga"), ("sekolah", "sekolah"), ("pajak", "pajak"), ("jalan", "jalan"),
        // The systematic errors of issue 22: short roots, nasal recodings, over-stemming, foreign suffixes.
        ("dibuang", "buang"), ("mendua", "dua"), ("menjauh", "jauh"), ("mengupas", "kupas"), ("menyanyikan", "nyanyi"),
        ("penyawaan", "nyawa"), ("bersembunyi", "sembunyi"), ("sembunyi", "sembunyi"), ("ekonomi", "ekonomi"),
        ("perekonomian", "ekonomi"), ("mempromosikan", "promosi"), ("idealisme", "ideal"), ("digitalisasi", "digital"),
        ("pemohon", "mohon"), ("pendidikan", "didik"), ("pengesahan", "sah"), ("validasi", "validasi"), ("belajar", "ajar"),
        ("pelajar", "ajar"), ("dimulai", "mulai"), ("naskah", "naskah"),
        // Outside the lexicon, the rule-only fallback still strips regularly.
        ("penanggulangan", "tanggulang"), ("pengolahan", "olah"), ("kesehatan", "sehat"),
    ]

    @Test func stemsIndonesianWords() {
        var wrong: [String] = []
        for (word, stem) in Self.pairs where stemmer.stem(word) != stem {
            wrong.append("\(word) → \(stemmer.stem(word)) (expected \(stem))")
        }
        #expect(wrong.isEmpty, "\(wrong.joined(separator: "; "))")
        #expect(Self.pairs.count >= 34)
    }

    @Test func reduplicationAndHyphenCliticsCountOnce() {
        let analyzer = IndonesianAnalyzer()
        #expect(analyzer.stems("buku-buku") == ["buku"])
        #expect(analyzer.stems("berbalas-balasan") == ["balas"])
        #expect(analyzer.stems("malaikat-malaikat-Nya") == ["malaikat"])
        #expect(analyzer.terms("KTP-nya") == ["ktp"])
        // Two different words stay two: KTP-el.
        #expect(analyzer.terms("KTP-el") == ["ktp", "el"])
        #expect(analyzer.analyze("syarat-syarat KTP-el") == "syarat ktp el")
    }

    @Test func theLexiconIsHunspellsRootsNotItsDerivedEntries() {
        // Roots from the Hunspell list, bare (flagless) entries, and our own list all reach the stemmer;
        // derived entries (pelajar, pegawai's gawai aside) do not count as roots.
        #expect(RootWords.primary.count > 8000 && RootWords.bare.count > 15000)
        #expect(RootWords.primary.contains("kupas") && RootWords.bare.contains("upas"))
        #expect(!RootWords.primary.contains("pelajar") && !RootWords.bare.contains("pelajar"))
        #expect(RootWords.primary.contains("pegawai"), "our own lexicon keeps its entries")
        // The lists are embedded data files (hunspell-*.txt): every word of both, and nothing of their
        // licence headers ('#' lines) nor a stray word split off a line.
        #expect(RootWords.hunspellAffixed.count == 8301 && RootWords.hunspellBare.count == 19813)
        let all = RootWords.hunspellAffixed.union(RootWords.hunspellBare)
        #expect(all.allSatisfy { $0.count >= 3 && $0.allSatisfy { ("a"..."z").contains($0) } }, "only lowercase a–z words")
        #expect(!all.contains("GENERATED") && !all.contains("LGPL") && !all.contains("licence"))
        let words = RootWords.wordList(Array("# header words\nabc def\n\n  ghi\n#jkl\n".utf8))
        #expect(words == ["abc", "def", "ghi"])
    }

    @Test func leavesNumbersCodesAndShortWordsAlone() {
        #expect(stemmer.stem("2024") == "2024")
        #expect(stemmer.stem("p2") == "p2")
        #expect(stemmer.stem("ktp") == "ktp")
        #expect(stemmer.stem("di") == "di")
    }

    @Test func foldsCaseAccentsAndCompatibilityForms() {
        let analyzer = IndonesianAnalyzer()
        #expect(analyzer.terms("PELAYANAN Pénduduk") == ["layan", "duduk"])
        // Full-width letters (NFKC) and a ligature.
        #expect(analyzer.terms("ＫＴＰ ﬁle") == ["ktp", "file"])
    }

    @Test func dropsStopwordsButKeepsNegations() {
        let analyzer = IndonesianAnalyzer()
        #expect(analyzer.terms("yang dan di untuk tidak dipungut biaya") == ["tidak", "pungut", "biaya"])
    }

    @Test func queryAndDocumentFormsMeet() {
        let analyzer = IndonesianAnalyzer()
        let query = Set(analyzer.terms("bagaimana cara mengajukan permohonan izin usaha?"))
        let document = Set(analyzer.terms("Pengajuan dimohonkan untuk perizinan berusaha oleh pengusaha"))
        #expect(query.subtracting(["cara"]).isSubset(of: document))
    }

    @Test func tokensRecordTheirPlaceInTheOriginalText() {
        let analyzer = IndonesianAnalyzer()
        let text = "Syarat: KTP-el, Kartu Keluarga (KK)."
        let tokens = analyzer.tokens(text)
        let bytes = Array(text.utf8)
        #expect(tokens.map(\.folded) == ["syarat", "ktp", "el", "kartu", "keluarga", "kk"])
        #expect(tokens.map { String(decoding: bytes[$0.range], as: UTF8.self) } == ["Syarat", "KTP", "el", "Kartu", "Keluarga", "KK"])
    }

    @Test func hostileInputDoesNotCrash() {
        let analyzer = IndonesianAnalyzer()
        _ = analyzer.terms(String(repeating: "me", count: 10_000))
        _ = analyzer.terms("\u{0}\u{FFFD}\u{202E}🙂 é\u{301}\u{301}\u{301} 𝔭𝔢𝔫𝔡𝔲𝔡𝔲𝔨")
        #expect(analyzer.terms("") == [])
        #expect(stemmer.stem("memememememe").count > 0)
    }
}
