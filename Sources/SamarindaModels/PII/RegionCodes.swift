/// Province and regency codes of Kemendagri (Permendagri on kode wilayah),
/// as the first four digits of a NIK or No. KK carry them: `PPKK`, where the
/// regency part is 01… for a kabupaten and 71… for a kota.
///
/// A NIK keeps the code of the region that issued it, so regions that were
/// later split keep their historical codes valid (e.g. 64.73 Tarakan, issued
/// under Kalimantan Timur before Kalimantan Utara became 65). The table
/// therefore gives, per province, the highest kabupaten and kota code ever
/// issued, not today's count.
enum RegionCodes {
    /// province code → (highest kabupaten code, number of kota codes from 71)
    static let provinces: [Int: (kabupaten: Int, kota: Int)] = [
        11: (18, 5),  // Aceh
        12: (25, 8),  // Sumatera Utara
        13: (12, 7),  // Sumatera Barat
        14: (10, 3),  // Riau (14.72 was Batam before Kepulauan Riau)
        15: (9, 2),   // Jambi
        16: (13, 4),  // Sumatera Selatan
        17: (9, 1),   // Bengkulu
        18: (13, 2),  // Lampung
        19: (6, 1),   // Kepulauan Bangka Belitung
        21: (5, 2),   // Kepulauan Riau
        31: (1, 5),   // DKI Jakarta
        32: (18, 9),  // Jawa Barat
        33: (29, 6),  // Jawa Tengah
        34: (4, 1),   // DI Yogyakarta
        35: (29, 9),  // Jawa Timur
        36: (4, 4),   // Banten
        51: (8, 1),   // Bali
        52: (8, 2),   // Nusa Tenggara Barat
        53: (21, 1),  // Nusa Tenggara Timur
        61: (12, 2),  // Kalimantan Barat
        62: (13, 1),  // Kalimantan Tengah
        63: (11, 2),  // Kalimantan Selatan
        64: (11, 4),  // Kalimantan Timur (64.72 Kota Samarinda)
        65: (4, 1),   // Kalimantan Utara
        71: (11, 4),  // Sulawesi Utara
        72: (12, 1),  // Sulawesi Tengah
        73: (26, 3),  // Sulawesi Selatan
        74: (15, 2),  // Sulawesi Tenggara
        75: (5, 1),   // Gorontalo
        76: (6, 0),   // Sulawesi Barat
        81: (9, 2),   // Maluku
        82: (8, 2),   // Maluku Utara
        91: (36, 1),  // Papua
        92: (12, 1),  // Papua Barat
        93: (4, 0),   // Papua Selatan
        94: (36, 1),  // Papua Tengah since 2022; before that Dukcapil issued 94.01–94.36 and 94.71 for Papua (python-stdnum's table)
        95: (8, 0),   // Papua Pegunungan
        96: (5, 1),   // Papua Barat Daya
    ]

    /// Whether `province`/`regency` is a code that has been issued.
    static func isValid(province: Int, regency: Int) -> Bool {
        guard let p = provinces[province] else { return false }
        if regency >= 1 && regency <= p.kabupaten { return true }
        if p.kota > 0 && regency >= 71 && regency < 71 + p.kota { return true }
        return false
    }
}
