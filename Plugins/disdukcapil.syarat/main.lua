-- disdukcapil.syarat — persyaratan dan langkah layanan kependudukan.
--
-- Cara kerja:
--   1. Cari di koleksi dokumen Disdukcapil (samarinda.docs.search).
--   2. Bila ada hasil yang memang membahas layanan itu: ambil butir-butir
--      persyaratan dari teksnya dan beri nomor kutipan [1], [2], …
--   3. Bila tidak ada hasil (atau pencarian gagal / tidak diizinkan): pakai
--      tabel persyaratan standar di bawah, dan katakan itu di `catatan`.

local M = {}

-- {====== TABEL STANDAR ======}
-- Ringkasan umum menurut Perpres 96/2018 tentang Persyaratan dan Tata Cara
-- Pendaftaran Penduduk dan Pencatatan Sipil serta Permendagri 108/2019.
-- Semua layanan adminduk tidak dipungut biaya (UU 24/2013 Pasal 79A).
local LAYANAN = {
  ["ktp-el"] = {
    nama = "KTP elektronik (KTP-el)",
    kata_kunci = { "ktp", "kartu tanda penduduk" },
    syarat = {
      "Berusia 17 tahun, sudah kawin, atau pernah kawin",
      "Kartu Keluarga (KK)",
      "Untuk penggantian karena rusak: KTP-el yang rusak",
      "Untuk penggantian karena hilang: surat keterangan kehilangan",
      "Untuk perubahan data: dokumen yang membuktikan perubahan (mis. akta perkawinan)",
    },
    langkah = {
      "Datang ke Disdukcapil Kota Samarinda atau kantor kecamatan sesuai domisili",
      "Perekaman biometrik (foto, sidik jari, iris mata, tanda tangan) bagi yang belum pernah merekam",
      "Petugas memverifikasi data pada database kependudukan",
      "KTP-el dicetak dan diserahkan kepada pemohon",
    },
  },
  ["kk"] = {
    nama = "Kartu Keluarga (KK)",
    kata_kunci = { "kartu keluarga", "kk" },
    syarat = {
      "Keluarga baru: buku nikah/kutipan akta perkawinan atau kutipan akta perceraian",
      "Penduduk yang pindah: Surat Keterangan Pindah (SKPWNI)",
      "Perubahan data: KK lama dan bukti peristiwa yang mengubah data (mis. akta kelahiran, akta kematian)",
      "KK hilang atau rusak: surat keterangan kehilangan atau KK yang rusak, serta KTP-el",
    },
    langkah = {
      "Isi formulir biodata keluarga (F-1.01) dan formulir pendaftaran peristiwa kependudukan (F-1.02)",
      "Serahkan berkas ke Disdukcapil, kecamatan, atau layanan daring Disdukcapil Kota Samarinda",
      "Petugas memverifikasi dan memvalidasi data",
      "KK baru diterbitkan (dapat dicetak mandiri bila diterbitkan dengan tanda tangan elektronik)",
    },
  },
  ["akta-kelahiran"] = {
    nama = "Akta kelahiran",
    kata_kunci = { "kelahiran", "lahir" },
    syarat = {
      "Surat keterangan kelahiran dari rumah sakit, puskesmas, dokter, atau bidan",
      "Buku nikah/kutipan akta perkawinan orang tua, atau SPTJM kebenaran sebagai pasangan suami istri",
      "Kartu Keluarga tempat anak akan didaftarkan",
      "KTP-el orang tua",
      "Bila tidak ada surat keterangan kelahiran: SPTJM kebenaran data kelahiran dengan dua orang saksi",
    },
    langkah = {
      "Laporkan kelahiran paling lambat 60 hari sejak tanggal lahir",
      "Isi formulir pelaporan pencatatan sipil (F-2.01)",
      "Serahkan berkas ke Disdukcapil atau layanan daring",
      "Akta kelahiran diterbitkan dan KK diperbarui dengan nama anak",
    },
  },
  ["akta-kematian"] = {
    nama = "Akta kematian",
    kata_kunci = { "kematian", "meninggal" },
    syarat = {
      "Surat kematian dari dokter/rumah sakit atau dari lurah, atau SPTJM kebenaran data kematian",
      "Kartu Keluarga almarhum/almarhumah",
      "KTP-el almarhum/almarhumah",
      "KTP-el pelapor",
    },
    langkah = {
      "Laporkan kematian paling lambat 30 hari sejak tanggal kematian",
      "Isi formulir pelaporan pencatatan sipil (F-2.01)",
      "Serahkan berkas ke Disdukcapil atau layanan daring",
      "Akta kematian diterbitkan dan KK keluarga diperbarui",
    },
  },
  ["pindah-datang"] = {
    nama = "Pindah datang penduduk",
    kata_kunci = { "pindah", "datang", "skpwni" },
    syarat = {
      "Pindah keluar Samarinda: Kartu Keluarga dan KTP-el",
      "Datang ke Samarinda: Surat Keterangan Pindah WNI (SKPWNI) dari daerah asal",
      "Datang ke Samarinda: KTP-el dari daerah asal",
    },
    langkah = {
      "Di daerah asal: isi formulir perpindahan (F-1.03) dan terima SKPWNI",
      "Di Samarinda: serahkan SKPWNI ke Disdukcapil Kota Samarinda",
      "Disdukcapil menerbitkan KK dan KTP-el dengan alamat baru",
    },
  },
}
-- {====== }

