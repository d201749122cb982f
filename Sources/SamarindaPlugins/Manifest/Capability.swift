import SamarindaCore

/// What a plugin may do through the host API. A manifest asks for capabilities, the operator
/// policy (`[plugins.grants]`) decides, and every host call checks again.
///
///   docs.search:<department>   search (and get) that department's collections; `public` for public ones
///   model.generate, model.chat model access through the platform's router
///   kv                         the plugin's own persistent key/value store
///   http:<host>[:<port>]       outbound HTTP(S) to exactly that host, on port 443/80 (https/http) unless a
///                              port is named; a host name reaches public addresses only, an IP address
///                              (http:10.0.0.5, http:[fd00::5]) reaches exactly that address
///   pii.redact                 Indonesian personal-data redaction
///   audit.note                 add a note to the audit trail
///   log, json                  always available (they reach nothing outside the sandbox); may be listed
public enum Capability {
    static let simple: Set<String> = ["model.generate", "model.chat", "kv", "pii.redact", "audit.note", "log", "json"]

    /// Nil when valid, else what is wrong with `capability`.
    static func problem(_ capability: String, config: SamarindaConfig) -> String? {
        if simple.contains(capability) { return nil }
        if capability.hasPrefix("docs.search:") {
            let dept = String(capability.dropFirst("docs.search:".count))
            if config.department(dept) != nil || dept == "public" { return nil }
            return "unknown department '\(dept)' in '\(capability)'; known: \(config.departments.map(\.id).joined(separator: ", "))"
        }
        if capability.hasPrefix("http:") {
            return httpGrant(String(capability.dropFirst(5))) == nil
                ? "'\(capability)' must name one lowercase host and optionally a port, e.g. http:api.example.go.id, http:api.example.go.id:8443, http:10.0.0.5 or http:[fd00::5] (no scheme, path or wildcard)"
                : nil
        }
        return "unknown capability '\(capability)'; known: docs.search:<department>, docs.search:public, model.generate, model.chat, kv, http:<host>, pii.redact, audit.note, log, json"
    }

    /// `host[:port]` of an `http:` grant, or nil when it is not one. IPv6 addresses are bracketed.
    static func httpGrant(_ text: String) -> (host: String, port: Int?)? {
        var host = Substring(text), port: Int?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let rest = host[host.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let p = Int(rest.dropFirst()), (1...65535).contains(p) else { return nil }
                port = p
            }
            host = host[...close]
            let inner = host.dropFirst().dropLast()
            return !inner.isEmpty && inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) && inner == inner.lowercased() ? (String(host), port) : nil
        }
        if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
            host = host[..<colon]
        }
        let ok = !host.isEmpty && host.count <= 253 && host == host.lowercased()
            && host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
        return ok ? (String(host), port) : nil
    }

    /// What a plugin of `department` gets without an operator grant.
    public static func departmentDefaults(_ department: String) -> Set<String> {
        ["docs.search:\(department)", "docs.search:public", "kv", "model.generate", "model.chat", "audit.note", "pii.redact", "log", "json"]
    }
}

/// The outcome of manifest ∩ policy for one plugin.
public struct PluginGrants: Sendable, Equatable {
    /// What the manifest asked for, in its order.
    public let requested: [String]
    /// What the plugin gets: requested ∩ (department defaults + operator `add` − operator `remove`).
    public let granted: [String]
    /// Requested but not granted: the plugin loads without them and `plugin list` says so.
    public let denied: [String]

    public init(pluginID: String, department: String, requested: [String], config: SamarindaConfig) {
        let grant = config.plugins.grants[pluginID] ?? PluginGrant()
        var allowed = Capability.departmentDefaults(department).union(grant.add)
        allowed.subtract(grant.remove)
        self.requested = requested
        self.granted = requested.filter { allowed.contains($0) }
        self.denied = requested.filter { !allowed.contains($0) }
    }

    public func has(_ capability: String) -> Bool { granted.contains(capability) }

    /// Departments whose collections `docs.search`/`docs.get` may read.
    public var documentScopes: [String] {
        granted.filter { $0.hasPrefix("docs.search:") }.map { String($0.dropFirst("docs.search:".count)) }
    }
}
