import Foundation
import SamarindaCore
import SamarindaRuntime
@testable import SamarindaPlugins
import Synchronization
import Testing

// The department plugins that ship in Plugins/, called end to end through the
// core plugin host: real Lua states, a real SQLite file for their kv, the
// repository's own Plugins folder. Each plugin is called as a principal it
// serves (success), as one it must refuse (`forbidden`), and with arguments
// that break its input schema (`invalid_arguments`). The documents, model and
// PII services are stand-ins for the rest of the platform, in three flavours:
// a city with published documents and a generative model, a fresh install
// (no documents, only the offline provider), and nothing reachable at all.

/// The rest of the platform as the plugins see it through `PluginHostServices`.
final class CityServices: PluginHostServices, @unchecked Sendable {
    /// Passages by collection; empty means search finds nothing.
    let passages: [String: [Passage]]
    /// The provider that answers `model.generate`; nil: the model router fails.
    let provider: String?
    /// Whether `pii.redact` works.
    let redacts: Bool
    private let prompts = Mutex<[String]>([])

    init(passages: [String: [Passage]] = [:], provider: String? = nil, redacts: Bool = true) {
        self.passages = passages
        self.provider = provider
        self.redacts = redacts
    }

    /// Every prompt a plugin sent to the model.
    var promptsSent: [String] { prompts.withLock { $0 } }

    /// A city with published requirements and a generative model on the city's machine.
    static func withDocumentsAndModel() -> CityServices {
        CityServices(passages: [
            "disdukcapil": [Passage(documentID: 11, chunkID: 2, collection: "disdukcapil", title: "Standar Pelayanan Disdukcapil 2024",
                                    section: "Akta Kelahiran — Persyaratan", text: """
                                    Persyaratan penerbitan akta kelahiran:
                                    1. Surat keterangan lahir dari rumah sakit atau bidan
                                    2. Kartu Keluarga orang tua
                                    3. KTP-el kedua orang tua
                                    """, classification: .biasa, score: 3.2)],
            "dpmptsp": [Passage(documentID: 21, chunkID: 1, collection: "dpmptsp", title: "Standar Pelayanan PBG",
                                section: "Persyaratan", text: "Pemohon PBG melampirkan KTP, sertipikat tanah, KKPR, gambar arsitektur, struktur, dan MEP.",
                                classification: .biasa, score: 2.1)],
        ], provider: "lokal")
    }

    /// A fresh install: no documents ingested, only the embedded offline provider.
    static func freshInstall() -> CityServices { CityServices(provider: "offline") }

    func searchDocuments(_ request: PluginSearchRequest) async throws -> [Passage] {
        request.departments.flatMap { passages[$0] ?? [] }
    }
    func document(_ request: PluginDocumentRequest) async throws -> PluginDocument? { nil }
    func generate(_ request: PluginModelRequest) async throws -> PluginModelResponse {
        let prompt = request.messages.map(\.content).joined(separator: "\n")
        prompts.withLock { $0.append(prompt) }
        guard let provider else { throw CocoaError(.featureUnsupported) }
        if provider == "offline" {
            return PluginModelResponse(text: "Jawaban ekstraktif (mode offline): tidak ada dokumen yang cocok.", model: "samarinda-default", provider: "offline")
        }
        return PluginModelResponse(text: "Warga melaporkan jalan berlubang yang membahayakan pengendara.", model: "gemma-3-270m", provider: provider)
    }
    func redact(_ text: String, context: PluginCallContext) async throws -> PluginRedaction {
        guard redacts else { throw CocoaError(.featureUnsupported) }
        // Enough of the real redactor for these tests: 16-digit NIKs.
        let replaced = text.replacing(/\b\d{16}\b/) { _ in "[NIK_1]" }
        return PluginRedaction(text: replaced, counts: replaced == text ? [:] : ["nik": 1])
    }
    func http(_ request: PluginHTTPRequest) async throws -> PluginHTTPResponse { throw CocoaError(.featureUnsupported) }
}

