-- Jalankan: samarinda plugin test Plugins/bapenda.pbb
-- Setiap angka di sini dapat dihitung ulang dengan tangan dari langkah-langkahnya.

-- Tiap uji mulai dari tarif bawaan.
local function tarif_bawaan() samarinda.kv.delete("tarif") end

test("rumah tinggal biasa: tarif 0,1%", function()
  tarif_bawaan()
  local r = call_tool("hitung_pbb", {
    luas_bumi = 200, njop_bumi_per_m2 = 1500000, luas_bangunan = 120, njop_bangunan_per_m2 = 2000000,
  })
  -- 200 × 1.500.000 = 300.000.000; 120 × 2.000.000 = 240.000.000; NJOP 540.000.000
  assert_eq(r.njop, 540000000)
  assert_eq(r.njop_kena_pajak, 530000000)
  assert_eq(r.dasar_pengenaan, 530000000)
  assert_eq(r.tarif_basis_poin, 10)
  assert_eq(r.pbb_terutang, 530000)
  assert_eq(r.pbb_terutang_teks, "Rp530.000")
  assert_eq(#r.langkah, 7)
  assert_match(r.langkah[7], "Rp530%.000")
  assert_eq(r.klasifikasi, "biasa")
  assert_match(r.dasar_hukum, "Peraturan Daerah Kota Samarinda")
end)

test("NJOP di atas Rp1 miliar memakai lapisan 0,2%", function()
  tarif_bawaan()
  local r = call_tool("hitung_pbb", { luas_bumi = 1000, njop_bumi_per_m2 = 2000000 })
  assert_eq(r.njop, 2000000000)
  assert_eq(r.tarif, "0,20%")
  assert_eq(r.pbb_terutang, (2000000000 - 10000000) * 20 // 10000)
end)

test("tepat Rp1 miliar masih lapisan pertama", function()
  tarif_bawaan()
  local r = call_tool("hitung_pbb", { luas_bumi = 1000, njop_bumi_per_m2 = 1000000 })
  assert_eq(r.tarif_basis_poin, 10)
end)

test("NJOP di bawah NJOPTKP: tidak terutang", function()
  tarif_bawaan()
  local r = call_tool("hitung_pbb", { luas_bumi = 50, njop_bumi_per_m2 = 100000 })
  assert_eq(r.njop_kena_pajak, 0)
  assert_eq(r.pbb_terutang, 0)
end)

test("tanpa NJOPTKP bila sudah dipakai objek lain", function()
  tarif_bawaan()
  local r = call_tool("hitung_pbb", { luas_bumi = 50, njop_bumi_per_m2 = 100000, dapat_njoptkp = false })
  assert_eq(r.njoptkp, 0)
  assert_eq(r.pbb_terutang, 5000)
end)

test("pembulatan ke rupiah terdekat", function()
  tarif_bawaan()
  -- dasar 1.005 × 0,1% = 1,005 → 1; dasar 1.500 → 1,5 → 2
  local r1 = call_tool("hitung_pbb", { luas_bumi = 1, njop_bumi_per_m2 = 10001005 })
  assert_eq(r1.pbb_terutang, 1)
  local r2 = call_tool("hitung_pbb", { luas_bumi = 1, njop_bumi_per_m2 = 10001500 })
  assert_eq(r2.pbb_terutang, 2)
end)

test("angka terbesar yang diizinkan skema tetap tepat", function()
  tarif_bawaan()
  local r = call_tool("hitung_pbb", { luas_bumi = 10000000, njop_bumi_per_m2 = 100000000 })
  assert_eq(r.njop, 1000000000000000)
  assert_eq(r.pbb_terutang, (1000000000000000 - 10000000) * 20 // 10000)
end)

test("tarif yang diatur Bapenda di kv dipakai", function()
  samarinda.kv.set("tarif", {
    njoptkp = 15000000, persen_dasar = 50, dasar_hukum = "Perda uji",
    lapisan = { { sampai = 500000000, tarif_basis_poin = 5 }, { tarif_basis_poin = 30 } },
  })
  local r = call_tool("hitung_pbb", { luas_bumi = 100, njop_bumi_per_m2 = 1000000 })
  -- NJOP 100.000.000 − 15.000.000 = 85.000.000; × 50% = 42.500.000; × 0,05% = 21.250
  assert_eq(r.dasar_pengenaan, 42500000)
  assert_eq(r.pbb_terutang, 21250)
  assert_match(r.dasar_hukum, "diatur Bapenda")
  local t = call_tool("tarif_berlaku", {})
  assert_eq(t.njoptkp_teks, "Rp15.000.000")
  assert_eq(t.uraian[2], "NJOP di atas Rp500.000.000: 0,30%")
  tarif_bawaan()
end)

test("tarif_berlaku menampilkan nilai bawaan", function()
  tarif_bawaan()
  local t = call_tool("tarif_berlaku", {})
  assert_eq(t.sumber, "nilai bawaan plugin")
  assert_eq(t.uraian[1], "NJOP Rp0 s.d. Rp1.000.000.000: 0,10%")
end)

test("staf biasa tidak boleh mengubah tarif", function()
  assert_error(function()
    call_tool("atur_tarif", { njoptkp = 10000000, dasar_hukum = "Perda uji coba", lapisan = { { tarif_basis_poin = 10 } } })
  end, "for the roles dept_admin")
end)
