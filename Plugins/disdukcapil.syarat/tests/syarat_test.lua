-- Jalankan: samarinda plugin test Plugins/disdukcapil.syarat
-- Di `plugin test` layanan dokumen tidak tersedia, jadi uji jalur dokumen
-- mengganti plugin.cari dengan hasil rekaan, lalu mengembalikannya.

local cari_asli = plugin.cari
local function dengan_dokumen(hasil, fn)
  plugin.cari = function() return hasil end
  local ok, err = pcall(fn)
  plugin.cari = cari_asli
  if not ok then error(err, 0) end
end

test("tanpa layanan dokumen: tabel standar, dan itu dikatakan", function()
  local r = call_tool("cek_syarat", { layanan = "akta-kelahiran" })
  assert_eq(r.sumber, "tabel_bawaan")
  assert_eq(#r.kutipan, 0)
  assert_match(r.syarat[1], "keterangan kelahiran")
  assert_match(r.langkah[1], "60 hari")
  assert_match(r.catatan, "tabel persyaratan standar")
end)

test("setiap layanan punya syarat dan langkah", function()
  for _, l in ipairs({ "ktp-el", "kk", "akta-kelahiran", "akta-kematian", "pindah-datang" }) do
    local r = call_tool("cek_syarat", { layanan = l })
    assert_true(#r.syarat > 0, l)
    assert_true(#r.langkah > 0, l)
  end
end)

test("dari dokumen: butir daftar dengan nomor kutipan", function()
  dengan_dokumen({
    { title = "SOP Penerbitan KTP-el", citation = "SOP Penerbitan KTP-el §2 (bagian 3)", document_id = 7, chunk_id = 3,
      text = "Persyaratan KTP-el:\n1. Fotokopi KK\n2. Telah berusia 17 tahun\n- Surat pengantar RT tidak diperlukan" },
  }, function()
    local r = call_tool("cek_syarat", { layanan = "ktp-el", pertanyaan = "pemula" })
    assert_eq(r.sumber, "dokumen")
    assert_eq(r.syarat, { "Fotokopi KK [1]", "Telah berusia 17 tahun [1]", "Surat pengantar RT tidak diperlukan [1]" })
    assert_eq(r.kutipan[1].sumber, "SOP Penerbitan KTP-el §2 (bagian 3)")
    assert_match(r.jawaban, "%[1%] SOP Penerbitan KTP%-el")
  end)
end)

test("dokumen yang tidak membahas layanannya diabaikan", function()
  dengan_dokumen({
    { title = "Jam layanan", citation = "Jam layanan", text = "Kantor buka pukul 08.00 sampai 15.00." },
    -- menyebut "kematian" di teks saja: ini standar KK, bukan akta kematian
    { title = "Standar Pelayanan KK", section = "Persyaratan Perubahan KK", citation = "KK",
      text = "- Pengurangan anggota karena kematian: KK lama dan akta kematian." },
  }, function()
    local r = call_tool("cek_syarat", { layanan = "akta-kematian" })
    assert_eq(r.sumber, "tabel_bawaan")
  end)
end)

test("teks tanpa butir daftar: kalimat pertama dikutip", function()
  dengan_dokumen({
    { title = "Akta kematian", citation = "Perwali adminduk Pasal 9",
      text = "Pelaporan kematian dilakukan oleh keluarga paling lambat 30 hari. Kalimat kedua tidak dikutip." },
  }, function()
    local r = call_tool("cek_syarat", { layanan = "akta-kematian" })
    assert_eq(r.syarat, { "Pelaporan kematian dilakukan oleh keluarga paling lambat 30 hari. [1]" })
  end)
end)

test("bagian dokumen dipilah: persyaratan, prosedur, biaya", function()
  dengan_dokumen({
    { title = "Standar Pelayanan Kartu Keluarga (KK)", section = "", citation = "KK, bagian #1",
      text = "Kartu Keluarga adalah kartu identitas keluarga." },
    { title = "Standar Pelayanan Kartu Keluarga (KK)", section = "Persyaratan Perubahan KK", citation = "KK — Persyaratan Perubahan KK",
      text = "Persyaratan Perubahan KK\n- KK lama\n- Dokumen pendukung perubahan" },
    { title = "Standar Pelayanan Kartu Keluarga (KK)", section = "Prosedur", citation = "KK — Prosedur",
      text = "Prosedur\n1. Ajukan di loket\n2. Petugas memverifikasi" },
    { title = "Standar Pelayanan Kartu Keluarga (KK)", section = "Biaya", citation = "KK — Biaya",
      text = "Biaya\nPenerbitan KK tidak dipungut biaya. Tanpa calo." },
  }, function()
    local r = call_tool("cek_syarat", { layanan = "kk" })
    -- diurutkan: persyaratan [1], prosedur [2], biaya [3], pengantar [4]
    assert_eq(r.syarat, { "Perubahan KK: KK lama [1]", "Perubahan KK: Dokumen pendukung perubahan [1]" })
    assert_eq(r.langkah, { "Ajukan di loket [2]", "Petugas memverifikasi [2]" })
    assert_match(r.jawaban, "Biaya: Penerbitan KK tidak dipungut biaya%. %[3%]")
    assert_eq(r.kutipan[4].sumber, "KK, bagian #1")
    assert_match(r.catatan, "Persyaratan dan langkah diambil dari dokumen")
    assert_eq(#r.kutipan, 4)
  end)
end)

test("cuplikan panjang dipotong tanpa merusak UTF-8", function()
  local panjang = string.rep("Kartu Keluarga baru — ", 60)
  dengan_dokumen({ { title = "KK", citation = "KK", text = panjang } }, function()
    local r = call_tool("cek_syarat", { layanan = "kk" })
    assert_true(utf8.len(r.kutipan[1].cuplikan) ~= nil, "UTF-8 tetap sah")
    assert_true(utf8.len(r.kutipan[1].cuplikan) <= 402)
  end)
end)

test("pencarian yang gagal tidak menggagalkan jawaban", function()
  plugin.cari = function() return nil, "layanan dokumen sedang dimuat ulang" end
  local r = call_tool("cek_syarat", { layanan = "pindah-datang" })
  plugin.cari = cari_asli
  assert_eq(r.sumber, "tabel_bawaan")
  assert_match(r.catatan, "sedang dimuat ulang")
end)
