-- bapenda.pbb — kalkulator PBB-P2.
--
-- Semua hitungan memakai bilangan bulat (rupiah dan basis poin), jadi hasilnya
-- selalu sama dan dapat diperiksa dengan kalkulator biasa. Urutannya mengikuti
-- UU 1/2022 tentang Hubungan Keuangan antara Pemerintah Pusat dan Pemerintahan
-- Daerah (Pasal 40–41) dan Perda Kota Samarinda tentang Pajak Daerah dan
-- Retribusi Daerah:
--   1. NJOP bumi      = luas bumi × NJOP bumi per m²
--   2. NJOP bangunan  = luas bangunan × NJOP bangunan per m²
--   3. NJOP           = NJOP bumi + NJOP bangunan
--   4. NJOP kena pajak = NJOP − NJOPTKP (tidak kurang dari 0)
--   5. dasar pengenaan = NJOP kena pajak × persentase dasar / 100
--   6. tarif          = tarif lapisan tempat NJOP (langkah 3) berada
--   7. PBB terutang   = dasar pengenaan × tarif, dibulatkan ke rupiah terdekat

local M = {}

-- {====== TARIF ======}
-- Nilai bawaan. Bapenda menyesuaikannya dengan Perda yang berlaku lewat tool
-- atur_tarif (tersimpan di kv, tanpa mengubah kode); nilai di sini dipakai
-- selama belum ada pengaturan.
local TARIF_BAWAAN = {
  njoptkp = 10000000,             -- Rp10.000.000 per wajib pajak (batas bawah UU 1/2022)
  persen_dasar = 100,             -- NJOP dipakai penuh sebagai dasar pengenaan
  lapisan = {                     -- tarif_basis_poin: 1 = 0,01%
    { sampai = 1000000000, tarif_basis_poin = 10 },  -- NJOP s.d. Rp1 miliar: 0,1%
    { tarif_basis_poin = 20 },                       -- NJOP di atas Rp1 miliar: 0,2%
  },
  dasar_hukum = "Tarif dan NJOPTKP mengikuti Peraturan Daerah Kota Samarinda tentang Pajak Daerah "
    .. "dan Retribusi Daerah sebagai pelaksanaan UU Nomor 1 Tahun 2022 (Pasal 40–41)",
}
-- {====== }

local KUNCI_TARIF = "tarif"

-- Rp1.234.567
local function rupiah(n)
  local s = tostring(n)
  local kelompok = s:reverse():gsub("(%d%d%d)", "%1."):reverse()
  return "Rp" .. kelompok:gsub("^%.", "")
end

