-- Jalankan: samarinda plugin test Plugins/diskominfo.lapor
-- Di `plugin test` model dan penyamaran platform tidak tersedia; uji jalur
-- model mengganti plugin.tanya_model / plugin.samarkan_platform sementara.

local asli = { tanya_model = plugin.tanya_model, samarkan_platform = plugin.samarkan_platform }
local function dengan(ganti, fn)
  for k, v in pairs(ganti) do plugin[k] = v end
  local ok, err = pcall(fn)
  for k in pairs(ganti) do plugin[k] = asli[k] end
  if not ok then error(err, 0) end
end

local JALAN = "Jalan di depan rumah saya di Sempaja berlubang besar dan sudah dua kali ada kecelakaan motor. "
  .. "Mohon segera diperbaiki. Hubungi saya di 0812-3456-7890 atau budi.santoso@mail.com, NIK 6472011203900001."

test("tanpa model dan layanan penyamaran: ekstraktif, data pribadi tetap disamarkan", function()
  local r = call_tool("triase", { isi = JALAN })
  assert_eq(r.metode_ringkasan, "ekstraktif")
  assert_match(r.catatan_ringkasan, "tidak dikirim ke model")
  assert_eq(r.ringkasan, "Jalan di depan rumah saya di Sempaja berlubang besar dan sudah dua kali ada kecelakaan motor. Mohon segera diperbaiki.")
  assert_false(r.isi_tersamar:find("0812", 1, true), "telepon tersamar")
  assert_false(r.isi_tersamar:find("6472011203900001", 1, true), "NIK tersamar")
  assert_false(r.isi_tersamar:find("budi.santoso", 1, true), "surel tersamar")
  assert_eq(r.penyamaran.jumlah, { telepon = 1, email = 1, nik = 1 })
  assert_eq(r.penyamaran.metode, "aturan plugin")
end)

test("jalan berlubang dengan kecelakaan: Dinas PUPR, urgensi tinggi", function()
  local r = call_tool("triase", { isi = JALAN })
  assert_eq(r.dinas.id, "dinas-pupr")
  assert_match(r.alasan_dinas, "'berlubang'")
  assert_eq(r.urgensi, "tinggi")
  assert_match(r.alasan_urgensi, "'kecelakaan'")
  assert_eq(r.kategori, "pengaduan")
end)

test("pungli di sekolah: Inspektorat didahulukan, Disdik sebagai dinas lain", function()
  local r = call_tool("triase", { isi = "Ada pungli saat pendaftaran ulang di sekolah anak saya, diminta uang seragam tanpa kuitansi." })
  assert_eq(r.dinas.id, "inspektorat")
  assert_eq(r.dinas_lain, { "disdik" })
  assert_eq(r.urgensi, "sedang")
end)

test("sampah menumpuk: Dinas Lingkungan Hidup walau menyebut murid", function()
  local r = call_tool("triase", { isi = "Sampah menumpuk di TPS depan sekolah sudah seminggu, baunya mengganggu murid." })
  assert_eq(r.dinas.id, "dlh")
  assert_match(r.alasan_dinas, "'sampah', 'tps'")
  assert_eq(r.dinas_lain, { "disdik" })
end)

test("tanpa kata kunci: disposisi manual, urgensi rendah", function()
  local r = call_tool("triase", { isi = "Saya ingin menyampaikan terima kasih atas pelayanan yang ramah kemarin." })
  assert_eq(r.dinas.id, "diskominfo")
  assert_match(r.alasan_dinas, "disposisi manual")
  assert_eq(r.urgensi, "rendah")
end)

test("kategori aspirasi dan permintaan informasi", function()
  assert_eq(call_tool("triase", { isi = "Saran saya sebaiknya dibangun taman bermain di Loa Bakung." }).kategori, "aspirasi")
  assert_eq(call_tool("triase", { isi = "Bagaimana cara mengurus akta kelahiran anak yang lahir di luar kota?" }).kategori, "permintaan_informasi")
end)

test("dengan model generatif: ringkasan model, hanya teks tersamar yang dikirim", function()
  local terkirim
  dengan({
    samarkan_platform = function(t) return { text = t:gsub("6472011203900001", "[NIK_1]"), counts = { nik = 1 } } end,
    tanya_model = function(prompt, opsi)
      terkirim = prompt
      assert_match(opsi.system, "SP4N%-LAPOR")
      return { text = "Warga melaporkan jalan berlubang di Sempaja yang menyebabkan kecelakaan.", model = "lokal-kecil", provider = "lokal" }
    end,
  }, function()
    local r = call_tool("triase", { isi = JALAN })
    assert_eq(r.metode_ringkasan, "model")
    assert_eq(r.ringkasan, "Warga melaporkan jalan berlubang di Sempaja yang menyebabkan kecelakaan.")
    assert_eq(r.penyamaran.metode, "layanan platform + aturan plugin")
    assert_eq(r.penyamaran.jumlah.nik, 1)
    assert_false(terkirim:find("0812", 1, true), "telepon tidak sampai ke model")
    assert_false(terkirim:find("6472011203900001", 1, true), "NIK tidak sampai ke model")
  end)
end)

test("penyedia offline: ringkasan ekstraktif dan dikatakan", function()
  dengan({
    samarkan_platform = function(t) return { text = t, counts = {} } end,
    tanya_model = function() return { text = "(jawaban ekstraktif offline)", model = "samarinda-default", provider = "offline" } end,
  }, function()
    local r = call_tool("triase", { isi = JALAN })
    assert_eq(r.metode_ringkasan, "ekstraktif")
    assert_match(r.catatan_ringkasan, "penyedia offline")
  end)
end)

test("model gagal: ringkasan ekstraktif dengan sebabnya", function()
  dengan({
    samarkan_platform = function(t) return { text = t, counts = {} } end,
    tanya_model = function() return nil, "provider lokal: connection refused" end,
  }, function()
    local r = call_tool("triase", { isi = JALAN })
    assert_eq(r.metode_ringkasan, "ekstraktif")
    assert_match(r.catatan_ringkasan, "connection refused")
  end)
end)

test("aturan penyamaran plugin: rekening dan nomor pendek", function()
  local t, j = plugin.samarkan_lokal("Transfer ke rekening 1234567890123 BRI, RT 05 RW 03, tahun 2024, +62 812 3456 7890")
  assert_eq(t, "Transfer ke rekening [NOMOR] BRI, RT 05 RW 03, tahun 2024, [TELEPON]")
  assert_eq(j, { nomor = 1, telepon = 1 })
end)

test("jumlah uang bukan data pribadi, NPWP disamarkan", function()
  local t, j = plugin.samarkan_lokal("Diminta Rp1.500.000.000 oleh oknum. NPWP 01.234.567.8-901.000")
  assert_eq(t, "Diminta Rp1.500.000.000 oleh oknum. NPWP [NPWP]")
  assert_eq(j, { npwp = 1 })
end)

test("ringkasan ekstraktif tidak memotong kalimat di singkatan", function()
  local r = call_tool("triase", { isi = "Lampu jalan di Jl. Pramuka Gg. 3 mati sejak Senin. Mohon diperbaiki. Terima kasih." })
  assert_eq(r.ringkasan, "Lampu jalan di Jl. Pramuka Gg. 3 mati sejak Senin. Mohon diperbaiki.")
end)

test("lokasi ikut disamarkan", function()
  local r = call_tool("triase", { isi = JALAN, lokasi = "Jl. Pramuka, kontak 081234567890" })
  assert_eq(r.lokasi, "Jl. Pramuka, kontak [TELEPON]")
end)
