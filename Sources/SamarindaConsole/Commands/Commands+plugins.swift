import Foundation
import SamarindaAudit
import SamarindaCore
import SamarindaPlugins
import SamarindaRuntime

extension Console {
    /// Plugins load lazily at the console: the first command that needs them scans the folder once.
    func loadedPlugins(_ p: SamarindaRuntime.Platform) async -> [PluginStatus] {
        if !pluginsScanned {
            await p.plugins.refresh()
            pluginsScanned = true
        }
        return p.plugins.status()
    }

    /// Who a command acts as: the operator, an API key (`smd_…`), or `dept:role`, a synthetic
    /// principal with the role's clearance from config, recorded as the operator on behalf of it.
    func principal(for spec: String?) async throws -> Principal {
        guard let spec else { return principal }
        let p = try requireLocal("as <principal>")
        if spec.hasPrefix(KeyStore.prefix) {
            do { return .onBehalf(of: try await p.verifyKey(spec, via: .console), by: principal) } catch {
                throw ConsoleError("the API key was not accepted (\(error)); list keys with 'keys' or create one with 'key create'")
            }
        }
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else {
            throw ConsoleError("'as \(spec)': give an API key (smd_…) or department:role, e.g. 'as dinkes:staff'")
        }
        guard p.config.department(parts[0]) != nil else {
            throw ConsoleError("'as \(spec)': no department '\(parts[0])'; known: \(p.config.departments.map(\.id).joined(separator: ", "))")
        }
        guard let role = Role(rawValue: parts[1]) else {
            throw ConsoleError("'as \(spec)': unknown role '\(parts[1])'; allowed: \(Role.allowedNames)")
        }
        // Recorded as the operator on behalf of department:role, counted apart in the monthly report.
        let id = "\(parts[0]):\(role.rawValue)"
        return .onBehalf(of: Principal(id: id, name: id, department: parts[0], role: role, clearance: p.config.role(role).clearance), by: principal)
    }

    /// Candidates after `as`: every department:role pair.
    func principalCandidates() -> [String] {
        guard let p = backend.platform else { return [] }
        return p.config.departments.flatMap { d in Role.allCases.map { "\(d.id):\($0.rawValue)" } }
    }

    func pluginIDCandidates() async -> [String] {
        guard let p = backend.platform else { return [] }
        return await loadedPlugins(p).map(\.id)
    }

    func toolCandidates() async -> [String] {
        guard let p = backend.platform else { return [] }
        _ = await loadedPlugins(p)
        return p.plugins.tools(for: principal).map(\.qualifiedName)
    }
}

/// The word before the one being completed (`as`, `in`), if any.
func previousWord(_ words: [String], _ index: Int) -> String? {
    index >= 1 && index - 1 < words.count ? words[index - 1] : nil
}

/// One line saying what went wrong in a plugin call and what to do about it.
func describe(_ error: PluginError, plugin: String) -> String {
    let next: String
    switch error {
    case .notFound: next = "type 'plugins' to see what is loaded, or 'reload' after fixing the plugin"
    case .conflict: next = "the plugin refused the request as it stands; change the arguments and retry"
    case .invalidArguments: next = "see the input schema with 'plugin \(plugin)' and pass one JSON object"
    case .forbidden: next = "call as a principal the tool allows ('plugin \(plugin)' lists them) or as the operator"
    case .limitExceeded: next = "the call was stopped; make the plugin do less or raise [limits] in its plugin.toml"
    case .timeout: next = "the call was stopped; check what the plugin waits on or raise timeout_ms in its plugin.toml"
    case .pluginError: next = "the plugin failed; see 'audit tail --action tool.call' and fix its code"
    case .unavailable: next = "the platform could not record the call; check the disk and 'samarinda doctor', then retry"
    }
    return "\(error.code): \(error.message.replacingOccurrences(of: "\n", with: " ")) — \(next)"
}

extension ConsoleCommand {
    static let plugins = ConsoleCommand(
        name: "plugins", usage: "plugins", summary: "the plugins found, loaded or not",
        help: "One row per plugin folder: state (loaded, failed, disabled), version, department, tools, and the first load error. 'plugin <id>' shows one in full.",
        local: { console, _, p in
            let list = await console.loadedPlugins(p)
            if list.isEmpty { return .ok("No plugins in \(p.config.plugins.dir). Create one with 'samarinda plugin new'.") }
            let rows = list.map { s in
                [s.id, s.state == .loaded ? console.style.ok(s.state.rawValue) : console.style.warn(s.state.rawValue), s.version ?? "-", s.department ?? "-",
                 String(s.tools.count), s.errors.first.map { String($0.prefix(80)) } ?? ""]
            }
            return .ok(console.style.fit(TextTable(["PLUGIN", "STATE", "VERSION", "DEPT", "TOOLS", "PROBLEM"], rows).render(), hint: "use 'plugin <id>' for one plugin"))
        },
        remote: { _, _, r in
            // An admin key sees every plugin (/v1/plugins); any other key, the tools it may call.
            if let list = try? await r.call("GET", "/v1/plugins") as? [String: Any], let items = list["data"] as? [[String: Any]] {
                if items.isEmpty { return .ok("No plugins on \(r.baseURL).") }
                return .ok(TextTable(["PLUGIN", "STATE", "VERSION", "DEPT", "TOOLS", "PROBLEM"], items.map { i in
                    [i["id"] as? String ?? "?", i["state"] as? String ?? "?", i["version"] as? String ?? "-", i["department"] as? String ?? "-",
                     String((i["tools"] as? [String])?.count ?? 0), ((i["errors"] as? [String])?.first).map { String($0.prefix(80)) } ?? ""]
                }).render())
            }
            let page = try await r.call("GET", "/v1/tools") as? [String: Any]
            var byPlugin: [String: [String]] = [:]
            for t in page?["data"] as? [[String: Any]] ?? [] {
                byPlugin[t["plugin"] as? String ?? "?", default: []].append(t["tool"] as? String ?? "?")
            }
            if byPlugin.isEmpty { return .ok("No tools this key may call.") }
            return .ok(TextTable(["PLUGIN", "TOOLS"], byPlugin.sorted { $0.key < $1.key }.map { [$0.key, $0.value.sorted().joined(separator: ", ")] }).render())
        })

