-- umum.naskah-dinas — draf surat dinas dan nota dinas.
--
-- Susunan mengikuti tata naskah dinas pemerintah daerah (Permendagri tentang
-- Tata Naskah Dinas di Lingkungan Pemerintah Daerah):
--   kepala : kop (pemerintah daerah, perangkat daerah, alamat), tempat/tanggal,
--            nomor, sifat, lampiran, hal, tujuan
--   tubuh  : isi (paragraf), penutup
--   kaki   : jabatan, nama, pangkat, NIP penandatangan; tembusan
-- Naskah berklasifikasi di atas BIASA diberi penanda di atas dan di bawah.
-- Draf disimpan di kv dengan kunci "naskah/<id>"; pemiliknya adalah
-- perangkat daerah pemanggil.

local M = {}

local BULAN = { "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli",
                "Agustus", "September", "Oktober", "November", "Desember" }
local SIFAT = { biasa = "Biasa", segera = "Segera", sangat_segera = "Sangat Segera" }
local PENUTUP = "Demikian disampaikan, atas perhatian dan kerja samanya diucapkan terima kasih."

-- "2025-03-12" → "12 Maret 2025"
local function tanggal_indonesia(iso)
  local y, m, d = iso:match("^(%d%d%d%d)-(%d%d)-(%d%d)$")
  m, d = tonumber(m), tonumber(d)
  if not BULAN[m] or d < 1 or d > 31 then error("tanggal " .. iso .. " tidak ada; tulis YYYY-MM-DD", 0) end
  return d .. " " .. BULAN[m] .. " " .. y
end

-- Label rata kiri seperti pada naskah: "Nomor    : …".
local function baris(label, nilai) return string.format("%-9s: %s", label, nilai) end

local function penanda(klasifikasi)
  if klasifikasi == "biasa" then return "" end
  return klasifikasi:upper():gsub("_", " ")
end

local function kaki(p)
  local t = { p.jabatan .. ",", "", "", p.nama }
  if p.pangkat then t[#t + 1] = p.pangkat end
  if p.nip then t[#t + 1] = "NIP. " .. p.nip end
  return t
end

local function daftar_tembusan(tembusan)
  if not tembusan or #tembusan == 0 then return {} end
  local t = { "Tembusan:" }
  for i, x in ipairs(tembusan) do t[#t + 1] = i .. ". " .. x end
  return t
end

local function susun(args)
  local tanggal = tanggal_indonesia(args.tanggal or os.date("%Y-%m-%d"))
  local b = {
    kop = { "PEMERINTAH KOTA SAMARINDA", args.perangkat_daerah:upper() },
    nomor = args.nomor or "…/…/…",           -- diisi bagian persuratan
    sifat = SIFAT[args.sifat or "biasa"],
    lampiran = args.lampiran or "-",
    hal = args.hal,
    tujuan = args.tujuan,
    isi = args.isi,
    penutup = args.penutup or PENUTUP,
    penandatangan = args.penandatangan,
    tembusan = args.tembusan or {},
    tempat_tanggal = (args.tempat or "Samarinda") .. ", " .. tanggal,
  }
  if args.alamat_kantor then b.kop[#b.kop + 1] = args.alamat_kantor end

  local t = {}
  local function tambah(...) for _, x in ipairs({ ... }) do t[#t + 1] = x end end
  local function tambah_semua(xs) for _, x in ipairs(xs) do t[#t + 1] = x end end
  local tanda = penanda(args.klasifikasi)
  if tanda ~= "" then tambah(tanda, "") end
  tambah_semua(b.kop)
  tambah(string.rep("=", 60))
  if args.jenis == "surat_dinas" then
    tambah(b.tempat_tanggal, "")
    tambah(baris("Nomor", b.nomor), baris("Sifat", b.sifat), baris("Lampiran", b.lampiran), baris("Hal", b.hal), "")
    tambah("Yth. " .. b.tujuan, "di", "   " .. (args.tempat_tujuan or "Tempat"), "")
  else
    b.dari = args.dari or args.penandatangan.jabatan
    tambah("NOTA DINAS", "")
    tambah(baris("Yth.", b.tujuan), baris("Dari", b.dari))
    if #b.tembusan > 0 then tambah(baris("Tembusan", table.concat(b.tembusan, "; "))) end
    tambah(baris("Tanggal", tanggal), baris("Nomor", b.nomor), baris("Sifat", b.sifat),
           baris("Lampiran", b.lampiran), baris("Hal", b.hal), string.rep("-", 60))
  end
  for _, paragraf in ipairs(b.isi) do tambah(paragraf, "") end
  tambah(b.penutup, "")
  tambah_semua(kaki(b.penandatangan))
  -- Pada nota dinas tembusan sudah di kepala naskah.
  if args.jenis == "surat_dinas" and #b.tembusan > 0 then tambah("") tambah_semua(daftar_tembusan(b.tembusan)) end
  if tanda ~= "" then tambah("", tanda) end
  return table.concat(t, "\n"), b, tanda
end

-- Nomor draf berikutnya: SD-20250312-0001 (surat dinas) / ND-… (nota dinas).
local function id_baru(jenis)
  local n = (samarinda.kv.get("urutan") or 0) + 1
  samarinda.kv.set("urutan", n)
  return string.format("%s-%s-%04d", jenis == "surat_dinas" and "SD" or "ND", os.date("!%Y%m%d"), n % 10000)
end

function M.buat_naskah(args)
  local teks, bagian, tanda = susun(args)
  local hasil = {
    jenis = args.jenis,
    klasifikasi = args.klasifikasi,
    penanda_klasifikasi = tanda,
    teks = teks,
    bagian = bagian,
    tersimpan = false,
    catatan = "Draf disusun dengan templat tata naskah dinas; periksa isi, lalu mintakan nomor ke bagian persuratan.",
  }
  if args.simpan ~= false then
    local caller = samarinda.caller
    hasil.id = id_baru(args.jenis)
    samarinda.kv.set("naskah/" .. hasil.id, {
      id = hasil.id, jenis = args.jenis, klasifikasi = args.klasifikasi, hal = args.hal,
      dibuat = os.date("!%Y-%m-%dT%H:%M:%SZ"),
      pembuat = { id = caller.id, department = caller.department },
      teks = teks, bagian = bagian,
    })
    hasil.tersimpan = true
    samarinda.log.info("naskah " .. hasil.id .. " disimpan")
  end
  return hasil
end

-- Draf hanya terlihat oleh perangkat daerah pembuatnya (dan admin).
local function boleh_lihat(naskah)
  local caller = samarinda.caller
  return caller.role == "admin" or (naskah.pembuat and naskah.pembuat.department == caller.department)
end

function M.naskah_tersimpan(args)
  if args.id then
    local n = samarinda.kv.get("naskah/" .. args.id)
    if not n or not boleh_lihat(n) then error("naskah " .. args.id .. " tidak ditemukan", 0) end
    return { naskah = n }
  end
  local daftar = {}
  for _, kunci in ipairs(samarinda.kv.keys("naskah/")) do
    local n = samarinda.kv.get(kunci)
    if n and boleh_lihat(n) then
      daftar[#daftar + 1] = { id = n.id, jenis = n.jenis, klasifikasi = n.klasifikasi, hal = n.hal, dibuat = n.dibuat }
    end
  end
  table.sort(daftar, function(a, b) return a.dibuat > b.dibuat or (a.dibuat == b.dibuat and a.id > b.id) end)
  while #daftar > 50 do table.remove(daftar) end
  return { daftar = daftar, jumlah = #daftar }
end

return M
