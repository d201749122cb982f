import CLua
import Crypto
import Foundation
import SamarindaCore
import Synchronization

/// A plugin as `plugin list` and the console show it.
public struct PluginStatus: Sendable {
    public enum State: String, Sendable { case loaded, failed, disabled }
    public let id: String
    public let folder: String
    public let state: State
    public let version: String?
    public let department: String?
    public let tools: [String]
    public let grants: PluginGrants?
    /// Why it did not load (each names file, key and line where it can).
    public let errors: [String]
    public internal(set) var warnings: [String]
    /// Bytes the loaded Lua state holds when idle.
    public let idleMemoryBytes: Int
}

/// A tool a principal may call, for `/v1/tools`, MCP and the chat API's function tools.
public struct PluginToolInfo: Sendable {
    public let plugin: String
    public let pluginVersion: String
    public let tool: String
    /// `<plugin>.<tool>`, e.g. `disdukcapil.syarat.cek_syarat` (stored: every listing sorts by it).
    public let qualifiedName: String
    public let description: String
    public let classification: Classification
    public let readOnly: Bool
    public let inputSchema: JSONValue
    public let outputSchema: JSONValue?
    /// `inputSchema` and `outputSchema` as compact JSON (sorted keys), serialized once when the plugin
    /// loads: tool listings splice these instead of serializing every schema on every request.
    public let inputSchemaJSON: Data
    public let outputSchemaJSON: Data?
}

/// What the operator console's `lua` mode gets back from a snippet.
public struct ConsoleEvaluation: Sendable {
    public let value: JSONValue?
    public let error: PluginError?
    /// `print` and `samarinda.log.*` lines, in order.
    public let output: [String]
}

final class LoadedPlugin: Sendable {
    let manifest: PluginManifest
    let grants: PluginGrants
    let worker: PluginWorker
    let folder: String
    let idleMemory: Int
    /// Each tool of the manifest with its listing, built once per load: a reload replaces the whole
    /// `LoadedPlugin`, so these can never outlive the manifest they came from.
    let tools: [(access: ToolAccess, info: PluginToolInfo)]
    init(manifest: PluginManifest, grants: PluginGrants, worker: PluginWorker, folder: String, idleMemory: Int) {
        self.manifest = manifest
        self.grants = grants
        self.worker = worker
        self.folder = folder
        self.idleMemory = idleMemory
        self.tools = manifest.tools.map { t in
            let access = t.access(plugin: manifest.id)
            return (access, PluginToolInfo(plugin: manifest.id, pluginVersion: manifest.version.description, tool: t.name,
                               qualifiedName: access.name, description: t.description,
                               classification: t.classification, readOnly: t.readOnly, inputSchema: t.inputSchema.source,
                               outputSchema: t.outputSchema?.source, inputSchemaJSON: Data(t.inputSchema.source.jsonBytes),
                               outputSchemaJSON: t.outputSchema.map { Data($0.source.jsonBytes) }))
        }
    }
}

/// The plugin registry and the one way into plugins: discovers the folders in
/// `[plugins] dir`, loads each into its own sandbox, reloads a plugin when its
/// files change (the new state is swapped in only if it loads cleanly; calls in
/// flight finish on the old one), and invokes tools with policy, schemas,
/// limits and one audit event per call.
public final class PluginHost: Sendable {
    public let config: SamarindaConfig
    let services: any PluginHostServices
    let audit: any AuditSink
    let kv: PluginKV?
    let log: PluginLogHandler?
    /// Where the last recorded plugin loads are kept (see `load`); nil: every load is recorded.
    let database: Database?
    /// Who may list and call which tool: the platform's one policy (this module cannot import it).
    let policy: any AccessAuthority

    struct Slot {
        var plugin: LoadedPlugin?
        var status: PluginStatus
        var fingerprint: String
        var lastChecked: Int64
        /// When a rescan first found the folder gone (ns, `clua_now_ns`); nil while it is there.
        var missingSince: Int64? = nil
    }
    private let slots = Mutex<[String: Slot]>([:])
    private let watcher = Mutex<Task<Void, Never>?>(nil)

    public init(config: SamarindaConfig, services: any PluginHostServices, audit: any AuditSink,
                database: Database?, policy: any AccessAuthority, log: PluginLogHandler? = nil) {
        self.config = config
        self.policy = policy
        self.services = services
        self.audit = audit
        self.kv = database.map { PluginKV(database: $0) }
        self.log = log
        self.database = database
    }