    static let plugin = ConsoleCommand(
        name: "plugin", usage: "plugin <id>", summary: "one plugin: manifest, tools, capabilities, errors, calls",
        help: "Shows the manifest summary, each tool with its classification and who may call it, the capabilities requested against those granted by policy, load errors and warnings, and the number of calls recorded in the audit trail.",
        complete: { console, index, _ in index == 0 ? await console.pluginIDCandidates() : [] }
    ) { console, args in
        guard let id = args.words.first else { throw ConsoleError("usage: plugin <id>; type 'plugins' for the list") }
        let p = try console.requireLocal("plugin")
        let list = await console.loadedPlugins(p)
        guard let status = list.first(where: { $0.id == id }) else {
            let near = list.map(\.id).min { editDistance($0, id) < editDistance($1, id) }.map { " Did you mean '\($0)'?" } ?? ""
            throw ConsoleError("no plugin '\(id)'.\(near) Type 'plugins' for the list")
        }
        var lines: [String] = []
        let manifest = try? PluginManifest.load(folder: status.folder, config: p.config).get()
        lines.append(console.style.bold("\(id) \(status.version ?? "")") + "  \(status.state.rawValue)" + (manifest.map { " — \($0.name)" } ?? ""))
        if let m = manifest {
            lines.append("department: \(m.department)   entry: \(m.entry)   host_api: \(m.hostAPI)")
            lines.append("limits: \(m.limits.memoryMB) MB, \(m.limits.cpuMillis) ms CPU, \(m.limits.timeoutMillis) ms wall")
            if !m.description.isEmpty { lines.append(m.description) }
        }
        lines.append("folder: \(status.folder)")
        if status.idleMemoryBytes > 0 { lines.append("idle memory: \(status.idleMemoryBytes / 1024) KiB") }
        // Call counts come from the audit trail: every invocation writes one tool.call event.
        var calls: [String: (ok: Int, failed: Int)] = [:]
        for r in (try? p.auditLog.tail(limit: 1_000_000, action: "tool.call")) ?? [] where r.event.target.hasPrefix(id + ".") {
            let tool = String(r.event.target.dropFirst(id.count + 1))
            if r.event.outcome == .ok { calls[tool, default: (0, 0)].ok += 1 } else { calls[tool, default: (0, 0)].failed += 1 }
        }
        let toolRows: [[String]] = manifest.map { m in
            m.tools.map { t in
                let c = calls[t.name] ?? (0, 0)
                return [t.name, t.classification.name, t.readOnly ? "yes" : "no", t.allowed.joined(separator: ","), "\(c.ok) ok, \(c.failed) failed"]
            }
        } ?? status.tools.map { [$0, "-", "-", "-", "\(calls[$0]?.ok ?? 0) ok, \(calls[$0]?.failed ?? 0) failed"] }
        if !toolRows.isEmpty {
            lines.append("")
            lines.append(TextTable(["TOOL", "CLASSIFICATION", "READ ONLY", "ALLOWED", "CALLS"], toolRows).render())
        }
        if let g = status.grants {
            lines.append("")
            lines.append("capabilities requested: \(g.requested.isEmpty ? "none" : g.requested.joined(separator: ", "))")
            lines.append("capabilities granted:   \(g.granted.isEmpty ? "none" : g.granted.joined(separator: ", "))")
            if !g.denied.isEmpty { lines.append(console.style.warn("capabilities denied:    \(g.denied.joined(separator: ", "))")) }
        }
        for e in status.errors { lines.append(console.style.error(e)) }
        for w in status.warnings { lines.append(console.style.warn("warning: ") + w) }
        return .ok(console.style.fit(lines.joined(separator: "\n"), hint: "use -c \"plugin \(id)\" and a pipe to see it all"))
    }

