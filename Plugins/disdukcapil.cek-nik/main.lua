-- disdukcapil.cek-nik — memeriksa STRUKTUR Nomor Induk Kependudukan (NIK).
--
-- Susunan NIK (UU 24/2013, Perpres 96/2018):
--   PP KK CC DDMMYY SSSS
--   PP    kode provinsi          (kode wilayah Kemendagri, mis. 64 Kalimantan Timur)
--   KK    kode kabupaten/kota    (01–69 kabupaten, 71–99 kota; Samarinda = 6472)
--   CC    kode kecamatan         (bukan 00)
--   DDMMYY tanggal lahir; perempuan: tanggal + 40 (lahir tgl 5 → 45)
--   SSSS  nomor urut             (bukan 0000)
--
-- Plugin ini TIDAK mencari data penduduk dan TIDAK mencatat NIK ke log:
-- log hanya berisi "valid" atau "tidak valid".

local M = {}

-- Kode provinsi menurut kode wilayah Kemendagri (dipakai Dukcapil untuk NIK).
-- Catatan: kode BPS berbeda untuk Papua (BPS: 94 Papua, 91 Papua Barat).
local PROVINSI = {
  ["11"] = "Aceh", ["12"] = "Sumatera Utara", ["13"] = "Sumatera Barat", ["14"] = "Riau",
  ["15"] = "Jambi", ["16"] = "Sumatera Selatan", ["17"] = "Bengkulu", ["18"] = "Lampung",
  ["19"] = "Kepulauan Bangka Belitung", ["21"] = "Kepulauan Riau",
  ["31"] = "DKI Jakarta", ["32"] = "Jawa Barat", ["33"] = "Jawa Tengah",
  ["34"] = "Daerah Istimewa Yogyakarta", ["35"] = "Jawa Timur", ["36"] = "Banten",
  ["51"] = "Bali", ["52"] = "Nusa Tenggara Barat", ["53"] = "Nusa Tenggara Timur",
  ["61"] = "Kalimantan Barat", ["62"] = "Kalimantan Tengah", ["63"] = "Kalimantan Selatan",
  ["64"] = "Kalimantan Timur", ["65"] = "Kalimantan Utara",
  ["71"] = "Sulawesi Utara", ["72"] = "Sulawesi Tengah", ["73"] = "Sulawesi Selatan",
  ["74"] = "Sulawesi Tenggara", ["75"] = "Gorontalo", ["76"] = "Sulawesi Barat",
  ["81"] = "Maluku", ["82"] = "Maluku Utara",
  ["91"] = "Papua", ["92"] = "Papua Barat", ["93"] = "Papua Selatan",
  ["94"] = "Papua Tengah", ["95"] = "Papua Pegunungan", ["96"] = "Papua Barat Daya",
}

-- Nama kabupaten/kota untuk Kalimantan Timur (wilayah kerja kita). NIK tidak
-- berubah seumur hidup, jadi kode lama sebelum pemekaran Kalimantan Utara
-- (2012) tetap sah.
local KABKOTA = {
  ["6401"] = "Kabupaten Paser", ["6402"] = "Kabupaten Kutai Barat",
  ["6403"] = "Kabupaten Kutai Kartanegara", ["6404"] = "Kabupaten Kutai Timur",
  ["6405"] = "Kabupaten Berau", ["6409"] = "Kabupaten Penajam Paser Utara",
  ["6411"] = "Kabupaten Mahakam Ulu",
  ["6471"] = "Kota Balikpapan", ["6472"] = "Kota Samarinda", ["6474"] = "Kota Bontang",
  ["6406"] = "Kabupaten Malinau (kode lama, kini Kalimantan Utara)",
  ["6407"] = "Kabupaten Bulungan (kode lama, kini Kalimantan Utara)",
  ["6408"] = "Kabupaten Nunukan (kode lama, kini Kalimantan Utara)",
  ["6473"] = "Kota Tarakan (kode lama, kini Kalimantan Utara)",
}

local function kabisat(tahun)
  return (tahun % 4 == 0 and tahun % 100 ~= 0) or tahun % 400 == 0
end

local function hari_dalam_bulan(bulan, tahun)
  local hari = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
  if bulan == 2 and kabisat(tahun) then return 29 end
  return hari[bulan]
end

