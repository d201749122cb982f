import Foundation

/// One thing that happened, as every module reports it to the audit trail.
/// The audit module turns it into a canonical, hash-chained, signed record;
/// this type is only the contract between the modules and that trail.
public struct AuditEvent: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case ok
        case denied(code: String)
        case error(code: String)

        public var name: String {
            switch self {
            case .ok: "ok"
            case .denied: "denied"
            case .error: "error"
            }
        }

        public var code: String? {
            switch self {
            case .ok: nil
            case .denied(let c), .error(let c): c
            }
        }
    }

    public var timestamp: Date
    public var actor: AuditActor
    /// Dotted verb, e.g. `tool.call`, `model.call`, `docs.search`, `key.create`, `auth.fail`, `plugin.load`.
    public var action: String
    /// What was acted on: `plugin.tool`, `provider/model`, a document id, a key id.
    public var target: String
    public var classification: Classification
    public var outcome: Outcome
    public var durationMicros: Int64
    /// Action-specific fields (string values, sorted by key when encoded). Content such as prompts
    /// is passed as a digest (see `AuditEvent.digest`) unless the department opted in to full content.
    public var fields: [String: String]
    /// The request id that also appears in the service's logs, if any.
    public var requestID: String?

    public init(
        timestamp: Date = Date(),
        actor: AuditActor,
        action: String,
        target: String = "",
        classification: Classification = .biasa,
        outcome: Outcome = .ok,
        durationMicros: Int64 = 0,
        fields: [String: String] = [:],
        requestID: String? = nil
    ) {
        self.timestamp = timestamp
        self.actor = actor
        self.action = action
        self.target = target
        self.classification = classification
        self.outcome = outcome
        self.durationMicros = durationMicros
        self.fields = fields
        self.requestID = requestID
    }
}

/// Who did it, as recorded (never the key itself).
public struct AuditActor: Sendable, Equatable, Codable {
    public var principalID: String
    public var department: String
    public var role: String
    public var keyID: String?
    /// When an operator acts as someone else (`plugin run --as`, the console's `as`): whom they act for,
    /// e.g. `bapenda:staff` or `key:3f9a`. The principal is then the operator, and reports count the
    /// event apart from the department's own activity.
    public var onBehalfOf: String?
    /// The operating-system account and machine behind a CLI or console action (nil over HTTP,
    /// where the key or web user is the actor).
    public var osUser: String?
    public var host: String?

    public init(principalID: String, department: String, role: String, keyID: String? = nil,
                onBehalfOf: String? = nil, osUser: String? = nil, host: String? = nil) {
        self.principalID = principalID
        self.department = department
        self.role = role
        self.keyID = keyID
        self.onBehalfOf = onBehalfOf
        self.osUser = osUser
        self.host = host
    }

    public init(_ principal: Principal) {
        self.init(principalID: principal.id, department: principal.department, role: principal.role.rawValue, keyID: principal.keyID,
                  onBehalfOf: principal.onBehalfOf)
    }

    /// Who, for people: `operator:budi on behalf of bapenda:staff (budi@srv-01)`.
    public var displayName: String {
        var text = principalID
        if let onBehalfOf { text += " on behalf of \(onBehalfOf)" }
        if let osUser { text += " (\(osUser)@\(host ?? "?"))" }
        return text
    }

    /// For events with no authenticated principal (a failed sign-in, say).
    public static let anonymous = AuditActor(principalID: "anonymous", department: "", role: "")
}

/// The operating-system account and host a command-line or console process runs as: recorded on
/// every event that process writes, so an action is traced to a person at a machine, not only to
/// the shared `operator` principal.
public struct LocalAccount: Sendable, Equatable {
    public var user: String
    public var host: String

    /// The effective user (from the password database, not `$USER`, which anyone can set) and the
    /// host name; `sudo` is named too, since root alone says nothing about who typed the command.
    public static var current: LocalAccount {
        var name = "uid:\(geteuid())"
        if let pw = getpwuid(geteuid()), let n = pw.pointee.pw_name { name = String(cString: n) }
        if let sudo = ProcessInfo.processInfo.environment["SUDO_USER"], !sudo.isEmpty, sudo != name { name += " (sudo by \(sudo))" }
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count) == 0 ? String(cString: buffer) : "unknown-host"
        return LocalAccount(user: name, host: host)
    }
}