local BATAS_CUPLIKAN = 400   -- karakter per kutipan
local BATAS_KUTIPAN = 6      -- kutipan paling banyak

-- Memotong teks di batas kata tanpa merusak karakter UTF-8.
local function potong(teks, batas)
  teks = teks:gsub("%s+", " "):gsub("^ ", "")
  if utf8.len(teks) == nil or utf8.len(teks) <= batas then return teks end
  local akhir = utf8.offset(teks, batas + 1) - 1
  local potongan = teks:sub(1, akhir)
  potongan = potongan:match("^(.*%S)%s") or potongan
  return potongan .. " …"
end

local function menyebut(teks, kata_kunci)
  local kecil = " " .. teks:lower() .. " "
  for _, k in ipairs(kata_kunci) do
    if kecil:find("%f[%w]" .. k .. "%f[%W]") then return true end
  end
  return false
end

-- Butir daftar dalam teks: "- …", "• …", "* …", "1. …", "a) …".
local function butir_daftar(teks)
  local hasil = {}
  for baris in (teks .. "\n"):gmatch("([^\n]*)\n") do
    local b = baris:match("^%s*[-*]%s+(.+)") or baris:match("^%s*•%s*(.+)")
      or baris:match("^%s*%d+[.)]%s+(.+)") or baris:match("^%s*%a[.)]%s+(.+)")
    if b and #b > 3 then hasil[#hasil + 1] = potong(b, 200) end
  end
  return hasil
end

local function kalimat_pertama(teks)
  return potong(teks:match("^%s*(.-[.!?])%s") or teks, 200)
end

-- Jenis bagian dokumen menurut judul bagiannya (section).
local JENIS_BAGIAN = {
  { jenis = "langkah", kata = { "prosedur", "langkah", "alur", "tata cara", "mekanisme" } },
  { jenis = "biaya", kata = { "biaya", "tarif" } },
  { jenis = "lain", kata = { "dasar hukum", "catatan", "kontak", "layanan bantuan" } },
}
local function jenis_bagian(bagian)
  local kecil = bagian:lower()
  for _, j in ipairs(JENIS_BAGIAN) do
    for _, k in ipairs(j.kata) do
      if kecil:find(k, 1, true) then return j.jenis end
    end
  end
  return "syarat"
end