-- 10 basis poin → "0,10%"
local function persen(bp)
  return string.format("%d,%02d%%", bp // 100, bp % 100)
end

-- Tarif yang dipakai: pengaturan Bapenda di kv, atau nilai bawaan.
local function tarif_aktif()
  local t = samarinda.kv.get(KUNCI_TARIF)
  if type(t) == "table" then return t, "diatur Bapenda" .. (t.diperbarui and (" pada " .. t.diperbarui) or "") end
  return TARIF_BAWAAN, "nilai bawaan plugin"
end

local function lapisan_untuk(tarif, njop)
  for _, l in ipairs(tarif.lapisan) do
    if l.sampai == nil or njop <= l.sampai then return l end
  end
  return tarif.lapisan[#tarif.lapisan]
end

local function uraian_lapisan(tarif)
  local teks, bawah = {}, 0
  for _, l in ipairs(tarif.lapisan) do
    if l.sampai then
      teks[#teks + 1] = string.format("NJOP %s s.d. %s: %s", rupiah(bawah), rupiah(l.sampai), persen(l.tarif_basis_poin))
      bawah = l.sampai + 1
    else
      teks[#teks + 1] = string.format("NJOP di atas %s: %s", rupiah(bawah - 1), persen(l.tarif_basis_poin))
    end
  end
  return teks
end

function M.hitung_pbb(args)
  local tarif, sumber = tarif_aktif()
  local luas_bangunan = args.luas_bangunan or 0
  local njop_bangunan_m2 = args.njop_bangunan_per_m2 or 0

  local njop_bumi = args.luas_bumi * args.njop_bumi_per_m2
  local njop_bangunan = luas_bangunan * njop_bangunan_m2
  local njop = njop_bumi + njop_bangunan
  local njoptkp = (args.dapat_njoptkp == false) and 0 or tarif.njoptkp
  local kena = math.max(njop - njoptkp, 0)
  local dasar = kena * tarif.persen_dasar // 100
  local lapis = lapisan_untuk(tarif, njop)
  local bp = lapis.tarif_basis_poin
  local pbb = (dasar * bp + 5000) // 10000      -- pembulatan setengah ke atas

  local langkah = {
    string.format("1. NJOP bumi = %d m² × %s = %s", args.luas_bumi, rupiah(args.njop_bumi_per_m2), rupiah(njop_bumi)),
    string.format("2. NJOP bangunan = %d m² × %s = %s", luas_bangunan, rupiah(njop_bangunan_m2), rupiah(njop_bangunan)),
    string.format("3. NJOP = %s + %s = %s", rupiah(njop_bumi), rupiah(njop_bangunan), rupiah(njop)),
    njoptkp > 0
      and string.format("4. NJOP kena pajak = %s − NJOPTKP %s = %s", rupiah(njop), rupiah(njoptkp), rupiah(kena))
      or string.format("4. NJOP kena pajak = %s (NJOPTKP sudah dipakai untuk objek lain)", rupiah(kena)),
    string.format("5. Dasar pengenaan = %s × %d%% = %s", rupiah(kena), tarif.persen_dasar, rupiah(dasar)),
    string.format("6. Tarif untuk NJOP %s = %s", rupiah(njop), persen(bp)),
    string.format("7. PBB-P2 terutang = %s × %s = %s", rupiah(dasar), persen(bp), rupiah(pbb)),
  }
  return {
    tahun = args.tahun,
    njop_bumi = njop_bumi,
    njop_bangunan = njop_bangunan,
    njop = njop,
    njoptkp = njoptkp,
    njop_kena_pajak = kena,
    persen_dasar = tarif.persen_dasar,
    dasar_pengenaan = dasar,
    tarif_basis_poin = bp,
    tarif = persen(bp),
    pbb_terutang = pbb,
    pbb_terutang_teks = rupiah(pbb),
    langkah = langkah,
    dasar_hukum = tarif.dasar_hukum .. " (tarif: " .. sumber .. ")",
    klasifikasi = "biasa",
    catatan = "Perhitungan simulasi; jumlah resmi tercantum di SPPT PBB-P2 yang diterbitkan Bapenda Kota Samarinda.",
  }
end

function M.tarif_berlaku()
  local tarif, sumber = tarif_aktif()
  return {
    njoptkp = tarif.njoptkp,
    njoptkp_teks = rupiah(tarif.njoptkp),
    persen_dasar = tarif.persen_dasar,
    lapisan = tarif.lapisan,
    uraian = uraian_lapisan(tarif),
    dasar_hukum = tarif.dasar_hukum,
    sumber = sumber,
  }
end

-- Siapa yang boleh mengubah tarif (dept_admin Bapenda, atau admin) diatur
-- manifest (allowed, roles) dan diperiksa platform; skema manifest sudah
-- memeriksa batas tiap angka, di sini diperiksa urutan lapisannya.
function M.atur_tarif(args)
  local caller = samarinda.caller
  local sebelumnya = 0
  for i, l in ipairs(args.lapisan) do
    local terakhir = i == #args.lapisan
    if terakhir and l.sampai ~= nil then
      error("lapisan terakhir tidak boleh memakai 'sampai': ia berlaku untuk semua NJOP di atas lapisan sebelumnya", 0)
    elseif not terakhir and l.sampai == nil then
      error("lapisan " .. i .. " perlu 'sampai' (batas atas NJOP); hanya lapisan terakhir yang tanpa batas", 0)
    elseif l.sampai and l.sampai <= sebelumnya then
      error("batas 'sampai' harus naik dari lapisan ke lapisan (lapisan " .. i .. ")", 0)
    end
    sebelumnya = l.sampai or sebelumnya
  end
  local tarif = {
    njoptkp = args.njoptkp,
    persen_dasar = args.persen_dasar or 100,
    lapisan = args.lapisan,
    dasar_hukum = args.dasar_hukum,
    diperbarui = os.date("!%Y-%m-%d"),
    oleh = caller.id,
  }
  samarinda.kv.set(KUNCI_TARIF, tarif)
  samarinda.log.info("tarif PBB-P2 diubah oleh " .. caller.id)
  return { tersimpan = true, uraian = uraian_lapisan(tarif), njoptkp_teks = rupiah(tarif.njoptkp) }
end

return M