    static let reload = ConsoleCommand(
        name: "reload", usage: "reload [plugin]", summary: "rescan the plugins folder and report what changed",
        help: "Loads new plugins, reloads changed ones (a broken edit keeps the last good version serving), unloads removed ones. With a plugin id, reports only that plugin.",
        complete: { console, index, _ in index == 0 ? await console.pluginIDCandidates() : [] }
    ) { console, args in
        let p = try console.requireLocal("reload")
        let only = args.words.first
        let before = Dictionary(uniqueKeysWithValues: await console.loadedPlugins(p).map { ($0.id, $0) })
        if let only, before[only] == nil, !FileManager.default.fileExists(atPath: p.config.plugins.dir + "/" + only) {
            throw ConsoleError("no plugin '\(only)' in \(p.config.plugins.dir); type 'plugins' for the list")
        }
        // What changed is read back from the audit trail: each (re)load writes one plugin.load event.
        let mark = try p.auditLog.count()
        await p.plugins.refresh(unloadMissingNow: true)
        let after = Dictionary(uniqueKeysWithValues: p.plugins.status().map { ($0.id, $0) })
        let loads = try p.auditLog.tail(limit: 10_000, action: "plugin.load", afterSeq: mark)
        var rows: [[String]] = []
        for r in loads {
            let id = r.event.target
            guard only == nil || only == id else { continue }
            let state = after[id]
            let what: String
            switch r.event.outcome {
            case .ok: what = before[id] == nil ? "loaded" : "reloaded"
            default:
                what = state?.state == .disabled ? "disabled" : (before[id]?.state == .loaded && state?.state == .loaded ? "failed (still serving the previous version)" : "failed")
            }
            rows.append([id, what, state?.version ?? "-", state?.errors.first.map { String($0.prefix(100)) } ?? ""])
        }
        for id in before.keys.sorted() where after[id] == nil && (only == nil || only == id) { rows.append([id, "removed", "-", ""]) }
        if rows.isEmpty { return .ok(only.map { "\($0): unchanged" } ?? "No changes: \(after.count) plugin(s), none changed on disk.") }
        let failed = rows.contains { $0[1].hasPrefix("failed") }
        let table = TextTable(["PLUGIN", "CHANGE", "VERSION", "PROBLEM"], rows).render()
        return failed ? .failure(table + "\n" + console.style.error("a plugin failed to load; see 'plugin <id>' for its errors")) : .ok(table)
    }

    static let call = ConsoleCommand(
        name: "call", usage: "call <plugin>.<tool> {json} [as <principal>]", summary: "call a plugin tool, as the operator or someone else",
        help: """
            The arguments are one JSON object (default {}). 'as' takes an API key (smd_…) or department:role, e.g. 'as dinkes:staff' \
            (a stand-in principal with that role's clearance, audited as console:dinkes:staff). The same policy, schemas, \
            limits and audit as over the API apply.
            """,
        complete: { console, index, words in
            if previousWord(words, index) == "as" { return console.principalCandidates() }
            switch index {
            case 0: return await console.toolCandidates()
            case 1: return ["{}"]
            default: return ["as"]
            }
        }
    ) { console, raw in
        let (args, who) = raw.splittingAs()
        guard let name = args.words.first else { throw ConsoleError("usage: call <plugin>.<tool> {json} [as <principal>]; Tab completes tool names") }
        guard let (plugin, tool) = PluginHost.split(name) else {
            throw ConsoleError("'\(name)' is not <plugin>.<tool>, e.g. 'call bapenda.pbb.hitung_pbb {\"luas_bumi\": 100, \"njop_bumi_per_m2\": 1000000}'")
        }
        let jsonText = args.rest.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        let arguments: JSONValue
        do { arguments = try JSONValue.parse(jsonText.isEmpty ? "{}" : jsonText) } catch {
            throw ConsoleError("the arguments are not valid JSON: \(String(jsonText.prefix(40))); give one object, e.g. call \(name) {\"key\": \"value\"}")
        }
        guard case .object = arguments else { throw ConsoleError("the arguments must be a JSON object, e.g. {} or {\"key\": \"value\"}") }
        switch console.backend {
        case .local(let p):
            let caller = try await console.principal(for: who)
            _ = await console.loadedPlugins(p)
            do throws(PluginError) {
                let result = try await p.plugins.invoke(plugin: plugin, tool: tool, arguments: arguments, as: caller)
                return .ok(console.style.fit(result.prettyText, hint: "use -c and a pipe to see it all"))
            } catch {
                var text = console.style.error(describe(error, plugin: plugin))
                if case .pluginError(_, let traceback?) = error { text += "\n" + console.style.dim(traceback) }
                return .failure(text)
            }
        case .remote(let r):
            var service = r
            if let who {
                guard who.hasPrefix(KeyStore.prefix) else { throw ConsoleError("over --url, 'as' takes an API key (smd_…) only") }
                service = RemoteService(baseURL: r.baseURL, key: who)
            }
            let result = try await service.call("POST", "/v1/tools/\(plugin)/\(tool)", json: try JSONSerialization.jsonObject(with: Data(arguments.jsonText.utf8)))
            let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed])
            return .ok(String(decoding: data, as: UTF8.self))
        }
    }
}
