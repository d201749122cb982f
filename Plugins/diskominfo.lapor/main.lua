-- diskominfo.lapor — triase pengaduan warga SP4N-LAPOR!
--
--   1. Samarkan data pribadi: layanan platform (samarinda.pii.redact), lalu
--      aturan plugin sendiri sebagai jaring pengaman (NIK/KK, telepon, surel,
--      nomor rekening). Hanya teks tersamar yang dikirim ke model.
--   2. Ringkas: model generatif bila ada; bila tidak (atau yang menjawab adalah
--      penyedia `offline`), ambil dua kalimat pertama dan katakan demikian.
--   3. Usulkan perangkat daerah, urgensi dan kategori dengan aturan kata kunci
--      di bawah; alasannya menyebut kata kunci yang cocok.

local M = {}

-- {====== ATURAN ======}
-- Kata kunci adalah pola Lua (tanda hubung ditulis %-), dicocokkan per kata.
-- `didahulukan`: masalah integritas (pungli, suap) selalu diusulkan ke
-- Inspektorat, dinas tempat kejadiannya masuk `dinas_lain`.
local DINAS = {
  { id = "dinas-pupr", nama = "Dinas Pekerjaan Umum dan Penataan Ruang", kata = {
      "jalan rusak", "jalan berlubang", "berlubang", "aspal", "drainase", "parit", "gorong%-gorong", "banjir",
      "genangan", "jembatan", "trotoar", "saluran air", "longsor", "tata ruang", "bangunan liar", "lampu jalan" } },
  { id = "dinkes", nama = "Dinas Kesehatan", kata = {
      "puskesmas", "rumah sakit", "dokter", "bidan", "obat", "vaksin", "imunisasi", "demam berdarah", "dbd",
      "stunting", "gizi buruk", "keracunan", "wabah", "posyandu", "ambulans" } },
  { id = "disdik", nama = "Dinas Pendidikan dan Kebudayaan", kata = {
      "sekolah", "guru", "siswa", "murid", "ppdb", "zonasi", "ijazah", "seragam", "beasiswa", "sd", "smp" } },
  { id = "disdukcapil", nama = "Dinas Kependudukan dan Pencatatan Sipil", kata = {
      "ktp", "e%-ktp", "ktp%-el", "kartu keluarga", "akta", "kependudukan", "adminduk", "dukcapil" } },
  { id = "dpmptsp", nama = "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", kata = {
      "izin", "perizinan", "pbg", "imb", "nib", "oss", "izin usaha" } },
  { id = "bapenda", nama = "Badan Pendapatan Daerah", kata = {
      "pajak", "pbb", "bphtb", "sppt", "reklame" } },
  { id = "diskominfo", nama = "Dinas Komunikasi dan Informatika", kata = {
      "internet", "wifi", "website", "situs", "aplikasi", "sinyal", "hoaks" } },
  { id = "inspektorat", nama = "Inspektorat Daerah", didahulukan = true, kata = {
      "pungli", "pungutan liar", "suap", "korupsi", "gratifikasi", "calo", "pemerasan" } },
  { id = "bpkad", nama = "Badan Pengelolaan Keuangan dan Aset Daerah", kata = {
      "aset daerah", "aset pemkot", "tanah pemkot", "pencairan dana", "honor" } },
  -- Perangkat daerah yang belum memakai platform tetap diusulkan: disposisi
  -- SP4N-LAPOR! ditujukan ke perangkat daerahnya, bukan ke akun platform.
  { id = "dlh", nama = "Dinas Lingkungan Hidup", kata = {
      "sampah", "tps", "limbah", "pencemaran", "polusi", "bau busuk", "kebersihan" } },
  { id = "dishub", nama = "Dinas Perhubungan", kata = {
      "parkir", "juru parkir", "lampu lalu lintas", "lampu merah", "angkot", "angkutan umum", "terminal" } },
}
-- Tidak cocok dengan aturan mana pun: admin LAPOR! mendisposisi sendiri.
local DINAS_BAWAAN = { id = "diskominfo", nama = "Dinas Komunikasi dan Informatika (admin SP4N-LAPOR!, disposisi manual)" }

local URGENSI = {
  { tingkat = "tinggi", sebab = "menyangkut keselamatan atau kesehatan orang", kata = {
      "korban", "meninggal", "tewas", "luka", "kebakaran", "terbakar", "longsor", "roboh", "ambruk", "darurat",
      "kecelakaan", "keracunan", "wabah", "kekerasan", "pelecehan", "anak hilang", "tersengat", "membahayakan", "bahaya" } },
  { tingkat = "sedang", sebab = "layanan atau fasilitas umum terganggu", kata = {
      "rusak", "berlubang", "mati", "tidak berfungsi", "terganggu", "macet", "bau", "menumpuk", "genangan", "banjir",
      "pungli", "lambat", "berbulan%-bulan", "berminggu%-minggu", "berhari%-hari", "sudah lama" } },
}

