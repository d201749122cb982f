import Foundation

extension SamarindaConfig {
    /// Where the configuration comes from: `--config FILE`, else `$SAMARINDA_CONFIG`, else
    /// `./samarinda.toml` if present, else the embedded defaults.
    public static func resolvePath(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                                   workingDirectory: String = FileManager.default.currentDirectoryPath) -> String? {
        if let explicit { return explicit }
        if let env = environment["SAMARINDA_CONFIG"], !env.isEmpty { return env }
        let local = workingDirectory + "/samarinda.toml"
        return FileManager.default.fileExists(atPath: local) ? (workingDirectory == FileManager.default.currentDirectoryPath ? "samarinda.toml" : local) : nil
    }

    /// Loads the configuration the way every command does (see `resolvePath`).
    public static func load(explicitPath: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                            workingDirectory: String = FileManager.default.currentDirectoryPath) throws -> SamarindaConfig {
        let path = resolvePath(explicit: explicitPath, environment: environment, workingDirectory: workingDirectory)
        guard let path else { return .defaults }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigErrors([ConfigError(file: path, key: "", line: nil,
                message: FileManager.default.fileExists(atPath: path)
                    ? "cannot read the file as UTF-8 text"
                    : "no such file; pass an existing file with --config or SAMARINDA_CONFIG, or remove the option to run on the embedded defaults")])
        }
        return try parse(text, file: path)
    }

    /// Parses configuration text over the embedded defaults. Throws `ConfigErrors` listing every problem.
    public static func parse(_ text: String, file: String = "samarinda.toml") throws -> SamarindaConfig {
        let doc = TOMLDocument(file: file, text: text)
        var config = SamarindaConfig()
        config.sourcePath = file
        let root = doc.root

        if let s = root.section("server") {
            if let listen = s.string("listen") {
                if let (host, port) = parseListen(listen) {
                    config.server.host = host
                    config.server.port = port
                } else {
                    s.fail("listen", "'\(listen)' is not HOST:PORT (e.g. \"127.0.0.1:8080\", \"[::1]:8080\", port 0–65535)")
                }
            }
            if let v = s.int("max_body_bytes", range: 1024...(1 << 30)) { config.server.maxBodyBytes = v }
            if let v = s.int("request_timeout_ms", range: 100...3_600_000) { config.server.requestTimeoutMillis = v }
            if let v = s.int("shutdown_grace_ms", range: 0...600_000) { config.server.shutdownGraceMillis = v }
            if let v = s.bool("web") { config.server.web = v }
            if let v = s.oneOf("log_format", ["text", "json"]) { config.server.logFormat = v }
            s.finish()
        }

        if let s = root.section("storage") {
            if let v = s.string("path") {
                if v.isEmpty { s.fail("path", "must not be empty; e.g. \"data/samarinda.db\"") } else { config.storage.path = v }
            }
            if let v = s.int("busy_timeout_ms", range: 0...600_000) { config.storage.busyTimeoutMillis = v }
            if let v = s.oneOf("synchronous", ["full", "normal"]) { config.storage.synchronousFull = v == "full" }
            s.finish()
        }

        if let s = root.section("departments") {
            var departments: [DepartmentConfig] = []
            for id in s.keys.sorted() {
                guard let d = s.section(id) else { continue }
                if !isValidDepartmentID(id) {
                    s.fail(id, "department id must be lowercase letters, digits and '-' (e.g. \"dinas-pupr\")")
                }
                guard let name = d.string("name") else {
                    if !d.has("name") { d.fail("name", "missing; give the department's full name, e.g. name = \"Dinas Kesehatan\"") }
                    d.finish()
                    continue
                }
                departments.append(DepartmentConfig(id: id, name: name))
                d.finish()
            }
            if !departments.contains(where: { $0.id == "public" }) {
                departments.append(DepartmentConfig(id: "public", name: "Informasi publik (semua perangkat daerah)"))
            }
            config.departments = departments
        }
        let departmentIDs = Set(config.departments.map(\.id))

        if let s = root.section("roles") {
            for key in s.keys {
                guard let role = Role(rawValue: key) else {
                    _ = s.raw(key)
                    s.fail(key, "unknown role; allowed: \(Role.allowedNames)")
                    continue
                }
                guard let r = s.section(key) else { continue }
                var rc = config.role(role)
                if let c = r.classification("clearance") { rc.clearance = c }
                if let v = r.int("requests_per_minute", range: 1...1_000_000) { rc.requestsPerMinute = v }
                r.finish()
                config.roles[role] = rc
            }
        }

        if let s = root.section("plugins") {
            if let v = s.string("dir") { config.plugins.dir = v }
            if let v = s.bool("watch") { config.plugins.watch = v }
            if let v = s.int("watch_interval_ms", range: 50...3_600_000) { config.plugins.watchIntervalMillis = v }
            if let v = s.strings("disabled") { config.plugins.disabled = v }
            if let l = s.section("max_limits") {
                if let v = l.int("memory_mb", range: 1...4096) { config.plugins.maxLimits.memoryMB = v }
                if let v = l.int("cpu_ms", range: 1...3_600_000) { config.plugins.maxLimits.cpuMillis = v }
                if let v = l.int("timeout_ms", range: 1...3_600_000) { config.plugins.maxLimits.timeoutMillis = v }
                l.finish()
            }
            if let g = s.section("grants") {
                for id in g.keys.sorted() {
                    guard let entry = g.section(id) else { continue }
                    config.plugins.grants[id] = PluginGrant(add: entry.strings("add") ?? [], remove: entry.strings("remove") ?? [])
                    entry.finish()
                }
            }
            s.finish()
        }

        if let s = root.section("audit") {
            if let v = s.int("checkpoint_every", range: 1...10_000_000) { config.audit.checkpointEvery = v }
            if let v = s.string("origin") {
                if v.isEmpty || v.contains("\n") { s.fail("origin", "must be one non-empty line, e.g. \"samarinda.ai/audit\"") } else { config.audit.origin = v }
            }
            if let v = s.string("key_path") { config.audit.keyPath = v }
            if let v = s.int("group_commit_ms", range: 0...1000) { config.audit.groupCommitMillis = v }
            if let v = s.strings("full_content_departments") {
                for d in v where !departmentIDs.contains(d) {
                    s.fail("full_content_departments", "unknown department '\(d)'; known: \(departmentIDs.sorted().joined(separator: ", "))")
                }
                config.audit.fullContentDepartments = v
            }
            s.finish()
        }

        if let list = root.sections("providers") {
            var providers: [ProviderConfig] = []
            for p in list {
                guard let name = p.string("name"), let kindName = p.oneOf("kind", ProviderKind.allCases.map(\.rawValue)),
                      let kind = ProviderKind(rawValue: kindName) else {
                    if !p.has("name") { p.fail("name", "missing; every provider needs a unique name") }
                    if !p.has("kind") { p.fail("kind", "missing; allowed: \(ProviderKind.allowedNames)") }
                    _ = p.keys.map { p.raw($0) }
                    continue
                }
                if providers.contains(where: { $0.name == name }) { p.fail("name", "duplicate provider name '\(name)'") }
                var pc = ProviderConfig(name: name, kind: kind)
                if kind == .offline { pc.maxClassification = .sangatRahasia }
                if let v = p.bool("enabled") { pc.enabled = v }
                if let v = p.string("base_url") {
                    if URL(string: v)?.scheme.map({ ["http", "https"].contains($0) }) != true {
                        p.fail("base_url", "'\(v)' is not an http:// or https:// URL")
                    }
                    pc.baseURL = v
                }
                if let v = p.strings("base_urls") { parseFleet(v, provider: &pc, section: p) }
                if let v = p.int("health_check_ms", range: 100...600_000) { pc.healthCheckMillis = v }
                if let v = p.string("model") { pc.model = v }
                if let v = p.string("embedding_model") { pc.embeddingModel = v }
                if let v = p.string("api_key_env") { pc.apiKeyEnv = v }
                if let v = p.string("api_key") {
                    _ = v
                    p.fail("api_key", "secrets never go in the file; put the key in an environment variable and name it with api_key_env = \"NAME\"")
                }
                if let v = p.int("timeout_ms", range: 100...3_600_000) { pc.timeoutMillis = v }
                if let v = p.int("connect_timeout_ms", range: 100...600_000) { pc.connectTimeoutMillis = v }
                if let v = p.classification("max_classification") { pc.maxClassification = v }
                if let v = p.bool("external") { pc.external = v }
                if let v = p.int("max_concurrency", range: 1...10_000) { pc.maxConcurrency = v }
                if let v = p.int("retries", range: 0...10) { pc.retries = v }
                // Budget and price of this provider (issue 23).
                if let v = p.int("monthly_tokens", range: 0...BudgetRulesConfig.maxTokens) { pc.monthlyTokens = v }
                if let v = p.int("rupiah_per_1k_input", range: 0...1_000_000_000) { pc.rupiahPer1KInput = v }
                if let v = p.int("rupiah_per_1k_output", range: 0...1_000_000_000) { pc.rupiahPer1KOutput = v }
                if kind != .offline, pc.baseURL.isEmpty, pc.baseURLs.isEmpty { p.fail("base_url", "required (or base_urls for a fleet) for kind = \"\(kind.rawValue)\", e.g. \"http://127.0.0.1:8081/v1\"") }
                p.finish()
                providers.append(pc)
            }
            config.providers = providers
        }

        if let s = root.section("models") {
            var aliases: [ModelAlias] = []
            for alias in s.keys.sorted() {
                guard let chain = s.strings(alias) else { continue }
                if chain.isEmpty { s.fail(alias, "an alias needs at least one provider") }
                for name in chain where config.provider(name) == nil {
                    s.fail(alias, "unknown provider '\(name)'; configured: \(config.providers.map(\.name).joined(separator: ", "))")
                }
                aliases.append(ModelAlias(name: alias, providers: chain))
            }
            config.models = aliases
        } else {
            // Keep the default aliases pointing at providers that exist.
            config.models = config.models.map { ModelAlias(name: $0.name, providers: $0.providers.filter { config.provider($0) != nil }) }
                .filter { !$0.providers.isEmpty }
        }

        if let s = root.section("budgets") {
            for dept in s.keys.sorted() {
                guard let v = s.int(dept, range: 0...BudgetRulesConfig.maxTokens) else { continue }
                if !departmentIDs.contains(dept) {
                    s.fail(dept, "unknown department; known: \(departmentIDs.sorted().joined(separator: ", "))")
                }
                config.budgets[dept] = v
            }
        }

        if let s = root.section("budget_rules") {
            if let v = s.int("default_max_tokens", range: 1...1_000_000) { config.budgetRules.defaultMaxTokens = v }
            if let v = s.int("message_overhead_tokens", range: 0...10_000) { config.budgetRules.messageOverheadTokens = v }
            if let v = s.int("request_overhead_tokens", range: 0...1_000_000) { config.budgetRules.requestOverheadTokens = v }
            s.finish()
        }

        if let s = root.section("documents") {
            if let v = s.int("chunk_chars", range: 200...100_000) { config.documents.chunkChars = v }
            if let v = s.int("overlap_chars", range: 0...50_000) { config.documents.overlapChars = v }
            if config.documents.overlapChars >= config.documents.chunkChars {
                s.fail("overlap_chars", "must be smaller than chunk_chars (\(config.documents.chunkChars))")
            }
            if let v = s.string("embedding_provider") {
                if !v.isEmpty, config.provider(v) == nil { s.fail("embedding_provider", "unknown provider '\(v)'") }
                config.documents.embeddingProvider = v
            }
            if let v = s.string("seed_dir") { config.documents.seedDir = v }
            if let v = s.strings("synonyms") { config.documents.synonyms = v }
            if let sh = s.section("shares") {
                for collection in sh.keys.sorted() {
                    guard let depts = sh.strings(collection) else { continue }
                    for d in depts where !departmentIDs.contains(d) {
                        sh.fail(collection, "unknown department '\(d)'")
                    }
                    config.documents.shares[collection] = depts
                }
            }
            s.finish()
        }

        if let s = root.section("backup") { parseBackup(s, into: &config) }

        if let s = root.section("pii") {
            if let v = s.bool("refuse_sensitive_external") { config.pii.refuseSensitiveExternal = v }
            if let v = s.strings("internal_hosts") { config.pii.internalHosts = v.map { $0.lowercased() } }
            s.finish()
        }

        if let s = root.section("security") { SamarindaConfig.parseSecurity(s, into: &config) }
        if let s = root.section("auth") { SamarindaConfig.parseAuth(s, into: &config) }

        if let s = root.section("retention") { SamarindaConfig.parseRetention(s, into: &config) }
        if let s = root.section("pdp") { SamarindaConfig.parsePDP(s, into: &config) }
        if let s = root.section("chat") { SamarindaConfig.parseChat(s, into: &config) }

        root.finish(allowed: ["server", "storage", "departments", "roles", "plugins", "audit", "providers", "models", "budgets", "budget_rules", "documents", "security", "pii", "backup", "auth", "retention", "pdp", "chat"])
        if !doc.errors.isEmpty { throw ConfigErrors(doc.errors) }
        return config
    }

    public static func parseListen(_ value: String) -> (String, Int)? {
        let host: String
        let portText: Substring
        if value.hasPrefix("[") {
            guard let close = value.firstIndex(of: "]") else { return nil }
            host = String(value[value.index(after: value.startIndex)..<close])
            let rest = value[value.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = value.lastIndex(of: ":") else { return nil }
            host = String(value[..<colon])
            portText = value[value.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else { return nil }
        return (host, port)
    }

    public static func isValidDepartmentID(_ id: String) -> Bool {
        !id.isEmpty && id.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    }
}
