-- dpmptsp.perizinan — kelengkapan berkas perizinan dan draf surat kekurangan.
--
--   1. Ambil daftar persyaratan izin dari tabel bawaan (kode + nama + kata kunci).
--   2. Cari persyaratan yang dipublikasikan di koleksi DPMPTSP; setiap syarat
--      yang disebut dokumen itu diberi dasar kutipan [n].
--   3. Bandingkan dengan dokumen yang sudah diserahkan; susun surat bila kurang.

local M = {}

-- {====== PERSYARATAN ======}
-- Daftar bawaan, disusun dari PP 16/2021 (bangunan gedung; PBG dan SLF diajukan
-- lewat SIMBG) dan ketentuan Perizinan Berusaha Berbasis Risiko lewat OSS.
-- `kunci`: kata yang dicari dalam dokumen persyaratan yang dipublikasikan;
-- pada IZIN, kata yang harus ada di judul dokumen atau bagiannya agar dokumen
-- itu dianggap membahas izin tersebut (standar KTP-el yang menyebut "KTP"
-- bukan dasar persyaratan PBG).
local DOKUMEN = {
  ktp = { nama = "KTP-el pemohon/pemilik", kunci = { "ktp", "kartu tanda penduduk", "nik" } },
  npwp = { nama = "NPWP (pribadi atau badan usaha)", kunci = { "npwp" } },
  bukti_tanah = { nama = "Bukti kepemilikan hak atas tanah (sertipikat) atau perjanjian pemanfaatan tanah", kunci = { "sertipikat", "sertifikat tanah", "hak atas tanah" } },
  kkpr = { nama = "Kesesuaian Kegiatan Pemanfaatan Ruang (KKPR)", kunci = { "kkpr", "pemanfaatan ruang" } },
  rencana_arsitektur = { nama = "Dokumen rencana teknis arsitektur (denah, tampak, potongan)", kunci = { "arsitektur" } },
  rencana_struktur = { nama = "Dokumen rencana teknis struktur (gambar dan perhitungan)", kunci = { "struktur" } },
  rencana_mep = { nama = "Dokumen rencana teknis mekanikal, elektrikal dan perpipaan (MEP)", kunci = { "mekanikal", "elektrikal", "mep" } },
  dokumen_lingkungan = { nama = "Dokumen lingkungan (SPPL, UKL-UPL atau AMDAL sesuai dampak)", kunci = { "sppl", "ukl", "amdal", "lingkungan" } },
  pbg = { nama = "Persetujuan Bangunan Gedung (PBG)", kunci = { "pbg", "persetujuan bangunan gedung" } },
  gambar_terbangun = { nama = "Gambar terbangun (as-built drawings)", kunci = { "terbangun", "as%-built" } },
  laporan_pemeriksaan = { nama = "Laporan pemeriksaan kelaikan fungsi bangunan", kunci = { "pemeriksaan kelaikan", "laporan pemeriksaan" } },
  pernyataan_kelaikan = { nama = "Surat pernyataan kelaikan fungsi dari pengawas atau pengkaji teknis", kunci = { "pernyataan kelaikan" } },
  kbli = { nama = "Kode KBLI kegiatan usaha", kunci = { "kbli" } },
  alamat_usaha = { nama = "Alamat dan lokasi usaha", kunci = { "alamat usaha", "lokasi usaha" } },
  akta_pendirian = { nama = "Akta pendirian dan SK pengesahan badan hukum", kunci = { "akta pendirian" } },
  nib = { nama = "Nomor Induk Berusaha (NIB)", kunci = { "nib", "nomor induk berusaha" } },
  pernyataan_standar = { nama = "Pernyataan pemenuhan standar usaha", kunci = { "pemenuhan standar" } },
  slf = { nama = "Sertifikat Laik Fungsi (SLF)", kunci = { "slf", "laik fungsi" } },
}

local IZIN = {
  pbg = { nama = "Persetujuan Bangunan Gedung (PBG)", saluran = "SIMBG", kunci = { "pbg", "persetujuan bangunan gedung" },
          syarat = { "ktp", "bukti_tanah", "kkpr", "rencana_arsitektur", "rencana_struktur", "rencana_mep", "dokumen_lingkungan" } },
  slf = { nama = "Sertifikat Laik Fungsi (SLF)", saluran = "SIMBG", kunci = { "slf", "laik fungsi" },
          syarat = { "ktp", "pbg", "gambar_terbangun", "laporan_pemeriksaan", "pernyataan_kelaikan" } },
  nib = { nama = "Nomor Induk Berusaha (NIB) melalui OSS", saluran = "OSS", kunci = { "nib", "oss", "perizinan berusaha" },
          syarat = { "ktp", "npwp", "kbli", "alamat_usaha" }, badan_usaha = { "akta_pendirian" } },
  ["sertifikat-standar"] = { nama = "Sertifikat Standar (usaha risiko menengah)", saluran = "OSS",
          kunci = { "sertifikat standar", "perizinan berusaha", "oss" },
          syarat = { "nib", "kkpr", "pernyataan_standar", "pbg", "slf", "dokumen_lingkungan" } },
}
-- {====== }

local function menyebut(teks, kunci)
  local kecil = " " .. teks:lower() .. " "
  for _, k in ipairs(kunci) do
    if kecil:find("%f[%w]" .. k .. "%f[%W]") then return true end
  end
  return false
end

