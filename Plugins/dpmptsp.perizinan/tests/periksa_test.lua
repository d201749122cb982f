-- Jalankan: samarinda plugin test Plugins/dpmptsp.perizinan

local cari_asli = plugin.cari
local pemohon = { nama = "CV Maju Bersama", alamat = "Jl. Juanda No. 1, Samarinda" }

test("PBG dengan dua dokumen kurang: daftar dan surat", function()
  local r = call_tool("periksa_berkas", {
    jenis_izin = "pbg", pemohon = pemohon, nomor_permohonan = "PBG-6472-2025-0012",
    dokumen_ada = { "ktp", "bukti_tanah", "kkpr", "rencana_arsitektur", "rencana_struktur" },
  })
  assert_false(r.lengkap)
  assert_eq(#r.kurang, 2)
  assert_eq(r.kurang[1].kode, "rencana_mep")
  assert_eq(r.kurang[2].kode, "dokumen_lingkungan")
  assert_eq(r.sumber_persyaratan, "daftar_bawaan")
  assert_match(r.catatan, "daftar bawaan")
  assert_match(r.surat, "Hal      : Pemberitahuan Kekurangan Persyaratan Persetujuan Bangunan Gedung")
  assert_match(r.surat, "Yth%. CV Maju Bersama")
  assert_match(r.surat, "1%. Dokumen rencana teknis mekanikal")
  assert_match(r.surat, "2%. Dokumen lingkungan")
  assert_match(r.surat, "PBG%-6472%-2025%-0012")
  assert_match(r.surat, "14 hari kerja")
  assert_match(r.surat, "SIMBG")
end)

test("berkas lengkap: tanpa surat", function()
  local r = call_tool("periksa_berkas", {
    jenis_izin = "nib", pemohon = pemohon, dokumen_ada = { "ktp", "npwp", "kbli", "alamat_usaha" },
  })
  assert_true(r.lengkap)
  assert_eq(r.surat, nil)
  assert_eq(#r.sudah_ada, 4)
end)

test("NIB badan usaha juga memerlukan akta pendirian", function()
  local r = call_tool("periksa_berkas", {
    jenis_izin = "nib", bentuk_usaha = "badan-usaha", pemohon = pemohon, batas_hari = 7,
    dokumen_ada = { "ktp", "npwp", "kbli", "alamat_usaha" },
  })
  assert_eq(#r.kurang, 1)
  assert_eq(r.kurang[1].kode, "akta_pendirian")
  assert_match(r.surat, "7 hari kerja")
  assert_match(r.surat, "OSS")
end)

test("dokumen yang tidak diperlukan disebutkan terpisah", function()
  local r = call_tool("periksa_berkas", { jenis_izin = "slf", pemohon = pemohon, dokumen_ada = { "ktp", "npwp", "npwp" } })
  assert_eq(r.tidak_diperlukan, { "npwp" })
  assert_eq(#r.kurang, 4)
end)

test("dasar persyaratan dari dokumen yang dipublikasikan", function()
  plugin.cari = function()
    return {
      { title = "Standar Pelayanan PBG", citation = "Standar Pelayanan PBG §3",
        text = "Persyaratan: KTP pemohon, sertipikat tanah, KKPR, gambar arsitektur, struktur, dan MEP." },
      { title = "Dokumen lingkungan untuk PBG", citation = "Perwali 12/2024 Pasal 5", text = "Wajib melampirkan SPPL atau UKL-UPL." },
      -- tentang KTP-el, bukan PBG: tidak boleh menjadi dasar syarat "ktp"
      { title = "Standar Pelayanan KTP-el", citation = "KTP-el — Persyaratan", text = "KTP-el baru memerlukan KK." },
    }
  end
  local ok, err = pcall(function()
    local r = call_tool("periksa_berkas", { jenis_izin = "pbg", pemohon = pemohon, dokumen_ada = { "ktp" } })
    assert_eq(r.sumber_persyaratan, "dokumen")
    assert_eq(#r.kutipan, 2)
    assert_eq(r.kurang[1].dasar, "[1] Standar Pelayanan PBG §3")
    assert_eq(r.kurang[#r.kurang].dasar, "[2] Perwali 12/2024 Pasal 5")
    assert_match(r.catatan, "dipublikasikan DPMPTSP")
  end)
  plugin.cari = cari_asli
  if not ok then error(err, 0) end
end)

test("tanpa alamat surat ditujukan 'di tempat'", function()
  local r = call_tool("periksa_berkas", { jenis_izin = "sertifikat-standar", pemohon = { nama = "Budi" }, dokumen_ada = {} })
  assert_eq(#r.kurang, 6)
  assert_match(r.surat, "Yth%. Budi\ndi tempat")
end)
