-- Jalankan: samarinda plugin test Plugins/umum.naskah-dinas

local SURAT = {
  jenis = "surat_dinas", klasifikasi = "biasa", sifat = "segera",
  perangkat_daerah = "Sekretariat Daerah", alamat_kantor = "Jl. Kesuma Bangsa No. 1, Samarinda",
  nomor = "000.1.2/123/Umum", tanggal = "2025-03-12", lampiran = "1 (satu) berkas",
  hal = "Undangan Rapat Koordinasi", tujuan = "Kepala Dinas Komunikasi dan Informatika Kota Samarinda",
  isi = { "Dalam rangka persiapan peluncuran Samarinda.ai, kami mengundang Saudara pada rapat koordinasi." },
  penandatangan = { jabatan = "Kepala Bagian Umum", nama = "Siti Rahmawati, S.Sos.", pangkat = "Pembina (IV/a)", nip = "197805122005012003" },
  tembusan = { "Wali Kota Samarinda (sebagai laporan)", "Sekretaris Daerah Kota Samarinda" },
}

-- Salinan SURAT dengan beberapa isian diganti; `tanpa`: isian yang dihapus.
local function salin(t, ubah, tanpa)
  local s = {}
  for k, v in pairs(t) do s[k] = v end
  for k, v in pairs(ubah or {}) do s[k] = v end
  for _, k in ipairs(tanpa or {}) do s[k] = nil end
  return s
end

test("surat dinas memuat semua bagian tata naskah, berurutan", function()
  local r = call_tool("buat_naskah", SURAT)
  local t = r.teks
  local urutan = { "PEMERINTAH KOTA SAMARINDA", "SEKRETARIAT DAERAH", "Jl%. Kesuma Bangsa", "Samarinda, 12 Maret 2025",
    "Nomor    : 000%.1%.2/123/Umum", "Sifat    : Segera", "Lampiran : 1 %(satu%) berkas", "Hal      : Undangan Rapat",
    "Yth%. Kepala Dinas Komunikasi", "\ndi\n", "Dalam rangka", "Demikian disampaikan", "Kepala Bagian Umum,",
    "Siti Rahmawati", "Pembina %(IV/a%)", "NIP%. 197805122005012003", "Tembusan:", "1%. Wali Kota", "2%. Sekretaris Daerah" }
  local posisi = 0
  for _, pola in ipairs(urutan) do
    local awal = t:find(pola, posisi + 1)
    assert_true(awal, "tidak ada atau salah urutan: " .. pola)
    posisi = awal
  end
  assert_eq(r.penanda_klasifikasi, "")
  assert_eq(r.bagian.sifat, "Segera")
end)

test("naskah TERBATAS diberi penanda di atas dan di bawah", function()
  local r = call_tool("buat_naskah", salin(SURAT, { klasifikasi = "terbatas", simpan = false }))
  assert_eq(r.penanda_klasifikasi, "TERBATAS")
  assert_match(r.teks, "^TERBATAS\n")
  assert_match(r.teks, "\nTERBATAS$")
  assert_false(r.tersimpan)
  assert_eq(r.id, nil)
end)

test("nota dinas: kepala naskah dengan Yth., Dari, Tembusan, Tanggal", function()
  local r = call_tool("buat_naskah", salin(SURAT, { jenis = "nota_dinas", tembusan = { "Asisten Administrasi Umum" } }, { "nomor" }))
  assert_match(r.teks, "NOTA DINAS")
  assert_match(r.teks, "Yth%.     : Kepala Dinas")
  assert_match(r.teks, "Dari     : Kepala Bagian Umum")
  assert_match(r.teks, "Tembusan : Asisten Administrasi Umum")
  assert_match(r.teks, "Tanggal  : 12 Maret 2025")
  assert_match(r.teks, "Nomor    : …/…/…")
  assert_false(r.teks:find("Tembusan:\n", 1, true), "tembusan tidak diulang di kaki")
  assert_match(r.id, "^ND%-%d+%-%d%d%d%d$")
end)

test("draf tersimpan dapat didaftar dan diambil kembali", function()
  local r = call_tool("buat_naskah", SURAT)
  assert_true(r.tersimpan)
  assert_match(r.id, "^SD%-%d%d%d%d%d%d%d%d%-%d%d%d%d$")
  local daftar = call_tool("naskah_tersimpan", {})
  assert_true(daftar.jumlah >= 1)
  local ada = false
  for _, n in ipairs(daftar.daftar) do if n.id == r.id then ada = true; assert_eq(n.hal, SURAT.hal) end end
  assert_true(ada, "draf ada di daftar")
  local satu = call_tool("naskah_tersimpan", { id = r.id })
  assert_eq(satu.naskah.teks, r.teks)
  assert_eq(satu.naskah.pembuat.department, "umum")
end)

test("draf perangkat daerah lain tidak terlihat", function()
  samarinda.kv.set("naskah/SD-20250101-9999", { id = "SD-20250101-9999", hal = "rahasia dinas lain", dibuat = "2025-01-01T00:00:00Z",
    pembuat = { id = "key:lain", department = "bapenda" } })
  assert_error(function() call_tool("naskah_tersimpan", { id = "SD-20250101-9999" }) end, "tidak ditemukan")
  for _, n in ipairs(call_tool("naskah_tersimpan", {}).daftar) do assert_true(n.id ~= "SD-20250101-9999") end
  samarinda.kv.delete("naskah/SD-20250101-9999")
end)

test("tanggal yang tidak ada ditolak dengan pesan jelas", function()
  assert_error(function() call_tool("buat_naskah", salin(SURAT, { tanggal = "2025-13-01" })) end, "tidak ada")
end)

test("tanpa tanggal: hari ini", function()
  local r = call_tool("buat_naskah", salin(SURAT, { simpan = false }, { "tanggal" }))
  assert_match(r.bagian.tempat_tanggal, "^Samarinda, %d+ %a+ %d%d%d%d$")
  assert_false(r.bagian.tempat_tanggal:find("12 Maret 2025", 1, true))
end)