-- Pencarian lewat satu fungsi, agar uji dapat menggantinya (plugin.cari = …).
function M.cari(query)
  if not (samarinda.docs and samarinda.docs.search) then return nil, "akses dokumen DPMPTSP tidak diberikan" end
  return samarinda.docs.search(query, { limit = 8 })
end

local function susun_surat(izin, args, kurang)
  local p = args.pemohon
  local daftar = {}
  for i, d in ipairs(kurang) do daftar[#daftar + 1] = string.format("    %d. %s", i, d.nama) end
  local rujukan = args.nomor_permohonan and (" nomor " .. args.nomor_permohonan) or ""
  return table.concat({
    "PEMERINTAH KOTA SAMARINDA",
    "DINAS PENANAMAN MODAL DAN PELAYANAN TERPADU SATU PINTU",
    "",
    "Nomor    : …/…/DPMPTSP/" .. os.date("%Y"),
    "Sifat    : Biasa",
    "Lampiran : -",
    "Hal      : Pemberitahuan Kekurangan Persyaratan " .. izin.nama,
    "",
    "Yth. " .. p.nama,
    p.alamat and p.alamat ~= "" and p.alamat or "di tempat",
    "",
    "Dengan hormat,",
    "Menindaklanjuti permohonan " .. izin.nama .. rujukan .. " yang Saudara ajukan, setelah kami periksa, "
      .. "berkas permohonan belum lengkap. Mohon Saudara melengkapi dokumen berikut:",
    table.concat(daftar, "\n"),
    "Kelengkapan tersebut kami harapkan diterima paling lambat " .. (args.batas_hari or 14)
      .. " hari kerja sejak surat ini diterima, melalui " .. izin.saluran .. " atau loket DPMPTSP Kota Samarinda. "
      .. "Apabila sampai batas waktu tersebut berkas belum dilengkapi, permohonan dapat dikembalikan.",
    "Demikian kami sampaikan. Atas perhatian Saudara kami ucapkan terima kasih.",
    "",
    "Kepala Dinas Penanaman Modal dan",
    "Pelayanan Terpadu Satu Pintu Kota Samarinda,",
    "",
    "[nama penandatangan]",
    "[pangkat/golongan]",
    "NIP. [NIP]",
  }, "\n")
end

function M.periksa_berkas(args)
  local izin = IZIN[args.jenis_izin]
  local syarat = {}
  for _, k in ipairs(izin.syarat) do syarat[#syarat + 1] = k end
  if args.bentuk_usaha == "badan-usaha" then
    for _, k in ipairs(izin.badan_usaha or {}) do syarat[#syarat + 1] = k end
  end

  -- Dasar tiap syarat: dokumen persyaratan yang menyebutnya, atau daftar bawaan.
  local hasil, galat = M.cari("persyaratan " .. izin.nama)
  local kutipan, dasar = {}, {}
  for _, p in ipairs(hasil or {}) do
    -- Hanya dokumen yang judul atau bagiannya menyebut izin ini.
    if menyebut((p.title or "") .. " " .. (p.section or ""), izin.kunci) then
      local teks = (p.title or "") .. " " .. (p.text or "")
      local nomor = nil
      for _, kode in ipairs(syarat) do
        if not dasar[kode] and menyebut(teks, DOKUMEN[kode].kunci) then
          if not nomor then
            nomor = #kutipan + 1
            kutipan[nomor] = { nomor = nomor, sumber = p.citation or p.title or "dokumen", judul = p.title or "" }
          end
          dasar[kode] = "[" .. nomor .. "] " .. kutipan[nomor].sumber
        end
      end
    end
  end

  local ada = {}
  for _, kode in ipairs(args.dokumen_ada) do ada[kode] = true end
  local kurang, sudah, perlu = {}, {}, {}
  for _, kode in ipairs(syarat) do
    perlu[kode] = true
    local butir = { kode = kode, nama = DOKUMEN[kode].nama, dasar = dasar[kode] or "daftar bawaan" }
    if ada[kode] then sudah[#sudah + 1] = butir else kurang[#kurang + 1] = butir end
  end
  local tidak_perlu = {}
  for _, kode in ipairs(args.dokumen_ada) do
    if not perlu[kode] then tidak_perlu[#tidak_perlu + 1] = kode; perlu[kode] = true end
  end

  local sumber = #kutipan > 0 and "dokumen" or "daftar_bawaan"
  local catatan
  if sumber == "dokumen" then
    catatan = "Persyaratan dicocokkan dengan dokumen yang dipublikasikan DPMPTSP (lihat kutipan); syarat bertanda 'daftar bawaan' tidak disebut dokumen itu."
  else
    catatan = "Persyaratan dari daftar bawaan plugin karena "
      .. (galat and ("pencarian dokumen tidak tersedia: " .. galat) or "tidak ada dokumen persyaratan DPMPTSP yang ditemukan")
      .. ". Pastikan dengan standar pelayanan DPMPTSP yang berlaku."
  end
  local r = {
    jenis_izin = args.jenis_izin,
    nama_izin = izin.nama,
    lengkap = #kurang == 0,
    kurang = kurang,
    sudah_ada = sudah,
    tidak_diperlukan = tidak_perlu,
    sumber_persyaratan = sumber,
    kutipan = kutipan,
    catatan = catatan,
  }
  if #kurang > 0 then r.surat = susun_surat(izin, args, kurang) end
  samarinda.log.info(string.format("periksa_berkas %s: %d kurang dari %d", args.jenis_izin, #kurang, #syarat))
  return r
end

return M
