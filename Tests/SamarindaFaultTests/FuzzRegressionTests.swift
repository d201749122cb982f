import Foundation
import Testing
@testable import SamarindaFuzz

/// Replays every fuzz seed and every saved input under Tests/Fixtures/fuzz/<target>/ (crashes and
/// slow inputs that Scripts/fuzz found, and hand-written hostile cases) through the fuzz targets:
/// each must return, quickly, without crashing the test process.
@Suite struct FuzzRegressionTests {
    static var fixtures: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz").path
    }

    @Test(arguments: FuzzTargets.names)
    func savedFuzzInputsRunWithoutCrashing(target: String) async throws {
        var inputs = FuzzTargets.seeds(target).map { Array($0.utf8) }
        let dir = Self.fixtures + "/" + target
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where !name.hasPrefix(".") {
            inputs.append(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))))
        }
        // Targets with set-up (the plugin host builds its plugin and database once) warm up untimed.
        await FuzzTargets.runAsync(target, [])
        // A guard against hangs and exponential blow-ups (the schema finding took 20 s), not a speed test:
        // the parsers get 2 s per input; the plugin host runs each input as real Lua calls under the
        // plugin's own wall-clock limit, which a loaded machine can approach, so it gets that limit's margin.
        let bound: Duration = target == "pluginhost" ? .seconds(15) : .seconds(2)
        for input in inputs {
            let start = ContinuousClock.now
            await FuzzTargets.runAsync(target, input)
            #expect(ContinuousClock.now - start < bound, "\(target): an input took too long (\(input.count) bytes)")
        }
    }
}

import SamarindaPlugins

extension FuzzRegressionTests {
    /// The plugin-host target really fuzzes: its fixture plugin (PluginFixture, with every capability
    /// granted) loads and runs the input, so a broken fixture cannot make every run a silent no-op.
    @Test func thePluginHostTargetLoadsAndRunsItsPlugin() async throws {
        let host = try #require(await PluginHostFuzz.host.value, "the fuzz target could not build its plugin host")
        let result = try await host.invoke(plugin: "dinkes.fuzz", tool: "run", arguments: ["code": .string("{ 1, 'x' }")], as: PluginHostFuzz.staff)
        #expect(result == ["v": [1, "x"]], "\(result)")
    }
}

/// Crashes and hangs the fuzzers found, fixed, kept as named regressions.
@Suite struct FuzzFindingsTests {
    /// Scripts/fuzz (schema): `(a|a)*$` passed the nested-quantifier guard and took 20 s on 47 characters.
    @Test func repeatedGroupOfOverlappingAlternativesIsRefusedAsExponential() throws {
        var errors: [String] = []
        _ = JSONSchema.compile(try JSONValue.parse(#"{"type": "string", "pattern": "(a|a)*$"}"#), errors: &errors)
        #expect(errors.contains { $0.contains("exponential") }, "\(errors)")
        // Alternatives that are not repeated stay allowed (the shipped naskah-dinas ids use one).
        var fine: [String] = []
        _ = JSONSchema.compile(try JSONValue.parse(#"{"type": "string", "pattern": "^(SD|ND)-[0-9]{8}-[0-9]{4}$"}"#), errors: &fine)
        #expect(fine.isEmpty, "\(fine)")
    }
}

import SamarindaCore

extension FuzzFindingsTests {
    /// Scripts/fuzz (config, manifest): a table header that does not start with a key made toml++
    /// abort the process on an assertion; now it is a syntax error with its line.
    @Test(arguments: ["[.a]", "[[é]]", "[", "[\u{301}tools]", "[server]\nlisten = \"127.0.0.1:1\"\n[ *x]", "[[.db\"", "[#]",
                      // ''' inside a one-line string (or a comment) made the old line-based check think a
                      // multi-line string began, and the bad header after it reached toml++.
                      "listen = \"1'''2\"\n[\u{14}storage]", "a = 'x\"\"\"'\n[*]", "a = 1 # '''\n[.b]"])
    func tableHeaderWithoutKeyIsASyntaxErrorNotAnAbort(text: String) {
        #expect(throws: (any Error).self) { try SamarindaConfig.parse(text, file: "x.toml") }
        let doc = TOMLDocument(file: "x.toml", text: text)
        #expect(doc.errors.first?.message.contains("table header") == true, "\(doc.errors)")
    }

    @Test func validHeadersArraysAndMultilineStringsStillParse() throws {
        // Nested arrays and inline tables on their own lines, and header-like lines inside multi-line
        // strings (with an escaped quote run), are values, not headers.
        let text = "a = [\n  [1, 2],\n  [\"x\"],\n  [{x = 1}],\n]\nb = \"\"\"\n[*] catatan \\\"\"\"\n\"\"\"\nc = '''\n[.] \"\n'''\n[ server ]\n[[\"tools\"]]\n"
        let doc = TOMLDocument(file: "x.toml", text: text)
        #expect(doc.errors.isEmpty, "\(doc.errors)")
    }
}

extension FuzzFindingsTests {
    /// Scripts/fuzz (schema): "minLength": 1.9e19 trapped converting to Int, taking the process down
    /// (a plugin manifest could do it at load time); now it is a schema error.
    @Test func hugeLengthLimitIsASchemaErrorNotATrap() throws {
        var errors: [String] = []
        _ = JSONSchema.compile(try JSONValue.parse(#"{"type": "string", "minLength": 19985441590266560621}"#), errors: &errors)
        #expect(errors.contains { $0.contains("too large") }, "\(errors)")
    }
}
