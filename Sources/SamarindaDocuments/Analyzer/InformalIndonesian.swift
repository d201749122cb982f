/// How people type Bahasa Indonesia in a chat or a search box, and the standard words the city's
/// documents use instead: "gimana ngurus KK yg hilang" asks "bagaimana mengurus KK yang hilang".
/// Our own table of everyday spellings and SMS abbreviations, applied to questions only (a document
/// that says "no" or "tp" means something else); the city's own terms go in the synonym table.
public enum InformalIndonesian {
    /// Folded word → standard word(s); an empty value drops a chat particle ("dong", "sih", "kak").
    public static let words: [String: String] = {
        var table: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            for variant in parts[0].split(separator: " ") { table[String(variant)] = parts[1] }
        }
        return table
    }()

    // variants = standard (an empty standard: drop the word)
    private static let text = """
    gimana gmn gmana gimane bgmn bgmna bgm gmna gimna = bagaimana
    gak ga gk nggak ngga engga enggak nda ndak kagak tdk tak = tidak
    udah udh sdh dah sudh = sudah
    blm blum belom = belum
    yg yng = yang
    dgn dg dng = dengan
    utk untk = untuk
    krn krna karna = karena
    sy aq gw gue gua = saya
    dmn dimana = di mana
    kmn kemana = ke mana
    brp brapa berapah = berapa
    bs bsa = bisa
    hrs hrus = harus
    jd jdi = jadi
    kl klo kalo = kalau
    tp tpi = tetapi
    trs trus = terus
    lg lgi = lagi
    aja aj sj = saja
    ato atw = atau
    dr dri = dari
    pd = pada
    org = orang
    ortu = orang tua
    tgl = tanggal
    thn = tahun
    bln = bulan
    kel = kelurahan
    kec = kecamatan
    kab = kabupaten
    prov propinsi = provinsi
    syrt srat = syarat
    srt = surat
    ket = keterangan
    pengen pgn pingin kepengen = ingin
    mo = mau
    sblm = sebelum
    stlh stelah = setelah
    dpt dapet = dapat
    bikin bkin bikinin = buat
    ngurus ngurusin = mengurus
    ilang ilng hlg hilng = hilang
    bener bnr = benar
    emang = memang
    telat = terlambat
    tlp telp = telepon
    hp = ponsel
    skrg skrng skr = sekarang
    nomer nmr = nomor
    almt = alamat
    pny = punya
    mksd = maksud
    tlg = tolong
    mhn = mohon
    gitu = begitu
    ijin = izin
    ngapain = untuk apa
    sih dong deh nih kok ya yah kak min gan sis bro mas mbak pak bu bang tuh lho loh halo hai permisi makasih = 
    """

    /// The standard form of an informal verb the stemmer does not know: the Jakarta nasal prefixes
    /// ng-/nge-/ny- and the suffix -in (ngambil → ambil, ngecek → cek, nyari → cari, daftarin →
    /// daftar, dikurangin → dikurang), when what is left is a root or a word the stemmer reads; nil otherwise.
    public static func verb(_ word: String, stemmer: IndonesianStemmer) -> String? {
        guard word.utf8.count >= 5, word.utf8.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }), !stemmer.analyze(word).known else { return nil }
        var bases = [word]
        if word.hasSuffix("in") { bases.append(String(word.dropLast(2))) }
        for base in bases {
            var candidates: [String] = []
            if base.hasPrefix("nge") { candidates.append(String(base.dropFirst(3))) }
            if base.hasPrefix("ng") { candidates += [String(base.dropFirst(2)), "k" + base.dropFirst(2)] }
            if base.hasPrefix("ny") { candidates += ["c" + base.dropFirst(2), "s" + base.dropFirst(2)] }
            if base != word { candidates.append(base) }
            if let root = candidates.first(where: { $0.utf8.count >= 3 && stemmer.roots.contains($0) }) { return root }
            // A standard word with -in for -i/-kan: dibantuin → dibantu, dikurangin → dikurang(i).
            if base != word, base.utf8.count >= 4, stemmer.analyze(base).known { return base }
        }
        return nil
    }
}

import Foundation