-- NIK hanya memuat dua digit tahun: pilih abad yang tidak membuat tanggal
-- lahir berada di masa depan.
local function tahun_penuh(yy, tahun_ini)
  if 2000 + yy <= tahun_ini then return 2000 + yy end
  return 1900 + yy
end

--- Memeriksa satu NIK. `args.nik` sudah lolos skema (digit, boleh dipisah spasi/titik/tanda hubung).
function M.cek_nik(args)
  local nik = args.nik:gsub("[ .-]", "")
  local masalah = {}
  local rincian = {}

  if #nik ~= 16 or not nik:match("^%d+$") then
    masalah[#masalah + 1] = "NIK harus terdiri dari tepat 16 digit angka (ada " .. #nik .. " karakter)"
  else
    local pp, kk, cc = nik:sub(1, 2), nik:sub(3, 4), nik:sub(5, 6)
    local dd, mm, yy = tonumber(nik:sub(7, 8)), tonumber(nik:sub(9, 10)), tonumber(nik:sub(11, 12))
    local urut = nik:sub(13, 16)

    -- Wilayah
    rincian.kode_provinsi = pp
    if PROVINSI[pp] then
      rincian.provinsi = PROVINSI[pp]
    else
      masalah[#masalah + 1] = "kode provinsi " .. pp .. " tidak dikenal"
    end
    local nkk = tonumber(kk)
    rincian.kode_kabupaten_kota = pp .. kk
    if nkk == 0 or nkk == 70 then
      masalah[#masalah + 1] = "kode kabupaten/kota " .. kk .. " tidak dipakai (kabupaten 01–69, kota 71–99)"
    else
      rincian.jenis_wilayah = nkk < 70 and "kabupaten" or "kota"
      rincian.kabupaten_kota = KABKOTA[pp .. kk]
    end
    rincian.kode_kecamatan = pp .. kk .. cc
    if cc == "00" then masalah[#masalah + 1] = "kode kecamatan 00 tidak dipakai" end

    -- Tanggal lahir dan jenis kelamin: perempuan = tanggal + 40
    local hari, kelamin = dd, "laki-laki"
    if dd > 40 then hari, kelamin = dd - 40, "perempuan" end
    local tahun = tahun_penuh(yy, tonumber(os.date("%Y")))
    if mm < 1 or mm > 12 then
      masalah[#masalah + 1] = "bulan lahir " .. nik:sub(9, 10) .. " tidak ada"
    elseif hari < 1 or hari > hari_dalam_bulan(mm, tahun) then
      masalah[#masalah + 1] = "tanggal lahir " .. nik:sub(7, 8) .. " tidak mungkin untuk bulan " .. mm
        .. " (perempuan: tanggal ditambah 40, jadi 41–71)"
    else
      rincian.tanggal_lahir = string.format("%04d-%02d-%02d", tahun, mm, hari)
      rincian.jenis_kelamin = kelamin
    end

    rincian.nomor_urut = urut
    if urut == "0000" then masalah[#masalah + 1] = "nomor urut 0000 tidak dipakai" end

    -- Cocokkan dengan keterangan pemohon bila diberikan
    if args.jenis_kelamin and rincian.jenis_kelamin and args.jenis_kelamin ~= rincian.jenis_kelamin then
      masalah[#masalah + 1] = "NIK menunjukkan " .. rincian.jenis_kelamin .. ", sedangkan pemohon menyatakan " .. args.jenis_kelamin
    end
    if args.tanggal_lahir and rincian.tanggal_lahir then
      -- Bandingkan hari, bulan dan dua digit tahun saja: abad tidak tercantum di NIK.
      if args.tanggal_lahir:sub(3) ~= rincian.tanggal_lahir:sub(3) then
        masalah[#masalah + 1] = "tanggal lahir di NIK (" .. rincian.tanggal_lahir:sub(3)
          .. ", dua digit tahun) tidak sama dengan yang dinyatakan (" .. args.tanggal_lahir .. ")"
      end
    end
  end

  local valid = #masalah == 0
  -- Jangan pernah mencatat NIK itu sendiri.
  samarinda.log.info(valid and "cek_nik: valid" or "cek_nik: tidak valid")
  return {
    valid = valid,
    masalah = masalah,
    rincian = rincian,
    catatan = "Hanya struktur NIK yang diperiksa; keberadaan penduduk tidak dicari. "
      .. "Kepastian data hanya melalui verifikasi Disdukcapil.",
  }
end

return M
