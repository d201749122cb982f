/// A small lexicon of Indonesian root words (kata dasar), written for this project from the
/// vocabulary of city administration and everyday verbs. It is deliberately not a copy of any
/// published dictionary (those carry non-commercial licences). The stemmer uses it to choose
/// between the recodings of a prefix (memakai → pakai, not makai) and to protect roots that
/// look affixed (berita, berkas, pegawai, masalah, keluarga). Add words here when a search
/// misses because two forms of one word reach different stems.
public enum RootWords {
    /// Our own lexicon (below): the city's administrative vocabulary. It wins over the Hunspell lists,
    /// so its entries stay whole even where Hunspell's affix rules read them as derived (pegawai).
    public static let all: Set<String> = words(text)

    /// The stemmer's main lexicon: our own roots and the Hunspell roots that take affixes (hunspell-affixed.txt).
    public static let primary: Set<String> = all.union(hunspellAffixed).subtracting(notRoots)

    /// Hunspell entries that are affixed forms of a root we want reached: "ketahu" (of ketahui) is ke-tahu.
    static let notRoots: Set<String> = ["ketahu"]

    /// Hunspell roots without affix flags: kept whole, and chosen as the root of an affixed word only
    /// when no main-lexicon root fits (mengupas → kupas rather than upas).
    public static let bare: Set<String> = hunspellBare.subtracting(primary).subtracting(notRoots)

    static func words(_ text: String) -> Set<String> {
        Set(text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\\" }).map(String.init))
    }

    // Grouped loosely by theme; order does not matter.
    private static let text = """
    ada adil adu aju ajar akhir akta aku akui alam alamat alih alir aman ambil amat anak angkat angkut anggar anggota \
    antar antre arah arsip asal asli atas atur awas awal ayah \
    badan bagi bahas bahan baik baku balas balik bangun bantu banyak banding bangsa barang baru batal batas bawa bayar \
    bayi beda bekal belanja beli benar bentuk berat beri berita berkas bersih besar betul biaya bidang bijak bimbing bina \
    bisa bocor bohong bolos buat bubar bukti buka buku bulan bumi bunga buruh butuh \
    cabut cair cakup camat cantum capai cari catat cek cepat cerai cermat cetak cipta cocok contoh cukup curi \
    dadak daerah daftar dagang dalam damai dampak dana dapat darurat dasar data datang dekat denda desa didik digital \
    diam dinas diri dokumen dorong duduk dukung dunia \
    edar ekspor email emas erat \
    gagal gaji ganti ganggu gabung gambar gedung gelar gerak guna guru \
    hadap hadir hak hal hambat hampir hapus harap harga hari hasil hemat hibah hidup hilang hitung hubung hukum hutan \
    ikat ikut impor imbau indah informasi ingat injak insentif intan isi istri izin \
    jabat jadi jadwal jaga jalan jalur jamin jangka jawab jelas jenis jual jumlah \
    kabar kabupaten kaji kantor kapal karya kata kawasan kawin kecil kejar kelas kelola keluar keluarga kelompok kemas \
    kembali kembang kena kenal kendara kepala keras kereta kertas kesan khusus kirim kode kolom komunikasi kontrak \
    kota kuasa kuat kumpul kunjung kurang kutip \
    lahir laksana lalu lama lambat lampir langgar lanjut lapor lapang larang lengkap lepas letak lewat libat lihat \
    lindung lingkung lisan lulus lurah luas \
    maju makan maksud malam maling mampu mandiri manfaat masa masak masalah masuk mati mau mekanisme media menang \
    menteri merek mesin milik minta minum mohon mudah mula mulai muat mundur musyawarah \
    naik nama nanti nikah nilai nomor nyata \
    objek obat olah orang operasi \
    pajak pakai paksa paket panggil pangkat panjang pantau pasang pasar pasti patuh pegawai peka pelihara penting \
    perahu peran perangkat percaya pergi periksa perintah perkara perlu pernah persen pertama peserta pesan peta \
    pilih pimpin pinjam pindah pisah pokok potong proses pulang pungut punya pusat putus \
    ragam rahasia rancang rapat rawat rekam rencana resmi ringkas rinci rugi rujuk rumah rusak \
    sah saksi salah salin sama sampai sampah sanksi saran sasar sebab sedia sehat sekolah selesai seluruh semua \
    sengketa serah sertifikat serta setuju setor sewa siap sidang simpan sita siswa sistem sosial status sulit sumber \
    surat susun syarat \
    tagih tahan tahap tahu tambah tampil tanah tanda tangan tanggal tanggap tanggung tangkap tanya tarif tarik tata \
    tawar tekan teknis temu tenaga tentu terang terbit terima terus tetap tinggal tindak tingkat tinjau tolak tugas \
    tuju tukar tulis tunda tunggak tunggu tunjuk turun tutup \
    uang ubah ukur ulang umum unduh unggah untung upaya urus usaha usia usul utama \
    wajib waktu wakil wali warga waris warna wilayah wujud \
    yakin
    """
}