local ASPIRASI = { "usul", "usulan", "saran", "sebaiknya", "alangkah baiknya", "mohon dibangun", "harap dibangun", "aspirasi" }
local INFORMASI = { "bagaimana cara", "apakah", "kapan", "berapa", "di mana", "dimana", "informasi", "syarat" }
-- {====== }

local function tampil(kata) return (kata:gsub("%%", "")) end

-- Kata kunci yang muncul dalam teks (sudah huruf kecil), sebagai teks
-- tampilan, dan posisi kemunculan paling awal.
local function cocok(kecil, daftar)
  local hasil, awal = {}, math.huge
  for _, k in ipairs(daftar) do
    local pos = kecil:find("%f[%w]" .. k .. "%f[%W]")
    if pos then
      hasil[#hasil + 1] = tampil(k)
      awal = math.min(awal, pos)
    end
  end
  return hasil, awal
end

local function kutip(daftar)
  local q = {}
  for i, k in ipairs(daftar) do
    if i > 4 then break end
    q[#q + 1] = "'" .. k .. "'"
  end
  return table.concat(q, ", ")
end

-- Memotong teks di batas kata tanpa merusak karakter UTF-8.
local function potong(teks, batas)
  teks = teks:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  if utf8.len(teks) == nil or utf8.len(teks) <= batas then return teks end
  local p = teks:sub(1, utf8.offset(teks, batas + 1) - 1)
  return (p:match("^(.*%S)%s") or p) .. " …"
end

-- {====== Penyamaran ======}

--- Aturan penyamaran plugin sendiri: deret angka (boleh dipisah spasi, titik
--- atau tanda hubung) dan alamat surel. Mengembalikan teks dan jumlah per jenis.
function M.samarkan_lokal(teks)
  local jumlah = {}
  local function tambah(jenis) jumlah[jenis] = (jumlah[jenis] or 0) + 1 end
  teks = teks:gsub("[%w%._%%+-]+@[%w-]+%.[%w%.-]+", function()
    tambah("email"); return "[EMAIL]"
  end)
  teks = teks:gsub("%+?%d[%d%.%- ]*%d", function(deret)
    -- Jumlah uang bergaya 1.500.000.000 bukan data pribadi.
    if deret:gsub("%.%d%d%d", ""):match("^%d%d?%d?$") then return deret end
    local angka = deret:gsub("%D", "")
    if #angka == 16 then tambah("nik"); return "[NIK]" end
    if (#angka >= 10 and #angka <= 13) and (angka:sub(1, 2) == "08" or angka:sub(1, 3) == "628") then
      tambah("telepon"); return "[TELEPON]"
    end
    if #angka == 15 and deret:find("%.") then tambah("npwp"); return "[NPWP]" end
    if #angka >= 10 then tambah("nomor"); return "[NOMOR]" end
    return deret
  end)
  return teks, jumlah
end

-- Layanan penyamaran platform; diganti dalam uji.
function M.samarkan_platform(teks)
  if not (samarinda.pii and samarinda.pii.redact) then return nil, "pii.redact tidak diberikan" end
  return samarinda.pii.redact(teks)
end

local function samarkan(teks)
  local jumlah, metode = {}, "aturan plugin"
  local r, galat = M.samarkan_platform(teks)
  if r and r.text then
    teks, metode = r.text, "layanan platform + aturan plugin"
    for k, v in pairs(r.counts or {}) do jumlah[k] = v end
  end
  local lokal, jl = M.samarkan_lokal(teks)
  for k, v in pairs(jl) do jumlah[k] = (jumlah[k] or 0) + v end
  return lokal, jumlah, metode, (r and r.text) and nil or galat
end

-- {====== Ringkasan ======}

-- Model generatif; diganti dalam uji.
function M.tanya_model(prompt, opsi)
  if not (samarinda.model and samarinda.model.generate) then return nil, "model.generate tidak diberikan" end
  return samarinda.model.generate(prompt, opsi)
end

local SISTEM = "Anda petugas admin SP4N-LAPOR! Pemerintah Kota Samarinda. Ringkas pengaduan warga berikut "
  .. "dalam satu atau dua kalimat bahasa Indonesia yang netral. Jangan menambah fakta dan jangan menulis data pribadi."

-- Titik setelah singkatan ini bukan akhir kalimat ("Jl. Pramuka", "RT. 05").
local SINGKATAN = {}
for _, s in ipairs({ "jl", "jln", "gg", "no", "rt", "rw", "kel", "kec", "kab", "prov", "dr", "drg", "ir", "h", "hj",
                     "bpk", "sdr", "yth", "tgl", "dll", "dsb", "st", "ds" }) do SINGKATAN[s] = true end

local function kalimat_awal(teks, banyak)
  local kalimat, awal, cari = {}, 1, 1
  teks = teks .. " "
  while #kalimat < banyak do
    local s, e = teks:find("[.!?]+%s+", cari)
    if not s then break end
    local kata = teks:sub(awal, s - 1):match("(%w+)$")
    if teks:sub(s, s) == "." and kata and SINGKATAN[kata:lower()] then
      cari = e + 1
    else
      kalimat[#kalimat + 1] = teks:sub(awal, s):gsub("^%s+", "")
      awal, cari = e + 1, e + 1
    end
  end
  if #kalimat == 0 then kalimat[1] = teks end
  return table.concat(kalimat, " ")
end

local function ringkas_ekstraktif(teks)
  return potong(kalimat_awal(teks, 2), 300)
end

local function ringkas(teks, boleh_ke_model, sebab_tidak)
  if boleh_ke_model then
    local r, galat = M.tanya_model(teks, { system = SISTEM, max_tokens = 160, temperature = 0.2 })
    if r and r.text and r.text:find("%S") and r.provider ~= "offline" then
      local hasil = M.samarkan_lokal(potong(r.text, 600))
      return hasil, "model", "Ringkasan oleh model " .. tostring(r.model) .. " (" .. tostring(r.provider) .. ")."
    end
    sebab_tidak = r and "yang tersedia hanya penyedia offline (tanpa model generatif)" or ("model tidak tersedia: " .. tostring(galat))
  end
  return ringkas_ekstraktif(teks), "ekstraktif",
    "Ringkasan ekstraktif (dua kalimat pertama) karena " .. sebab_tidak .. "."
end

-- {====== Triase ======}

-- Skor: banyaknya kata kunci yang cocok. Bila sama, yang disebut lebih dulu
-- menang (pokok aduan biasanya ada di awal).
local function usul_dinas(kecil)
  local terbaik, skor_terbaik, posisi_terbaik, kata_terbaik, lain = nil, 0, math.huge, nil, {}
  for _, d in ipairs(DINAS) do
    local kata, posisi = cocok(kecil, d.kata)
    local skor = #kata
    if skor > 0 and d.didahulukan then skor = skor + 1000 end
    if skor > 0 then
      if skor > skor_terbaik or (skor == skor_terbaik and posisi < posisi_terbaik) then
        posisi_terbaik = posisi
        if terbaik then lain[#lain + 1] = terbaik.id end
        terbaik, skor_terbaik, kata_terbaik = d, skor, kata
      else
        lain[#lain + 1] = d.id
      end
    end
  end
  if not terbaik then
    return DINAS_BAWAAN, "Tidak ada kata kunci yang cocok dengan perangkat daerah mana pun; perlu disposisi manual oleh admin SP4N-LAPOR!.", {}
  end
  return { id = terbaik.id, nama = terbaik.nama },
    "Menyebut " .. kutip(kata_terbaik) .. ", yang termasuk urusan " .. terbaik.nama .. ".", lain
end

local function usul_urgensi(kecil)
  for _, u in ipairs(URGENSI) do
    local kata = cocok(kecil, u.kata)
    if #kata > 0 then return u.tingkat, "Menyebut " .. kutip(kata) .. ": " .. u.sebab .. "." end
  end
  return "rendah", "Tidak menyebut bahaya, korban, atau gangguan layanan."
end

function M.triase(args)
  local asli = (args.judul and (args.judul .. ". ") or "") .. args.isi
  -- Aturan kata kunci dibaca dari teks asli (tidak keluar dari plugin), agar
  -- penanda seperti [NIK] tidak dikira kata kunci.
  local kecil = asli:lower()

  local tersamar, jumlah, metode, galat_samar = samarkan(asli)
  local ringkasan, metode_ringkasan, catatan = ringkas(tersamar, galat_samar == nil,
    "penyamaran data pribadi oleh platform tidak tersedia (" .. tostring(galat_samar) .. "), jadi teks tidak dikirim ke model")

  local dinas, alasan_dinas, lain = usul_dinas(kecil)
  local urgensi, alasan_urgensi = usul_urgensi(kecil)
  local kategori = "pengaduan"
  if #cocok(kecil, ASPIRASI) > 0 then
    kategori = "aspirasi"
  elseif #cocok(kecil, INFORMASI) > 0 and urgensi == "rendah" then
    kategori = "permintaan_informasi"
  end

  samarinda.log.info(string.format("triase: %s, urgensi %s, ringkasan %s", dinas.id, urgensi, metode_ringkasan))
  return {
    ringkasan = ringkasan,
    metode_ringkasan = metode_ringkasan,
    catatan_ringkasan = catatan,
    isi_tersamar = tersamar,
    penyamaran = { metode = metode, jumlah = jumlah },
    dinas = dinas,
    alasan_dinas = alasan_dinas,
    dinas_lain = lain,
    urgensi = urgensi,
    alasan_urgensi = alasan_urgensi,
    kategori = kategori,
    lokasi = args.lokasi and (M.samarkan_lokal(args.lokasi)) or nil,
  }
end

return M