    /// Loads every plugin and, when `[plugins] watch` is on, starts watching the folder.
    public func start() async {
        await refresh()
        guard config.plugins.watch else { return }
        let interval = UInt64(max(config.plugins.watchIntervalMillis, 50)) * 1_000_000
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: interval)
                guard let self else { return }
                await self.refresh()
            }
        }
        watcher.withLock { $0?.cancel(); $0 = task }
    }

    public func stop() {
        watcher.withLock { $0?.cancel(); $0 = nil }
    }

    public var pluginsDirectory: String { config.plugins.dir }

    // MARK: Discovery and reload

    /// Rescans the plugins folder: loads new plugins, reloads changed ones, unloads removed ones.
    ///
    /// A folder that vanished is unloaded once it has stayed away for one watch interval, not at the first scan
    /// that misses it: replacing a plugin the usual way (`rm -rf` or `mv` the old folder, then copy the new one
    /// in) leaves a moment with no folder, and a scan landing there would otherwise drop a plugin that is being
    /// replaced, with nothing to fall back on if the new copy turns out broken. Until then the loaded version
    /// keeps serving and `plugin list` says the folder is missing. An operator's explicit reload (the
    /// console's `reload`) passes `unloadMissingNow`: what they removed is gone when the command returns.
    public func refresh(unloadMissingNow: Bool = false) async {
        let dir = config.plugins.dir
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { !$0.hasPrefix(".") && !$0.hasPrefix("_") }
            .filter { var isDir: ObjCBool = false; return FileManager.default.fileExists(atPath: dir + "/" + $0, isDirectory: &isDir) && isDir.boolValue }
            .sorted()
        let now = clua_now_ns()
        let grace = unloadMissingNow ? 0 : Int64(config.plugins.watchIntervalMillis) * 1_000_000
        let present = Set(names)
        let unloaded = slots.withLock { s -> [String] in
            var gone: [String] = []
            for id in Array(s.keys) {
                if present.contains(id) { s[id]?.missingSince = nil; continue }
                let since = s[id]?.missingSince ?? now
                if now - since >= grace {
                    s.removeValue(forKey: id)
                    gone.append(id)
                } else {
                    s[id]?.missingSince = since
                }
            }
            return gone.sorted()
        }
        for removed in unloaded {
            try? await audit.record(AuditEvent(actor: AuditActor(.system), action: "plugin.unload", target: removed,
                                               fields: ["reason": "folder removed"]))
        }
        for name in names { await reloadIfChanged(name, force: false) }
    }

    /// Reloads `id` when its folder's files changed since the last load.
    func reloadIfChanged(_ id: String, force: Bool) async {
        guard !id.isEmpty, !id.hasPrefix("."), !id.contains("/") else { return }  // a folder name, never a path
        let folder = config.plugins.dir + "/" + id
        guard FileManager.default.fileExists(atPath: folder) else { return }
        let now = clua_now_ns()
        let interval = Int64(config.plugins.watchIntervalMillis) * 1_000_000
        // Claim the check so concurrent callers do not reload the same plugin twice.
        let due = slots.withLock { s -> Bool in
            if let slot = s[id], !force, now - slot.lastChecked < interval { return false }
            s[id]?.lastChecked = now
            return true
        }
        guard due else { return }
        let print = Self.fingerprint(folder)
        if let slot = slots.withLock({ $0[id] }), slot.fingerprint == print { return }
        let (plugin, status) = await load(folder: folder, id: id)
        slots.withLock { s in
            if let plugin {
                s[id] = Slot(plugin: plugin, status: status, fingerprint: print, lastChecked: now)
            } else if var old = s[id], old.plugin != nil {
                // A broken edit: keep serving the last good version, report the errors.
                old.fingerprint = print
                old.status = PluginStatus(id: id, folder: folder, state: .loaded, version: old.status.version, department: old.status.department,
                                          tools: old.status.tools, grants: old.status.grants,
                                          errors: ["the edited version does not load; still serving \(old.status.version ?? "the previous version")"] + status.errors,
                                          warnings: old.status.warnings, idleMemoryBytes: old.status.idleMemoryBytes)
                s[id] = old
            } else {
                s[id] = Slot(plugin: nil, status: status, fingerprint: print, lastChecked: now)
            }
        }
    }

    /// Files, sizes and modification times (ns) under `folder`: changes when any file does.
    static func fingerprint(_ folder: String) -> String {
        var parts: [String] = []
        let files = FileManager.default.enumerator(atPath: folder)
        while let rel = files?.nextObject() as? String {
            var st = stat()
            guard stat(folder + "/" + rel, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            parts.append("\(rel):\(st.st_size):\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)")
        }
        return parts.sorted().joined(separator: "|")
    }

    func environment(for manifest: PluginManifest, grants: PluginGrants) -> SandboxEnvironment {
        SandboxEnvironment(pluginID: manifest.id, pluginVersion: manifest.version.description, grants: grants, limits: manifest.limits,
                           services: services, kv: kv, audit: audit, log: log)
    }

    /// Loads one plugin folder; audits the outcome (`plugin.load`).
    func load(folder: String, id: String) async -> (LoadedPlugin?, PluginStatus) {
        let result = await Self.build(folder: folder, config: config) { self.environment(for: $0, grants: $1) }
        let status = result.status
        var fields: [String: String] = ["folder": folder]
        if let g = status.grants {
            fields["requested"] = g.requested.joined(separator: ",")
            fields["granted"] = g.granted.joined(separator: ",")
            fields["denied"] = g.denied.joined(separator: ",")
        }
        if let v = status.version { fields["version"] = v }
        if !status.errors.isEmpty { fields["errors"] = String(status.errors.joined(separator: "\n").prefix(4000)) }
        let outcome: AuditEvent.Outcome = status.state == .loaded ? .ok : status.state == .disabled ? .denied(code: "disabled") : .error(code: "load_failed")
        fields["files_sha256"] = Self.contentDigest(folder)
        let event = AuditEvent(actor: AuditActor(.system), action: "plugin.load", target: id, outcome: outcome, fields: fields)
        // Recorded when what was loaded changed (version, files, grants, outcome), not on every start
        // of every CLI command: the state and its event commit together.
        let digest = Digest.sha256Hex(fields.keys.sorted().map { "\($0)=\(fields[$0]!)" }.joined(separator: "\n") + "\n" + outcome.name)
        if let database {
            _ = try? await audit.commit(in: database) { c -> (Bool, AuditEvent?) in
                let last = try c.queryFirst("SELECT digest FROM plugin_load_state WHERE plugin = ?", [.text(id)]) { $0.text(0) }
                guard last != digest else { return (false, nil) }
                try c.run("INSERT INTO plugin_load_state (plugin, digest) VALUES (?, ?) ON CONFLICT (plugin) DO UPDATE SET digest = excluded.digest",
                          [.text(id), .text(digest)])
                return (true, event)
            }
        } else {
            try? await audit.record(event)
        }
        return (result.plugin, status)
    }

    /// SHA-256 over every regular file's path and bytes under `folder`: what the plugin is, whatever the file times say.
    static func contentDigest(_ folder: String) -> String {
        var parts: [String] = []
        let files = FileManager.default.enumerator(atPath: folder)
        while let rel = files?.nextObject() as? String {
            var st = stat()
            guard stat(folder + "/" + rel, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size < 16 << 20,
                  let data = FileManager.default.contents(atPath: folder + "/" + rel) else { continue }
            parts.append(rel + ":" + Digest.sha256Hex(data))
        }
        return Digest.sha256Hex(parts.sorted().joined(separator: "\n"))
    }

    struct BuildResult {
        let plugin: LoadedPlugin?
        let status: PluginStatus
    }

    /// Manifest, grants, sandbox, entry chunk, handlers: every check `plugin check` runs.
    static func build(folder: String, config: SamarindaConfig,
                      environment: (PluginManifest, PluginGrants) -> SandboxEnvironment) async -> BuildResult {
        let id = (folder as NSString).lastPathComponent
        func failed(_ errors: [String], _ manifest: PluginManifest? = nil, _ grants: PluginGrants? = nil) -> BuildResult {
            BuildResult(plugin: nil, status: PluginStatus(id: id, folder: folder, state: .failed, version: manifest?.version.description,
                                                         department: manifest?.department, tools: manifest?.tools.map(\.name) ?? [],
                                                         grants: grants, errors: errors, warnings: manifest?.warnings ?? [], idleMemoryBytes: 0))
        }
        let manifest: PluginManifest
        switch PluginManifest.load(folder: folder, config: config) {
        case .failure(let errors): return failed(errors.errors.map(\.description))
        case .success(let m): manifest = m
        }
        let grants = PluginGrants(pluginID: manifest.id, department: manifest.department, requested: manifest.capabilities, config: config)
        var warnings = manifest.warnings
        if !grants.denied.isEmpty {
            warnings.append("asks for \(grants.denied.joined(separator: ", ")) but the operator policy does not grant it; loaded without")
        }
        if config.plugins.disabled.contains(manifest.id) {
            return BuildResult(plugin: nil, status: PluginStatus(id: id, folder: folder, state: .disabled, version: manifest.version.description,
                                                                department: manifest.department, tools: manifest.tools.map(\.name), grants: grants,
                                                                errors: [], warnings: warnings, idleMemoryBytes: 0))
        }
        let entryPath = folder + "/" + manifest.entry
        guard let source = try? String(contentsOfFile: entryPath, encoding: .utf8) else {
            return failed(["\(entryPath): cannot read the entry file"], manifest, grants)
        }
        let worker: PluginWorker
        do {
            worker = try PluginWorker(environment: environment(manifest, grants), source: source, chunkName: "\(manifest.id)/\(manifest.entry)")
        } catch {
            return failed(["\(entryPath): \(error.message)"], manifest, grants)
        }
        var errors: [String] = []
        for (i, tool) in manifest.tools.enumerated() where !(await worker.hasFunction(tool.handler)) {
            errors.append("\(folder)/plugin.toml: tools[\(i)].handler: '\(tool.handler)' is not a function exported by \(manifest.entry); return it in the table at the end of \(manifest.entry)")
        }
        if !errors.isEmpty { return failed(errors, manifest, grants) }
        let memory = await worker.settledMemory()
        let plugin = LoadedPlugin(manifest: manifest, grants: grants, worker: worker, folder: folder, idleMemory: memory)
        return BuildResult(plugin: plugin, status: PluginStatus(id: id, folder: folder, state: .loaded, version: manifest.version.description,
                                                               department: manifest.department, tools: manifest.tools.map(\.name), grants: grants,
                                                               errors: [], warnings: warnings, idleMemoryBytes: memory))
    }

    /// Every plugin found, loaded or not.
    public func status() -> [PluginStatus] {
        slots.withLock { s in
            s.values.map { slot in
                guard slot.missingSince != nil else { return slot.status }
                var status = slot.status
                status.warnings.insert("the folder \(status.folder) is missing; the loaded version is unloaded at the next check if it stays away", at: 0)
                return status
            }
        }.sorted { $0.id < $1.id }
    }

    // MARK: Policy

    /// Whether `principal` may call `tool`, by the platform's policy (department `allowed`, `roles`,
    /// clearance; auditors call no tools). Nil when allowed, else why not.
    static func denial(_ policy: any AccessAuthority, _ principal: Principal, _ tool: ToolManifest, _ plugin: String) -> AccessDecision? {
        denial(policy, principal, tool.access(plugin: plugin))
    }

    /// `denial` for a tool whose policy view was built when its plugin loaded.
    static func denial(_ policy: any AccessAuthority, _ principal: Principal, _ access: ToolAccess) -> AccessDecision? {
        let decision = policy.decide(.callTool(access), for: principal)
        return decision.allowed ? nil : decision
    }

    /// The tools `principal` may call, with their schemas.
    public func tools(for principal: Principal) -> [PluginToolInfo] {
        let loaded = slots.withLock { $0.values.compactMap(\.plugin) }
        // The policy runs on every call (who may use what can differ per caller and per load); the
        // listings themselves were built when the plugin loaded.
        return loaded.flatMap { p in
            p.tools.filter { Self.denial(policy, principal, $0.access) == nil }.map(\.info)
        }.sorted { $0.qualifiedName < $1.qualifiedName }
    }

    /// The classification a loaded tool's output carries, without building the caller's tool list.
    public func classification(ofTool name: String, in plugin: String) -> Classification? {
        slots.withLock { $0[plugin]?.plugin?.manifest.tool(name)?.classification }
    }

    // MARK: Invocation

    /// Invokes `<plugin>.<tool>` for `principal`: input schema → policy → sandbox under limits →
    /// output schema → JSON. Every invocation, allowed or denied, writes one `tool.call` audit event.
    public func invoke(plugin id: String, tool name: String, arguments: JSONValue, as principal: Principal,
                       requestID: String? = nil) async throws(PluginError) -> JSONValue {
        try await invokeClassified(plugin: id, tool: name, arguments: arguments, as: principal, requestID: requestID).output
    }

    /// `invoke`, with the classification of the tool as declared by the very plugin version that ran it.
    public func invokeClassified(plugin id: String, tool name: String, arguments: JSONValue, as principal: Principal,
                                 requestID: String? = nil) async throws(PluginError) -> (output: JSONValue, classification: Classification) {
        let clock = ContinuousClock.now
        // A name that is not a plugin id (`..`, `/`, upper case) never reaches the file system.
        let wellFormed = id.wholeMatch(of: PluginManifest.idPattern) != nil
        if config.plugins.watch, wellFormed { await reloadIfChanged(id, force: false) }
        let plugin = wellFormed ? slots.withLock { $0[id]?.plugin } : nil
        let tool = plugin?.manifest.tool(name)
        var outcome = SandboxOutcome(result: .failure(.notFound("")), capabilitiesUsed: [], capabilitiesDenied: [])
        var refusal: AccessDecision?
        if !wellFormed {
            outcome = .init(result: .failure(.notFound("'\(id.prefix(100))' is not a plugin id; ids are <department>.<name> in lowercase, e.g. disdukcapil.syarat")), capabilitiesUsed: [], capabilitiesDenied: [])
        } else if plugin == nil {
            outcome = .init(result: .failure(.notFound("no plugin '\(id)' is loaded; see 'samarinda plugin list'")), capabilitiesUsed: [], capabilitiesDenied: [])
        } else if tool == nil {
            outcome = .init(result: .failure(.notFound("plugin \(id) has no tool '\(name)'; it has: \(plugin!.manifest.tools.map(\.name).joined(separator: ", "))")), capabilitiesUsed: [], capabilitiesDenied: [])
        } else if let decision = Self.denial(policy, principal, tool!, id) {
            refusal = decision
            outcome = .init(result: .failure(.forbidden(decision.message)), capabilitiesUsed: [], capabilitiesDenied: [])
        } else if case let problems = tool!.inputSchema.validate(arguments), !problems.isEmpty {
            outcome = .init(result: .failure(.invalidArguments("arguments do not match the input schema of \(id).\(name): " + problems.joined(separator: "; "))), capabilitiesUsed: [], capabilitiesDenied: [])
        } else {
            let plugin = plugin!, tool = tool!
            let context = PluginCallContext(principal: principal, pluginID: id, pluginVersion: plugin.manifest.version.description, tool: name,
                                            requestID: requestID, classification: min(tool.classification, principal.clearance))
            outcome = await plugin.worker.call(handler: tool.handler, arguments: [arguments], context: context)
            if case .success(let value) = outcome.result, let schema = tool.outputSchema {
                let normalized = schema.normalizingEmptyTables(value)
                let problems = schema.validate(normalized)
                outcome = .init(result: problems.isEmpty ? .success(normalized)
                                    : .failure(.pluginError("the tool's output does not match its output schema: " + problems.joined(separator: "; "), traceback: nil)),
                                capabilitiesUsed: outcome.capabilitiesUsed, capabilitiesDenied: outcome.capabilitiesDenied)
            }
        }

        let elapsed = ContinuousClock.now - clock
        var fields: [String: String] = [
            "plugin": String(id.prefix(200)), "tool": String(name.prefix(200)),
            "capabilities_used": outcome.capabilitiesUsed.joined(separator: ","),
        ]
        let content = AuditContentRule(config: config)
        fields["arguments"] = content.value(arguments.jsonText, .toolArguments, department: principal.department, sink: audit)
        if let plugin { fields["plugin_version"] = plugin.manifest.version.description }
        if let tool { fields["read_only"] = tool.readOnly ? "true" : "false" }
        if !outcome.capabilitiesDenied.isEmpty { fields["capabilities_denied"] = outcome.capabilitiesDenied.joined(separator: ",") }
        // Which rule refused (role, department, clearance, the tool's roles), as the policy names it.
        if let refusal { fields["policy"] = refusal.code }
        let auditOutcome: AuditEvent.Outcome
        switch outcome.result {
        case .success: auditOutcome = .ok
        case .failure(let e):
            // A keyed digest, like the arguments: a message may echo what the caller sent (a NIK, a name).
            fields["error"] = content.value(e.message, .toolError, department: principal.department, sink: audit, limit: 1000)
            if case .limitExceeded(let which, _) = e { fields["limit"] = which.rawValue }
            switch e {
            case .forbidden, .notFound, .invalidArguments, .conflict: auditOutcome = .denied(code: e.code)
            default: auditOutcome = .error(code: e.code)
            }
        }
        let event = AuditEvent(actor: AuditActor(principal), action: "tool.call", target: "\(id.prefix(200)).\(name.prefix(200))",
                               classification: tool?.classification ?? .biasa, outcome: auditOutcome,
                               durationMicros: elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000,
                               fields: fields, requestID: requestID)
        do {
            try await audit.record(event)
        } catch {
            // An action is reported done only after its audit event is.
            throw PluginError.unavailable("the audit trail could not record this call, so its result is withheld; retry shortly (\(error))")
        }
        switch outcome.result {
        case .success(let v): return (v, tool?.classification ?? .biasa)
        case .failure(let e): throw e.visible(to: principal)
        }
    }

    /// `plugin.tool` split at the last dot.
    public static func split(_ qualified: String) -> (plugin: String, tool: String)? {
        guard let dot = qualified.lastIndex(of: "."), qualified[..<dot].contains(".") else { return nil }
        return (String(qualified[..<dot]), String(qualified[qualified.index(after: dot)...]))
    }

    static func digest(_ text: String) -> String { Digest.sha256Hex(text) }

    // MARK: Console

    /// Evaluates a Lua snippet in a fresh sandbox acting as `principal`, with the host API a plugin
    /// of the principal's department gets by default (no kv: a snippet has no plugin to own keys).
    /// Audited as `console.lua`.
    public func evaluate(_ source: String, as principal: Principal, requestID: String? = nil) async -> ConsoleEvaluation {
        let lines = Mutex<[String]>([])
        let requested = Capability.departmentDefaults(principal.department).subtracting(["kv"]).sorted()
        let grants = PluginGrants(pluginID: "console", department: principal.department, requested: requested, config: SamarindaConfig())
        let environment = SandboxEnvironment(pluginID: "console", pluginVersion: SamarindaVersion.current, grants: grants, limits: PluginLimits(),
                                             services: services, kv: nil, audit: audit, log: { line in
                                                 lines.withLock { $0.append(line.level == "info" ? line.message : "[\(line.level)] \(line.message)") }
                                             })
        let outcome: SandboxOutcome
        do {
            let worker = try PluginWorker(environment: environment, source: "return {}", chunkName: "console")
            let context = PluginCallContext(principal: principal, pluginID: "console", pluginVersion: SamarindaVersion.current, tool: "lua",
                                            requestID: requestID, classification: principal.clearance)
            outcome = await worker.run(source: source, chunkName: "console", context: context, expression: true)
        } catch {
            outcome = SandboxOutcome(result: .failure(error), capabilitiesUsed: [], capabilitiesDenied: [])
        }
        // The snippet itself, by the one content rule (operator source is recorded in full), and its
        // plain SHA-256 so a copy of the code can be matched against the trail.
        var fields = ["source": AuditContentRule(config: config).value(source, .operatorSource, department: principal.department, sink: audit),
                      "source_sha256": Self.digest(source), "capabilities_used": outcome.capabilitiesUsed.joined(separator: ",")]
        if case .failure(let e) = outcome.result { fields["error"] = String(e.message.prefix(1000)) }
        try? await audit.record(AuditEvent(actor: AuditActor(principal), action: "console.lua", target: "lua",
                                           outcome: { if case .failure(let e) = outcome.result { return .error(code: e.code) }; return .ok }(),
                                           fields: fields, requestID: requestID))
        switch outcome.result {
        case .success(let v): return ConsoleEvaluation(value: v, error: nil, output: lines.withLock { $0 })
        case .failure(let e): return ConsoleEvaluation(value: nil, error: e, output: lines.withLock { $0 })
        }
    }
}

extension PluginHost {
    /// Every check of loading, for `samarinda plugin check DIR`, without starting a host: manifest,
    /// schemas, capabilities against policy, entry file compiles and runs, handlers exist.
    public static func check(folder: String, config: SamarindaConfig) async -> PluginStatus {
        await build(folder: folder, config: config) { manifest, grants in
            SandboxEnvironment(pluginID: manifest.id, pluginVersion: manifest.version.description, grants: grants, limits: manifest.limits,
                               services: UnavailablePluginServices(), kv: nil, audit: MemoryAuditSink(), log: nil)
        }.status
    }
}