/// The repository's Plugins folder, loaded by a real host over a real SQLite file.
final class ShippedPlugins: @unchecked Sendable {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Plugins").path
    static let ids = ["bapenda.pbb", "disdukcapil.cek-nik", "disdukcapil.syarat", "diskominfo.lapor", "dpmptsp.perizinan", "umum.naskah-dinas"]

    let directory: TemporaryDirectory
    let database: Database
    let audit = MemoryAuditSink()
    let config: SamarindaConfig
    let host: PluginHost
    private let log = LogLines()

    /// What `samarinda.log.*` wrote; a class, so the host's log handler can share it.
    final class LogLines: Sendable {
        let lines = Mutex<[String]>([])
    }

    init(services: any PluginHostServices = CityServices.withDocumentsAndModel()) async throws {
        directory = try TemporaryDirectory(prefix: "samarinda-dept-plugins")
        database = try Database(path: directory.path + "/samarinda.db")
        try database.migrate([PluginKV.migrations])
        var config = SamarindaConfig()
        config.plugins.dir = Self.folder
        config.plugins.watch = false
        self.config = config
        let log = self.log
        host = PluginHost(config: config, services: services, audit: audit, database: database, policy: Policy(),
                          log: { line in log.lines.withLock { $0.append(line.message) } })
        await host.refresh()
    }

    /// Everything the plugins logged.
    var logLines: [String] { log.lines.withLock { $0 } }

    func call(_ plugin: String, _ tool: String, _ args: JSONValue, as principal: Principal) async -> Result<JSONValue, PluginError> {
        do { return .success(try await host.invoke(plugin: plugin, tool: tool, arguments: args, as: principal, requestID: "dept-test")) } catch {
            return .failure(error)
        }
    }

    static func staff(_ department: String, clearance: Classification = .terbatas) -> Principal {
        Principal(id: "key:\(department)-staff", name: "staf \(department)", department: department, role: .staff, clearance: clearance)
    }
    static func deptAdmin(_ department: String) -> Principal {
        Principal(id: "key:\(department)-admin", name: "admin \(department)", department: department, role: .deptAdmin, clearance: .rahasia)
    }
    static let auditor = Principal(id: "key:inspektur", name: "auditor", department: "inspektorat", role: .auditor, clearance: .rahasia)
}

extension Result where Failure == PluginError {
    var errorCode: String? { if case .failure(let e) = self { return e.code }; return nil }
}

extension JSONValue {
    /// The same object with `key` set to `value`.
    func setting(_ key: String, _ value: JSONValue) -> JSONValue {
        var o = objectValue ?? [:]
        o[key] = value
        return .object(o)
    }
}

@Suite("Department plugins end to end") struct DepartmentPluginsTests {

    // MARK: All plugins

    @Test func everyShippedPluginLoadsWithEverythingItAsksGrantedByDefault() async throws {
        let city = try await ShippedPlugins()
        let statuses = city.host.status()
        for id in ShippedPlugins.ids {
            let status = try #require(statuses.first { $0.id == id }, "\(id) is missing from Plugins/")
            #expect(status.state == .loaded, "\(id): \(status.errors)")
            #expect(status.grants?.denied == [], "\(id) asks for more than its department default")
            #expect(status.warnings.isEmpty, "\(id): \(status.warnings)")
        }
    }

