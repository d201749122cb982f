import Foundation
import Testing
@testable import SamarindaCore

@Suite struct ConfigTests {
    @Test func embeddedDefaultsWithoutAFile() throws {
        let dir = try TemporaryDirectory()
        let config = try SamarindaConfig.load(explicitPath: nil, environment: [:], workingDirectory: dir.path)
        #expect(config.sourcePath == nil)
        #expect(config.server.listen == "127.0.0.1:8080")
        #expect(config.storage.path == "data/samarinda.db")
        #expect(config.providers.map(\.name) == ["offline"])
        #expect(config.department("disdukcapil")?.name == "Dinas Kependudukan dan Pencatatan Sipil")
        for id in ["disdukcapil", "dpmptsp", "bapenda", "dinkes", "disdik", "dinas-pupr", "bappeda", "diskominfo", "inspektorat", "bpkad", "public"] {
            #expect(config.department(id) != nil, "department \(id) missing from defaults")
        }
    }

    @Test func shippedFileListsExactlyTheDefaults() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("samarinda.toml")
        let text = try String(contentsOf: url, encoding: .utf8)
        let shipped = try SamarindaConfig.parse(text, file: "samarinda.toml")
        let defaults = SamarindaConfig.defaults
        #expect(shipped.server.listen == defaults.server.listen)
        #expect(shipped.server.maxBodyBytes == defaults.server.maxBodyBytes)
        #expect(shipped.storage.path == defaults.storage.path)
        #expect(shipped.departments.map(\.id).sorted() == defaults.departments.map(\.id).sorted())
        for d in defaults.departments { #expect(shipped.department(d.id)?.name == d.name) }
        #expect(shipped.roles == defaults.roles)
        #expect(shipped.providers == defaults.providers)
        #expect(shipped.models == defaults.models)
        #expect(shipped.plugins.maxLimits == defaults.plugins.maxLimits)
        #expect(shipped.audit.checkpointEvery == defaults.audit.checkpointEvery)
        #expect(shipped.documents.chunkChars == defaults.documents.chunkChars)
    }

    @Test func configFileFromEnvironmentVariable() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/city.toml"
        try "[server]\nlisten = \"0.0.0.0:9000\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        let config = try SamarindaConfig.load(explicitPath: nil, environment: ["SAMARINDA_CONFIG": path])
        #expect(config.server.port == 9000)
        #expect(config.sourcePath == path)
    }

    @Test func missingExplicitFileIsAnError() {
        #expect(throws: ConfigErrors.self) { try SamarindaConfig.load(explicitPath: "/nonexistent/samarinda.toml", environment: [:]) }
    }

    private func errors(_ text: String) -> [ConfigError] {
        do {
            _ = try SamarindaConfig.parse(text, file: "city.toml")
            return []
        } catch let e as ConfigErrors {
            return e.errors
        } catch {
            return [ConfigError(file: "?", key: "?", line: nil, message: "\(error)")]
        }
    }

    @Test func syntaxErrorNamesTheLine() {
        let e = errors("[server]\nlisten = \"127.0.0.1:8080\"\nport = = 3\n")
        #expect(e.count == 1)
        #expect(e.first?.line == 3)
        #expect(e.first?.description.hasPrefix("city.toml:3:") == true)
    }

    @Test func unknownKeyNamesFileKeyLineAndAllowedKeys() {
        let e = errors("[server]\nlisten = \"127.0.0.1:8080\"\n\nlisen = \"x\"\n")
        #expect(e.count == 1)
        #expect(e.first?.key == "server.lisen")
        #expect(e.first?.line == 4)
        #expect(e.first?.message.contains("unknown key") == true)
        #expect(e.first?.message.contains("listen") == true)
    }

    @Test func unknownTopLevelSection() {
        let e = errors("[sever]\nlisten = \"x\"\n")
        #expect(e.first?.key == "sever")
        #expect(e.first?.line == 1)
        #expect(e.first?.message.contains("server") == true)
    }

    @Test func wrongTypeSaysWhatWasExpected() {
        let e = errors("[storage]\nbusy_timeout_ms = \"fast\"\n")
        #expect(e.first?.key == "storage.busy_timeout_ms")
        #expect(e.first?.line == 2)
        #expect(e.first?.message == "expected an integer, found string")
    }

    @Test func invalidValuesSayWhatIsAllowed() {
        let e = errors("""
            [server]
            listen = "localhost"
            [roles.staff]
            clearance = "secret"
            [documents]
            chunk_chars = 10
            """)
        #expect(e.count == 3)
        #expect(e[0].key == "server.listen" && e[0].message.contains("HOST:PORT") && e[0].line == 2)
        #expect(e[1].key == "roles.staff.clearance" && e[1].message.contains("biasa, terbatas, rahasia, sangat_rahasia") && e[1].line == 4)
        #expect(e[2].key == "documents.chunk_chars" && e[2].message.contains("200") && e[2].line == 6)
    }

    @Test func providersAreValidatedAndSecretsRefused() {
        let e = errors("""
            [[providers]]
            name = "offline"
            kind = "offline"

            [[providers]]
            name = "premium"
            kind = "openai"
            api_key = "sk-123"
            max_classification = "biasa"

            [models]
            samarinda-default = ["premium", "nope"]
            """)
        let keys = e.map(\.key)
        #expect(keys.contains("providers[1].api_key"))
        #expect(keys.contains("providers[1].base_url"))
        #expect(keys.contains("models.samarinda-default"))
        let secret = e.first { $0.key == "providers[1].api_key" }
        #expect(secret?.line == 8)
        #expect(secret?.message.contains("api_key_env") == true)
        #expect(e.first { $0.key == "models.samarinda-default" }?.message.contains("unknown provider 'nope'") == true)
    }

    @Test func apiKeyComesFromTheEnvironment() throws {
        let config = try SamarindaConfig.parse("""
            [[providers]]
            name = "premium"
            kind = "openai"
            base_url = "https://api.example.com/v1"
            api_key_env = "PREMIUM_KEY"
            external = true
            """)
        let p = try #require(config.provider("premium"))
        #expect(p.external)
        #expect(p.maxClassification == .biasa)
        #expect(p.apiKey(environment: ["PREMIUM_KEY": "sk-abc"]) == "sk-abc")
        #expect(p.apiKey(environment: [:]) == nil)
    }

    @Test func unknownDepartmentsInBudgetsAndRoles() {
        let e = errors("[budgets]\ndinas-rahasia = 10\n[roles.superuser]\nclearance = \"biasa\"\n")
        #expect(e.contains { $0.key == "budgets.dinas-rahasia" && $0.message.contains("unknown department") && $0.line == 2 })
        #expect(e.contains { $0.key == "roles.superuser" && $0.message.contains("admin, dept_admin, staff, auditor, service") })
    }
}