-- Teks bagian tanpa baris judulnya sendiri.
local function tanpa_judul(teks, bagian)
  if bagian ~= "" and teks:sub(1, #bagian) == bagian then return teks:sub(#bagian + 1) end
  return teks
end

-- Pencarian lewat satu fungsi, agar uji dapat menggantinya (plugin.cari = …).
function M.cari(query)
  if not (samarinda.docs and samarinda.docs.search) then
    return nil, "akses dokumen Disdukcapil tidak diberikan kepada plugin ini"
  end
  return samarinda.docs.search(query, { limit = 10 })
end

-- Bagian dokumen yang membahas layanan ini: yang judul dokumennya menyebut
-- layanan (paling tepat); bila tidak ada, yang judul bagiannya menyebutnya.
-- Teks yang sekadar menyebut kata "kematian" (mis. di standar KK) tidak cukup.
local function bagian_relevan(hasil, layanan)
  local judul, bagian = {}, {}
  for _, p in ipairs(hasil or {}) do
    if menyebut(p.title or "", layanan.kata_kunci) then
      judul[#judul + 1] = p
    elseif menyebut(p.section or "", layanan.kata_kunci) then
      bagian[#bagian + 1] = p
    end
  end
  local pilih = #judul > 0 and judul or bagian
  -- Persyaratan dulu, lalu langkah, biaya, pengantar, lain-lain; dalam tiap
  -- jenis tetap menurut urutan hasil pencarian.
  local URUT = { syarat = 1, langkah = 2, biaya = 3, pengantar = 4, lain = 5 }
  local function urutan(p)
    local b = p.section or ""
    return b == "" and URUT.pengantar or URUT[jenis_bagian(b)]
  end
  for i, p in ipairs(pilih) do p._urut = i end
  table.sort(pilih, function(a, b)
    local ua, ub = urutan(a), urutan(b)
    if ua ~= ub then return ua < ub end
    return a._urut < b._urut
  end)
  while #pilih > BATAS_KUTIPAN do table.remove(pilih) end
  return pilih
end

function M.cek_syarat(args)
  local layanan = LAYANAN[args.layanan]
  local query = "syarat " .. layanan.nama .. (args.pertanyaan and (" " .. args.pertanyaan) or "")
  local hasil, galat = M.cari(query)

  -- Butir persyaratan, langkah dan biaya dari bagian-bagian dokumen, masing-
  -- masing dengan nomor kutipannya.
  local relevan = bagian_relevan(hasil, layanan)
  local kutipan, syarat, langkah, biaya = {}, {}, {}, {}
  for n, p in ipairs(relevan) do
    local bagian, teks = p.section or "", p.text or ""
    kutipan[n] = { nomor = n, sumber = p.citation or p.title or "dokumen", judul = p.title or "", cuplikan = potong(teks, BATAS_CUPLIKAN) }
    local tanda = " [" .. n .. "]"
    local jenis = jenis_bagian(bagian)
    if jenis == "syarat" then
      -- "Persyaratan Perubahan KK" → "Perubahan KK: …"; bagian lain ("Pindah Keluar") disebut utuh.
      local keterangan = bagian:match("^[Pp]ersyaratan%s+(.+)$") or bagian:match("^[Ss]yarat%s+(.+)$")
      if not keterangan and not bagian:lower():find("syarat", 1, true) and bagian ~= "" then keterangan = bagian end
      for _, b in ipairs(butir_daftar(teks)) do
        syarat[#syarat + 1] = (keterangan and (keterangan .. ": ") or "") .. b .. tanda
      end
    elseif jenis == "langkah" then
      for _, b in ipairs(butir_daftar(teks)) do langkah[#langkah + 1] = b .. tanda end
    elseif jenis == "biaya" then
      biaya[#biaya + 1] = kalimat_pertama(tanpa_judul(teks, bagian)) .. tanda
    end
  end
  -- Dokumen tanpa butir daftar: kutip kalimat pertama tiap bagian persyaratan
  -- (atau, bila tak ada, tiap bagian).
  if #relevan > 0 and #syarat == 0 then
    for _, hanya_syarat in ipairs({ true, false }) do
      for n, p in ipairs(relevan) do
        local bagian = p.section or ""
        if not hanya_syarat or (bagian ~= "" and jenis_bagian(bagian) == "syarat") then
          syarat[#syarat + 1] = kalimat_pertama(tanpa_judul(p.text or "", bagian)) .. " [" .. n .. "]"
        end
      end
      if #syarat > 0 then break end
    end
  end

  if #kutipan > 0 then
    local sumber = {}
    for _, k in ipairs(kutipan) do sumber[#sumber + 1] = "[" .. k.nomor .. "] " .. k.sumber end
    local dari_dokumen = #langkah > 0
    local jawaban = "Persyaratan " .. layanan.nama .. " menurut dokumen Disdukcapil Kota Samarinda: " .. table.concat(syarat, "; ") .. "."
    if dari_dokumen then jawaban = jawaban .. " Langkah: " .. table.concat(langkah, "; ") .. "." end
    if #biaya > 0 then jawaban = jawaban .. " Biaya: " .. table.concat(biaya, " ") end
    return {
      layanan = args.layanan,
      nama_layanan = layanan.nama,
      sumber = "dokumen",
      syarat = syarat,
      langkah = dari_dokumen and langkah or layanan.langkah,
      kutipan = kutipan,
      jawaban = jawaban .. " Sumber: " .. table.concat(sumber, "; ") .. ".",
      catatan = dari_dokumen and "Persyaratan dan langkah diambil dari dokumen Disdukcapil (lihat kutipan)."
        or "Persyaratan diambil dari dokumen Disdukcapil (lihat kutipan); langkah adalah alur umum dari tabel standar.",
    }
  end

  local alasan = galat and ("pencarian dokumen tidak tersedia: " .. galat)
    or "tidak ada dokumen Disdukcapil yang membahas layanan ini"
  samarinda.log.info("cek_syarat " .. args.layanan .. ": memakai tabel standar (" .. (galat and "pencarian gagal" or "tanpa hasil") .. ")")
  return {
    layanan = args.layanan,
    nama_layanan = layanan.nama,
    sumber = "tabel_bawaan",
    syarat = layanan.syarat,
    langkah = layanan.langkah,
    kutipan = {},
    jawaban = "Persyaratan umum " .. layanan.nama .. ": " .. table.concat(layanan.syarat, "; ")
      .. ". Layanan administrasi kependudukan tidak dipungut biaya.",
    catatan = "Jawaban dari tabel persyaratan standar (Perpres 96/2018, Permendagri 108/2019) karena "
      .. alasan .. ". Pastikan dengan petugas Disdukcapil Kota Samarinda.",
  }
end

return M
