import Foundation
import SamarindaCore
import SamarindaDocuments
import SamarindaModels
import SamarindaPlugins

/// The parsers that read untrusted bytes, each as a fuzz target: one input in, any result or error
/// out, and never a crash, a hang or unbounded memory. Used by libFuzzer (`Scripts/fuzz --libfuzzer`),
/// by the built-in mutation fuzzer, and by the regression test that replays every saved crash.
public enum FuzzTargets {
    public static let names = ["config", "manifest", "schema", "pii", "analyzer", "http", "pluginhost"] + extractorTargets

    /// Seeds: small valid inputs each target starts mutating from.
    public static func seeds(_ name: String) -> [String] {
        switch name {
        case _ where extractorTargets.contains(name): return extractorSeeds(name)
        case "config":
            return ["[server]\nlisten = \"127.0.0.1:8080\"\n[storage]\npath = \"data/x.db\"\n[[providers]]\nname = \"l\"\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\n[models]\nm = [\"l\", \"offline\"]\n[budgets]\ndinkes = 1000\n"]
        case "manifest":
            return ["[plugin]\nid = \"dinkes.x\"\nname = \"X\"\nversion = \"1.0.0\"\ndepartment = \"dinkes\"\ndescription = \"d\"\nhost_api = \"^1.0\"\ncapabilities = [\"docs.search:own\", \"model.generate\"]\n[limits]\nmemory_mb = 8\n[[tools]]\nname = \"t\"\ndescription = \"d\"\nallowed = [\"*\"]\n[tools.input_schema]\ntype = \"object\"\nrequired = [\"a\"]\nproperties.a = { type = \"string\", pattern = \"^[0-9]+$\", maxLength = 10 }\n"]
        case "schema":
            return ["{\"type\": \"object\", \"required\": [\"a\"], \"properties\": {\"a\": {\"type\": \"string\", \"pattern\": \"^[ab]+$\", \"minLength\": 1}, \"n\": {\"type\": \"integer\", \"minimum\": 0}, \"l\": {\"type\": \"array\", \"items\": {\"enum\": [1, \"x\"]}}}, \"additionalProperties\": false}\u{0}{\"a\": \"abab\", \"n\": 3, \"l\": [1, \"x\"]}"]
        case "pii":
            return ["NIK 6472014501900003, HP 0812-3456-7890, email siti@example.go.id, NPWP 01.234.567.8-901.000, rek BNI 1234567890, KK 6472010101010001, alamat Jl. Pahlawan No. 5 RT 03"]
        case "analyzer":
            return ["Persyaratan pembuatan KTP-el: membawa Kartu Keluarga, surat pengantar RT/RW; pengurusan di kecamatan-kecamatan Samarinda. Dipersyaratkan pemeriksaan."]
        case "pluginhost":
            return PluginHostFuzz.seeds
        default:
            return ["{\"model\": \"samarinda-default\", \"stream\": true, \"temperature\": 0.2, \"max_tokens\": 100, \"messages\": [{\"role\": \"system\", \"content\": \"x\"}, {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"halo\"}]}], \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": {\"type\": \"object\"}}}], \"classification\": \"terbatas\"}"]
        }
    }

    /// Runs one input through `name`. Errors are fine; only crashes, hangs and leaks are findings.
    public static func run(_ name: String, _ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        switch name {
        case _ where extractorTargets.contains(name): runExtractor(name, bytes)
        case "config":
            _ = try? SamarindaConfig.parse(text, file: "fuzz.toml")
        case "manifest":
            _ = PluginManifest.parse(file: "plugin.toml", text: text, folderName: nil, config: SamarindaConfig())
        case "schema":
            let parts = bytes.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
            let schemaText = String(decoding: parts[0], as: UTF8.self)
            let instanceText = parts.count > 1 ? String(decoding: parts[1], as: UTF8.self) : schemaText
            guard let schemaValue = try? JSONValue.parse(schemaText) else { return }
            var errors: [String] = []
            let schema = JSONSchema.compile(schemaValue, errors: &errors)
            if let instance = try? JSONValue.parse(instanceText) { _ = schema.validate(instance) }
        case "pii":
            _ = try? PIIRedactor().redact(text)
        case "analyzer":
            let analyzer = IndonesianAnalyzer()
            _ = analyzer.tokens(text)
            _ = analyzer.analyze(text)
        case "http":
            // The native API's request bodies: chat (OpenAI shape) and tool arguments (JSON objects).
            _ = try? JSONDecoder().decode(ChatRequest.self, from: Data(bytes))
            _ = try? JSONValue.parse(text)
        case "pluginhost":
            PluginHostFuzz.runBlocking(text)
        default:
            break
        }
    }
}
