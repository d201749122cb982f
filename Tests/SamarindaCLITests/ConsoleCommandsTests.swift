import Foundation
import Testing
import SamarindaCore

/// The repository's folders, found from this file: the shipped department plugins and the starter corpus.
enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let plugins = root + "/Plugins"
    static let corpus = root + "/Corpus"
}

/// A console fed through a pipe one line at a time, for tests that change files between commands.
final class PipedConsole {
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    var seen = ""

    init(_ cli: CLI) throws {
        process.executableURL = CLI.binary
        process.arguments = ["console", "--config", cli.configPath]
        process.currentDirectoryURL = cli.dir.url
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    /// Sends a line and returns what the console printed up to `marker`.
    func send(_ line: String, until marker: String) -> String {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
        let start = seen.endIndex
        while !seen[start...].contains(marker) {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            seen += String(decoding: data, as: UTF8.self)
        }
        return String(seen[start...])
    }

    func finish() -> Int32 {
        try? input.fileHandleForWriting.close()
        _ = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

@Suite struct ConsoleCommandsTests {
    @Test func pluginsListsTheShippedPluginsAndPluginShowsOneInFull() throws {
        let cli = try CLI(pluginsDir: Repo.plugins)
        let list = try cli.run(["console", "-c", "plugins"])
        #expect(list.status == 0, "\(list.stdout)")
        for id in ["bapenda.pbb", "disdukcapil.cek-nik", "diskominfo.lapor", "dpmptsp.perizinan"] { #expect(list.stdout.contains(id)) }
        #expect(list.stdout.contains("loaded"))
        let result = try cli.run(["console"], stdin: """
            call bapenda.pbb.tarif_berlaku {}
            plugin bapenda.pbb
            """)
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("Kalkulator PBB-P2"))
        #expect(result.stdout.contains("atur_tarif"))
        #expect(result.stdout.range(of: "atur_tarif +biasa +no +bapenda", options: .regularExpression) != nil, "who may call each tool")
        #expect(result.stdout.contains("capabilities requested: kv"))
        #expect(result.stdout.contains("capabilities granted:   kv"))
        #expect(result.stdout.range(of: "tarif_berlaku .* 1 ok, 0 failed", options: .regularExpression) != nil, "call counts from the audit trail")
        let unknown = try cli.run(["console", "-c", "plugin bapenda.pbx"])
        #expect(unknown.status == 1)
        #expect(unknown.stdout.contains("no plugin 'bapenda.pbx'. Did you mean 'bapenda.pbb'?"))
        #expect(unknown.stdout.split(separator: "\n").count == 1, "errors are one line")
    }

    @Test func callRunsToolsAsTheOperatorOrAnotherPrincipalAndSaysWhatWentWrong() throws {
        let cli = try CLI(pluginsDir: Repo.plugins)
        let created = try cli.run(["keys", "create", "--name", "loket", "--department", "bapenda", "--role", "dept_admin"])
        let key = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try cli.run(["console"], stdin: """
            call bapenda.pbb.hitung_pbb {"luas_bumi": 100, "njop_bumi_per_m2": 1000000}
            call bapenda.pbb.atur_tarif {"njoptkp": 10000000, "lapisan": [{"tarif_basis_poin": 10}], "dasar_hukum": "Perda uji coba nomor 1"} as disdukcapil:staff
            call bapenda.pbb.hitung_pbb {"luas_bumi": 100
            call bapenda.pbb.hitung_pbb {"luas_bumi": -5, "njop_bumi_per_m2": 1}
            call nothere.plugin.tool {}
            call bapenda.pbb.tarif_berlaku {} as nowhere:staff
            call bapenda.pbb.tarif_berlaku {} as \(key)
            audit tail 30 --action tool.call
            """)
        #expect(result.status == 1, "the failed calls fail the script")
        let out = result.stdout
        #expect(out.contains("\"pbb_terutang\": 90000"), "\(out)")
        #expect(out.contains("forbidden: tool bapenda.pbb.atur_tarif is not open to department disdukcapil"))
        #expect(out.contains("call as a principal the tool allows"))
        #expect(out.contains("the arguments are not valid JSON"))
        #expect(out.contains("invalid_arguments:"))
        #expect(out.contains("not_found:"))
        #expect(out.contains("no department 'nowhere'"))
        #expect(out.contains("\"dasar_hukum\""), "the key's principal may call tarif_berlaku")
        #expect(out.contains("on behalf of disdukcapil:staff"), "the operator and the stand-in principal are named in the audit trail")
        #expect(out.contains("key:"), "the key's principal is in the audit trail")
        for line in out.split(separator: "\n") where line.hasPrefix("error:") { #expect(line.contains(" — ") || line.contains("; "), "says what to do: \(line)") }
    }

    @Test func reloadReportsLoadedReloadedFailedAndRemovedPlugins() throws {
        let plugins = try TemporaryDirectory(prefix: "smd-plugins")
        for id in ["bapenda.pbb", "disdukcapil.cek-nik", "diskominfo.lapor"] {
            try FileManager.default.copyItem(atPath: Repo.plugins + "/" + id, toPath: plugins.path + "/" + id)
        }
        let cli = try CLI(pluginsDir: plugins.path)
        let console = try PipedConsole(cli)
        #expect(console.send("plugins", until: "diskominfo.lapor").contains("bapenda.pbb"))
        // Change one, break one, remove one, add one.
        let main = plugins.path + "/bapenda.pbb/main.lua"
        try (try String(contentsOfFile: main, encoding: .utf8) + "\n-- edited\n").write(toFile: main, atomically: true, encoding: .utf8)
        try "return {".write(toFile: plugins.path + "/disdukcapil.cek-nik/main.lua", atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: plugins.path + "/diskominfo.lapor")
        try FileManager.default.copyItem(atPath: Repo.plugins + "/disdukcapil.syarat", toPath: plugins.path + "/disdukcapil.syarat")
        usleep(150_000)
        let report = console.send("reload", until: "PLUGIN")
            + console.send("= 0", until: "0")
        #expect(report.range(of: "bapenda.pbb +reloaded", options: .regularExpression) != nil, "\(report)")
        #expect(report.range(of: "disdukcapil.cek-nik +failed \\(still serving", options: .regularExpression) != nil, "\(report)")
        #expect(report.range(of: "diskominfo.lapor +removed", options: .regularExpression) != nil, "\(report)")
        #expect(report.range(of: "disdukcapil.syarat +loaded", options: .regularExpression) != nil, "\(report)")
        #expect(console.send("reload nothere", until: "\n").contains("no plugin 'nothere'"))
        _ = console.send("quit", until: "")
        #expect(console.finish() == 1, "the failed reload fails the script")
    }

    @Test func statusDocsSearchAskAndBudget() throws {
        let cli = try CLI(extra: "[budgets]\ndinkes = 50000\n", pluginsDir: Repo.plugins, seedDir: Repo.corpus)
        let result = try cli.run(["console"], stdin: """
            status
            docs
            docs layanan-disdukcapil
            search syarat KTP-el in layanan-disdukcapil
            ask Apa syarat membuat KTP-el? as dinkes:staff
            budget
            """)
        #expect(result.status == 0, "\(result.stdout)")
        let out = result.stdout
        #expect(out.contains("schema audit v2"), "the audit tables with key handovers")
        #expect(out.range(of: "offline +offline +healthy", options: .regularExpression) != nil, "\(out)")
        #expect(out.contains("plugins:   6 loaded, 0 failed"))
        #expect(out.range(of: "documents: [1-9][0-9]* collections, [1-9][0-9]* documents", options: .regularExpression) != nil)
        #expect(out.contains("audit:"))
        #expect(out.contains("layanan-disdukcapil"))
        #expect(out.contains("Standar Pelayanan Kartu Tanda Penduduk Elektronik (KTP-el)"))
        #expect(out.contains("SCORE"))
        #expect(out.contains("[1] Standar Pelayanan"), "numbered citations")
        #expect(out.contains("— offline"), "the provider that answered")
        #expect(out.range(of: "dinkes +50000 +[1-9][0-9]* +0 +[1-9][0-9]*", options: .regularExpression) != nil, "the ask was charged to dinkes: \(out)")

        let errors = try cli.run(["console"], stdin: """
            docs nothere
            search syarat in nothere
            search
            ask Apa syarat KTP? as inspektorat:auditor
            ask
            budget nodept
            """)
        #expect(errors.status == 1)
        #expect(errors.stdout.contains("no collection 'nothere'"))
        #expect(errors.stdout.contains("usage: search <query>"))
        #expect(errors.stdout.contains("auditors"))
        #expect(errors.stdout.contains("usage: ask <question>"))
        #expect(errors.stdout.contains("no department 'nodept'"))
        #expect(errors.stdout.split(separator: "\n").count == 6, "one line per error: \(errors.stdout)")
    }

    @Test func luaExpressionsAndLuaMode() throws {
        let cli = try CLI()
        let result = try cli.run(["console"], stdin: """
            = 1 + 2
            lua
            local t = {} for i = 1, 3 do t[i] = i * i end return t
            print("halo") return samarinda ~= nil
            .exit
            = nope(
            =
            keys
            """)
        #expect(result.status == 1)
        let out = result.stdout
        #expect(out.contains("3\n"))
        #expect(out.contains("Lua mode"))
        #expect(out.contains("[\n  1,\n  4,\n  9\n]"), "\(out)")
        #expect(out.contains("halo\ntrue"))
        #expect(out.contains("back to console commands"))
        #expect(out.contains("error: "), "a syntax error is reported")
        #expect(out.contains("usage: = <lua expression>"))
        #expect(out.contains("No API keys"), "commands work again after .exit")
        let audit = try cli.run(["console", "-c", "audit tail 10 --action console.lua"])
        #expect(audit.stdout.contains("console.lua"))
    }

    @Test func helpExplainsEveryCommandInOrder() throws {
        let cli = try CLI()
        let help = try cli.run(["console", "-c", "help"])
        let order = ["status", "plugins", "plugin <id>", "reload", "call", "ask", "search", "docs", "keys", "key create", "audit", "budget", "config", "lua", "help", "quit"]
        var last = help.stdout.startIndex
        for name in order {
            let found = help.stdout.range(of: "\n" + name, range: last..<help.stdout.endIndex)
            #expect(found != nil, "\(name) after the previous command")
            if let found { last = found.upperBound }
        }
        for name in ["status", "plugin", "reload", "call", "ask", "search", "docs", "budget", "lua"] {
            let one = try cli.run(["console", "-c", "help \(name)"])
            #expect(one.status == 0)
            #expect(one.stdout.split(separator: "\n").count >= 3, "help \(name) has a usage, a summary and an explanation")
        }
    }

    @Test func remoteStatusPluginsAndCallOverTheAPI() throws {
        let cli = try CLI(pluginsDir: Repo.plugins, seedDir: Repo.corpus)
        let key = try cli.run(["keys", "create", "--name", "ops", "--department", "diskominfo", "--role", "admin"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let staff = try cli.run(["keys", "create", "--name", "loket", "--department", "disdukcapil", "--role", "staff"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let (server, port) = try cli.startServer()
        defer { server.terminate(); server.waitUntilExit() }
        let url = "http://127.0.0.1:\(port)"
        let result = try cli.run(["console", "--url", url, "--key", key], withConfig: false, stdin: """
            status
            plugins
            search syarat KTP-el in layanan-disdukcapil
            docs layanan-dpmptsp
            call bapenda.pbb.hitung_pbb {"luas_bumi": 100, "njop_bumi_per_m2": 1000000}
            call bapenda.pbb.atur_tarif {"njoptkp": 10000000, "lapisan": [{"tarif_basis_poin": 10}], "dasar_hukum": "Perda uji coba nomor 1"} as \(staff)
            lua
            """)
        #expect(result.status == 1)
        let out = result.stdout
        #expect(out.contains("status ok"), "\(out)")
        #expect(out.contains("samarinda-default"))
        #expect(out.range(of: "bapenda.pbb +loaded +1.0.0 +bapenda +3", options: .regularExpression) != nil, "an admin key sees /v1/plugins: \(out)")
        #expect(out.contains("plugins:   6 loaded, 0 failed"))
        #expect(out.contains("Standar Pelayanan Kartu Tanda Penduduk Elektronik (KTP-el)"), "search over /v1/search")
        #expect(out.contains("Persetujuan Bangunan Gedung (PBG)"), "docs over /v1/documents")
        #expect(out.contains("\"pbb_terutang\" : 90000") || out.contains("\"pbb_terutang\": 90000"), "\(out)")
        #expect(out.contains("(HTTP 403)"), "the staff key may not set tariffs")
        #expect(out.contains("works on the local data folder only"))
    }
}

extension ConsoleTerminalTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/bin/tmux")))
    func completesToolNamesAndPrincipalsAndSurvivesARunawayLuaLoop() throws {
        let cli = try CLI(pluginsDir: Repo.plugins)
        let session = "smd\(Int.random(in: 1000...9999))"
        let command = "\(CLI.binary.path) console --config \(cli.configPath)"
        _ = try sh(["new-session", "-d", "-s", session, "-x", "200", "-y", "50", "-c", cli.dir.path, command])
        defer { _ = try? sh(["kill-server"]) }
        _ = try screen(session, until: "samarinda>")
        // A plugin.tool name, then a department:role after 'as'.
        _ = try sh(["send-keys", "-t", session, "call bapenda.pbb.hit", "Tab"])
        #expect(try screen(session, until: "hitung_pbb").contains("samarinda> call bapenda.pbb.hitung_pbb"))
        _ = try sh(["send-keys", "-t", session, "C-u", "call bapenda.pbb.tarif_berlaku {} as disdukcapil:sta", "Tab"])
        #expect(try screen(session, until: "disdukcapil:staff").contains("as disdukcapil:staff"))
        _ = try sh(["send-keys", "-t", session, "Enter"])
        #expect(try screen(session, until: "dasar_hukum").contains("dasar_hukum"))
        _ = try sh(["send-keys", "-t", session, "C-l"])
        // Lua mode: a runaway loop is stopped by the CPU limit and the console keeps answering.
        _ = try sh(["send-keys", "-t", session, "lua", "Enter"])
        #expect(try screen(session, until: "lua>").contains("Lua mode"))
        _ = try sh(["send-keys", "-t", session, "while true do end", "Enter"])
        #expect(try screen(session, until: "CPU budget").contains("the console is still usable"))
        _ = try sh(["send-keys", "-t", session, "return 6 * 7", "Enter"])
        #expect(try screen(session, until: "42").contains("42"))
        _ = try sh(["send-keys", "-t", session, ".exit", "Enter", "plugins", "Enter"])
        #expect(try screen(session, until: "umum.naskah-dinas").contains("samarinda> plugins"))
        _ = try sh(["send-keys", "-t", session, "quit", "Enter"])
        usleep(300_000)
    }
}