    @Test func everyShippedPluginsOwnLuaTestsPass() async throws {
        let scratch = try TemporaryDirectory(prefix: "samarinda-dept-plugin-tests")
        let database = try Database(path: scratch.path + "/kv.db")
        try database.migrate([PluginKV.migrations])
        for id in ShippedPlugins.ids {
            let report = await PluginTestRunner.run(folder: ShippedPlugins.folder + "/" + id, config: SamarindaConfig(), policy: Policy(), database: database)
            #expect(report.failed == 0 && report.passed > 0,
                    "\(id): \(report.summary) \(report.setupErrors) \(report.cases.filter { !$0.passed }.map { "\($0.name): \($0.message ?? "")" })")
        }
    }

    // MARK: The kit

    @Test func luaDefinitionsDescribeEveryHostFunction() throws {
        let meta = try String(contentsOfFile: ShippedPlugins.folder + "/.meta/samarinda.lua", encoding: .utf8)
        #expect(meta.hasPrefix("---@meta"))
        for f in HostFunction.allCases {
            switch f {
            case .caller: #expect(meta.contains("---@field caller samarinda.Caller"))
            case .print: #expect(meta.contains("function print(...)"))
            case .checkTool, .kvUpdateRead, .kvUpdateSwap: continue  // `plugin test` only; kv.update's hidden primitives
            default: #expect(meta.contains("function \(f.qualifiedName)("), "Plugins/.meta/samarinda.lua lacks \(f.qualifiedName)")
            }
        }
        let testAPI = try String(contentsOfFile: ShippedPlugins.folder + "/.meta/plugin-test.lua", encoding: .utf8)
        for name in ["test", "call_tool", "assert_eq", "assert_true", "assert_false", "assert_match", "assert_error"] {
            #expect(testAPI.contains("function \(name)("), "plugin-test.lua lacks \(name)")
            #expect(PluginTestRunner.prelude.contains("function \(name)("), "the test runner no longer defines \(name)")
        }
    }

    @Test func everyPluginFolderAndTheScaffoldPointEditorsAtTheDefinitions() throws {
        func library(_ path: String) throws -> [String] {
            let json = try JSONValue.parse(String(contentsOfFile: path, encoding: .utf8))
            return json["workspace"]?["library"]?.arrayValue?.compactMap(\.stringValue) ?? []
        }
        for id in ShippedPlugins.ids {
            #expect(try library(ShippedPlugins.folder + "/\(id)/.luarc.json") == ["../.meta"], "\(id)")
        }
        let dir = try TemporaryDirectory(prefix: "samarinda-scaffold")
        let folder = try PluginScaffold.create(id: "bapenda.coba", in: dir.path, config: SamarindaConfig())
        #expect(try library(folder + "/.luarc.json") == ["../.meta"])
    }

    @Test func auditorsCallNoDepartmentTool() async throws {
        let city = try await ShippedPlugins()
        let calls: [(String, String, JSONValue)] = [
            ("disdukcapil.syarat", "cek_syarat", ["layanan": "kk"]),
            ("disdukcapil.cek-nik", "cek_nik", ["nik": "6472011203900001"]),
            ("bapenda.pbb", "hitung_pbb", ["luas_bumi": 100, "njop_bumi_per_m2": 1_000_000]),
            ("umum.naskah-dinas", "naskah_tersimpan", [:]),
        ]
        for (plugin, tool, args) in calls {
            #expect(await city.call(plugin, tool, args, as: ShippedPlugins.auditor).errorCode == "forbidden", "\(plugin).\(tool)")
        }
        let denied = city.audit.events.filter { $0.action == "tool.call" && $0.outcome == .denied(code: "forbidden") }
        #expect(denied.count == calls.count)
    }

    // MARK: disdukcapil.syarat

    @Test func syaratAnswersFromDisdukcapilDocumentsWithCitations() async throws {
        let city = try await ShippedPlugins()
        let r = try await city.call("disdukcapil.syarat", "cek_syarat", ["layanan": "akta-kelahiran"], as: ShippedPlugins.staff("dinkes")).get()
        #expect(r["sumber"] == "dokumen")
        #expect(r["syarat"]?.arrayValue?.first == "Surat keterangan lahir dari rumah sakit atau bidan [1]")
        #expect(r["kutipan"]?.arrayValue?.first?["sumber"] == "Standar Pelayanan Disdukcapil 2024 — Akta Kelahiran — Persyaratan")
        let event = try #require(city.audit.events.last { $0.action == "tool.call" })
        #expect(event.fields["capabilities_used"] == "docs.search:disdukcapil,docs.search:public")
    }

    @Test func syaratFallsBackToTheStandardTableWhenSearchFindsNothing() async throws {
        let city = try await ShippedPlugins(services: CityServices.freshInstall())
        let r = try await city.call("disdukcapil.syarat", "cek_syarat", ["layanan": "ktp-el", "pertanyaan": "KTP hilang"],
                                    as: ShippedPlugins.staff("disdukcapil")).get()
        #expect(r["sumber"] == "tabel_bawaan")
        #expect(r["kutipan"] == [])
        #expect(r["catatan"]?.stringValue?.contains("tabel persyaratan standar") == true)
    }

    @Test func syaratRejectsAServiceItDoesNotKnow() async throws {
        let city = try await ShippedPlugins()
        let r = await city.call("disdukcapil.syarat", "cek_syarat", ["layanan": "paspor"], as: ShippedPlugins.staff("disdukcapil"))
        #expect(r.errorCode == "invalid_arguments")
        #expect(r.error?.message.contains("layanan") == true)
    }

    // MARK: disdukcapil.cek-nik

    @Test func cekNikChecksStructureAndNeverLogsTheNumber() async throws {
        let city = try await ShippedPlugins()
        let nik = "6472015203900002"
        let r = try await city.call("disdukcapil.cek-nik", "cek_nik", ["nik": .string(nik)], as: ShippedPlugins.staff("dpmptsp")).get()
        #expect(r["valid"] == true)
        #expect(r["rincian"]?["kabupaten_kota"] == "Kota Samarinda")
        #expect(r["rincian"]?["jenis_kelamin"] == "perempuan")
        let bad = try await city.call("disdukcapil.cek-nik", "cek_nik", ["nik": "6472019903900000"], as: ShippedPlugins.staff("dpmptsp")).get()
        #expect(bad["valid"] == false)
        #expect(city.logLines == ["cek_nik: valid", "cek_nik: tidak valid"])
        for event in city.audit.events {
            #expect(!event.fields.values.contains { $0.contains(nik) }, "the audit trail holds the NIK in \(event.action)")
        }
    }

    @Test func cekNikIsRefusedToAPrincipalWithoutClearanceForPersonalData() async throws {
        let city = try await ShippedPlugins()
        let r = await city.call("disdukcapil.cek-nik", "cek_nik", ["nik": "6472011203900001"],
                                as: ShippedPlugins.staff("dpmptsp", clearance: .biasa))
        #expect(r.errorCode == "forbidden")
        #expect(r.error?.message.contains("terbatas") == true)
    }

    @Test func cekNikRejectsLettersAndExtraFields() async throws {
        let city = try await ShippedPlugins()
        let staff = ShippedPlugins.staff("disdukcapil")
        #expect(await city.call("disdukcapil.cek-nik", "cek_nik", ["nik": "64720112039000AB"], as: staff).errorCode == "invalid_arguments")
        #expect(await city.call("disdukcapil.cek-nik", "cek_nik", ["nik": "6472011203900001", "cari": true], as: staff).errorCode == "invalid_arguments")
        #expect(await city.call("disdukcapil.cek-nik", "cek_nik", ["nik": 6_472_011_203_900_001], as: staff).errorCode == "invalid_arguments")
        #expect(city.logLines.isEmpty, "a rejected call never reaches the plugin")
    }

    // MARK: bapenda.pbb

    @Test func pbbComputesInIntegerRupiahWithTheWorking() async throws {
        let city = try await ShippedPlugins()
        let r = try await city.call("bapenda.pbb", "hitung_pbb", [
            "luas_bumi": 200, "njop_bumi_per_m2": 1_500_000, "luas_bangunan": 120, "njop_bangunan_per_m2": 2_000_000, "tahun": 2025,
        ], as: ShippedPlugins.staff("dpmptsp")).get()
        #expect(r["njop"] == 540_000_000)
        #expect(r["pbb_terutang"] == 530_000)
        #expect(r["pbb_terutang_teks"] == "Rp530.000")
        #expect(r["klasifikasi"] == "biasa")
        #expect(r["langkah"]?.arrayValue?.count == 7)
    }

    @Test func pbbTariffIsSetByBapendaAdminOnlyAndPersistsInKV() async throws {
        let city = try await ShippedPlugins()
        let tarif: JSONValue = ["njoptkp": 15_000_000, "persen_dasar": 100, "dasar_hukum": "Perda Kota Samarinda tentang PDRD (uji)",
                                "lapisan": [["sampai": 500_000_000, "tarif_basis_poin": 5], ["tarif_basis_poin": 25]]]
        #expect(await city.call("bapenda.pbb", "atur_tarif", tarif, as: ShippedPlugins.staff("dinkes")).errorCode == "forbidden")
        let staff = await city.call("bapenda.pbb", "atur_tarif", tarif, as: ShippedPlugins.staff("bapenda"))
        // The manifest's `roles = ["dept_admin"]`, enforced by the platform's policy (not by Lua).
        #expect(staff.errorCode == "forbidden")
        #expect(staff.error?.message.contains("is for the roles dept_admin; you act as role staff") == true)
        #expect(!city.host.tools(for: ShippedPlugins.staff("bapenda")).map(\.tool).contains("atur_tarif"), "hidden from roles not listed")
        #expect(city.host.tools(for: ShippedPlugins.deptAdmin("bapenda")).map(\.tool).contains("atur_tarif"))
        let refused = city.audit.events.last { $0.action == "tool.call" && $0.target == "bapenda.pbb.atur_tarif" }
        #expect(refused?.outcome == .denied(code: "forbidden"))
        #expect(refused?.fields["policy"] == "role_not_allowed")

        _ = try await city.call("bapenda.pbb", "atur_tarif", tarif, as: ShippedPlugins.deptAdmin("bapenda")).get()
        let r = try await city.call("bapenda.pbb", "hitung_pbb", ["luas_bumi": 100, "njop_bumi_per_m2": 1_000_000],
                                    as: ShippedPlugins.staff("bapenda")).get()
        #expect(r["njoptkp"] == 15_000_000)
        #expect(r["pbb_terutang"] == 42_500)   // (100.000.000 − 15.000.000) × 0,05%
        let stored = try PluginKV(database: city.database).get(plugin: "bapenda.pbb", key: "tarif")
        #expect(stored?["njoptkp"] == 15_000_000)
    }

    @Test func pbbRejectsBracketsOutOfOrderAndAboveTheLegalMaximum() async throws {
        let city = try await ShippedPlugins()
        let admin = ShippedPlugins.deptAdmin("bapenda")
        let tooHigh: JSONValue = ["njoptkp": 10_000_000, "dasar_hukum": "Perda uji coba", "lapisan": [["tarif_basis_poin": 60]]]
        #expect(await city.call("bapenda.pbb", "atur_tarif", tooHigh, as: admin).errorCode == "invalid_arguments")
        let unordered: JSONValue = ["njoptkp": 10_000_000, "dasar_hukum": "Perda uji coba",
                                    "lapisan": [["sampai": 900, "tarif_basis_poin": 10], ["sampai": 100, "tarif_basis_poin": 20], ["tarif_basis_poin": 30]]]
        let r = await city.call("bapenda.pbb", "atur_tarif", unordered, as: admin)
        #expect(r.error?.message.contains("harus naik") == true)
    }

    @Test func pbbRejectsNegativeAndAbsurdAreas() async throws {
        let city = try await ShippedPlugins()
        let staff = ShippedPlugins.staff("bapenda")
        #expect(await city.call("bapenda.pbb", "hitung_pbb", ["luas_bumi": -5, "njop_bumi_per_m2": 1000], as: staff).errorCode == "invalid_arguments")
        #expect(await city.call("bapenda.pbb", "hitung_pbb", ["luas_bumi": 1e12, "njop_bumi_per_m2": 1e12], as: staff).errorCode == "invalid_arguments")
        #expect(await city.call("bapenda.pbb", "hitung_pbb", ["luas_bumi": 10.5, "njop_bumi_per_m2": 1000], as: staff).errorCode == "invalid_arguments")
    }

    // MARK: dpmptsp.perizinan

    @Test func perizinanListsMissingDocumentsWithTheirPublishedBasisAndDraftsTheLetter() async throws {
        let city = try await ShippedPlugins()
        let r = try await city.call("dpmptsp.perizinan", "periksa_berkas", [
            "jenis_izin": "pbg", "dokumen_ada": ["ktp", "bukti_tanah", "kkpr"],
            "pemohon": ["nama": "PT Mahakam Jaya", "alamat": "Jl. Slamet Riyadi, Samarinda"],
        ], as: ShippedPlugins.staff("dinas-pupr")).get()
        #expect(r["lengkap"] == false)
        #expect(r["sumber_persyaratan"] == "dokumen")
        let missing = r["kurang"]?.arrayValue ?? []
        #expect(missing.compactMap { $0["kode"]?.stringValue } == ["rencana_arsitektur", "rencana_struktur", "rencana_mep", "dokumen_lingkungan"])
        #expect(missing.first?["dasar"] == "[1] Standar Pelayanan PBG — Persyaratan")
        #expect(missing.last?["dasar"] == "daftar bawaan")
        let letter = try #require(r["surat"]?.stringValue)
        #expect(letter.contains("Yth. PT Mahakam Jaya"))
        #expect(letter.contains("4. Dokumen lingkungan"))
    }

    @Test func perizinanUsesTheBuiltInListWhenSearchIsUnavailable() async throws {
        let city = try await ShippedPlugins(services: UnavailablePluginServices())
        let r = try await city.call("dpmptsp.perizinan", "periksa_berkas", [
            "jenis_izin": "nib", "bentuk_usaha": "badan-usaha", "dokumen_ada": ["ktp", "npwp", "kbli", "alamat_usaha"], "pemohon": ["nama": "CV Tepian"],
        ], as: ShippedPlugins.staff("dpmptsp")).get()
        #expect(r["sumber_persyaratan"] == "daftar_bawaan")
        #expect(r["kurang"]?.arrayValue?.first?["kode"] == "akta_pendirian")
        #expect(r["catatan"]?.stringValue?.contains("pencarian dokumen tidak tersedia") == true)
    }

    @Test func perizinanIsClosedToDepartmentsOutsidePermits() async throws {
        let city = try await ShippedPlugins()
        let r = await city.call("dpmptsp.perizinan", "periksa_berkas", ["jenis_izin": "pbg", "dokumen_ada": [], "pemohon": ["nama": "X"]],
                                as: ShippedPlugins.staff("bapenda"))
        #expect(r.errorCode == "forbidden")
    }

    @Test func perizinanRejectsUnknownDocumentsAndMissingApplicant() async throws {
        let city = try await ShippedPlugins()
        let staff = ShippedPlugins.staff("dpmptsp")
        #expect(await city.call("dpmptsp.perizinan", "periksa_berkas", ["jenis_izin": "pbg", "dokumen_ada": ["surat_sakti"], "pemohon": ["nama": "X"]],
                                as: staff).errorCode == "invalid_arguments")
        #expect(await city.call("dpmptsp.perizinan", "periksa_berkas", ["jenis_izin": "pbg", "dokumen_ada": []], as: staff).errorCode == "invalid_arguments")
        #expect(await city.call("dpmptsp.perizinan", "periksa_berkas", ["jenis_izin": "pbg", "dokumen_ada": [], "pemohon": ["nama": "X"],
                                                                        "nomor_permohonan": "1; DROP TABLE"], as: staff).errorCode == "invalid_arguments")
    }

    // MARK: diskominfo.lapor

    static let complaint = "Jalan di Jl. Pramuka berlubang besar dan kemarin ada kecelakaan motor. Mohon segera diperbaiki. "
        + "Saya Budi, NIK 6472011203900001, HP 0812-3456-7890."

    @Test func laporTriagesAndSendsOnlyRedactedTextToTheModel() async throws {
        let services = CityServices.withDocumentsAndModel()
        let city = try await ShippedPlugins(services: services)
        let r = try await city.call("diskominfo.lapor", "triase", ["isi": .string(Self.complaint), "kanal": "whatsapp"],
                                    as: ShippedPlugins.staff("diskominfo")).get()
        #expect(r["metode_ringkasan"] == "model")
        #expect(r["ringkasan"] == "Warga melaporkan jalan berlubang yang membahayakan pengendara.")
        #expect(r["dinas"]?["id"] == "dinas-pupr")
        #expect(r["urgensi"] == "tinggi")
        #expect(r["alasan_urgensi"]?.stringValue?.contains("'kecelakaan'") == true)
        #expect(r["penyamaran"]?["jumlah"] == ["nik": 1, "telepon": 1])
        let sent = services.promptsSent.joined()
        #expect(!sent.isEmpty)
        #expect(!sent.contains("6472011203900001") && !sent.contains("0812"), "personal data reached the model: \(sent)")
        #expect(r["isi_tersamar"]?.stringValue?.contains("6472011203900001") == false)
    }

    @Test func laporSaysItsSummaryIsExtractiveWithTheOfflineProvider() async throws {
        let city = try await ShippedPlugins(services: CityServices.freshInstall())
        let r = try await city.call("diskominfo.lapor", "triase", ["isi": .string(Self.complaint)], as: ShippedPlugins.staff("diskominfo")).get()
        #expect(r["metode_ringkasan"] == "ekstraktif")
        #expect(r["ringkasan"] == "Jalan di Jl. Pramuka berlubang besar dan kemarin ada kecelakaan motor. Mohon segera diperbaiki.")
        #expect(r["catatan_ringkasan"]?.stringValue?.contains("offline") == true)
    }

    @Test func laporDoesNotSendTextToTheModelWhenPlatformRedactionFails() async throws {
        let services = CityServices(provider: "lokal", redacts: false)
        let city = try await ShippedPlugins(services: services)
        let r = try await city.call("diskominfo.lapor", "triase", ["isi": .string(Self.complaint)], as: ShippedPlugins.staff("diskominfo")).get()
        #expect(services.promptsSent.isEmpty)
        #expect(r["metode_ringkasan"] == "ekstraktif")
        #expect(r["isi_tersamar"]?.stringValue?.contains("6472011203900001") == false, "the plugin's own rules still redact")
    }

    @Test func laporIsForTheLaporAdminsOnly() async throws {
        let city = try await ShippedPlugins()
        let r = await city.call("diskominfo.lapor", "triase", ["isi": .string(Self.complaint)], as: ShippedPlugins.staff("dinkes"))
        #expect(r.errorCode == "forbidden")
    }

    @Test func laporRejectsEmptyAndOversizedComplaints() async throws {
        let city = try await ShippedPlugins()
        let staff = ShippedPlugins.staff("diskominfo")
        #expect(await city.call("diskominfo.lapor", "triase", ["isi": "tolong"], as: staff).errorCode == "invalid_arguments")
        #expect(await city.call("diskominfo.lapor", "triase", ["isi": .string(String(repeating: "jalan rusak ", count: 500))], as: staff)
            .errorCode == "invalid_arguments")
        #expect(await city.call("diskominfo.lapor", "triase", ["isi": .string(Self.complaint), "kanal": "telegram"], as: staff)
            .errorCode == "invalid_arguments")
    }

    // MARK: umum.naskah-dinas

    static let letter: JSONValue = [
        "jenis": "surat_dinas", "klasifikasi": "terbatas", "perangkat_daerah": "Dinas Kesehatan",
        "hal": "Permintaan Data Imunisasi", "tujuan": "Kepala Puskesmas Sempaja",
        "isi": ["Sehubungan dengan evaluasi program imunisasi, mohon Saudara menyampaikan data cakupan imunisasi."],
        "penandatangan": ["jabatan": "Kepala Dinas Kesehatan", "nama": "dr. Ahmad Fauzi", "nip": "197001011998031001"],
    ]

    @Test func naskahDinasSavesDraftsThatOnlyTheirDepartmentSees() async throws {
        let city = try await ShippedPlugins()
        let dinkes = ShippedPlugins.staff("dinkes")
        let r = try await city.call("umum.naskah-dinas", "buat_naskah", Self.letter, as: dinkes).get()
        #expect(r["tersimpan"] == true)
        #expect(r["penanda_klasifikasi"] == "TERBATAS")
        let text = try #require(r["teks"]?.stringValue)
        #expect(text.hasPrefix("TERBATAS\n") && text.hasSuffix("\nTERBATAS"))
        #expect(text.contains("Hal      : Permintaan Data Imunisasi"))
        let id = try #require(r["id"]?.stringValue)

        let mine = try await city.call("umum.naskah-dinas", "naskah_tersimpan", [:], as: dinkes).get()
        #expect(mine["daftar"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [id])
        let got = try await city.call("umum.naskah-dinas", "naskah_tersimpan", ["id": .string(id)], as: dinkes).get()
        #expect(got["naskah"]?["teks"]?.stringValue == text)

        let bapenda = ShippedPlugins.staff("bapenda")
        let theirs = try await city.call("umum.naskah-dinas", "naskah_tersimpan", [:], as: bapenda).get()
        #expect(theirs["jumlah"] == 0)
        #expect(await city.call("umum.naskah-dinas", "naskah_tersimpan", ["id": .string(id)], as: bapenda).error?.message.contains("tidak ditemukan") == true)
        let event = try #require(city.audit.events.first { $0.action == "tool.call" && $0.target == "umum.naskah-dinas.buat_naskah" })
        #expect(event.fields["read_only"] == "false")
        #expect(event.fields["capabilities_used"] == "kv")
    }

    @Test func naskahDinasIsRefusedWithoutClearanceForTerbatas() async throws {
        let city = try await ShippedPlugins()
        let r = await city.call("umum.naskah-dinas", "buat_naskah", Self.letter, as: ShippedPlugins.staff("umum", clearance: .biasa))
        #expect(r.errorCode == "forbidden")
    }

    @Test func naskahDinasWillNotDraftRahasiaOrTakeABadNIP() async throws {
        let city = try await ShippedPlugins()
        let staff = ShippedPlugins.staff("umum")
        let rahasia = Self.letter.setting("klasifikasi", "rahasia")
        #expect(await city.call("umum.naskah-dinas", "buat_naskah", rahasia, as: staff).errorCode == "invalid_arguments")
        let badNIP = Self.letter.setting("penandatangan", ["jabatan": "Kepala", "nama": "Ahmad", "nip": "12345"])
        #expect(await city.call("umum.naskah-dinas", "buat_naskah", badNIP, as: staff).errorCode == "invalid_arguments")
        #expect(await city.call("umum.naskah-dinas", "naskah_tersimpan", ["id": "../../etc"], as: staff).errorCode == "invalid_arguments")
    }
}
