/// What content an event can carry, for the one rule below.
public enum AuditContentKind: String, Sendable, CaseIterable {
    /// A question or prompt sent to a model.
    case prompt
    /// A model's answer.
    case answer
    /// A tool call's arguments (canonical JSON).
    case toolArguments
    /// A tool's error message (it may echo what the caller sent).
    case toolError
    /// A document search query.
    case searchQuery
    /// A line typed at the operator console (it may quote a citizen's data: `ask … NIK …`).
    case consoleLine
    /// Lua source the operator runs at the console. It is the operator's own code, not personal data,
    /// and it can do anything a plugin could: the trail keeps it in full so an auditor can read what ran.
    case operatorSource
}

/// The one rule for whether content enters the audit trail in full or as a keyed digest (the sink's
/// HMAC, so a low-entropy value such as a NIK cannot be recovered by trying every candidate):
///
/// - operator Lua source: always in full;
/// - everything else (prompts, answers, tool arguments and errors, search queries, console lines):
///   in full only for departments listed in `[audit] full_content_departments`, else the keyed digest.
///
/// A digest still lets an auditor holding the text prove it is the one that was used (`samarinda audit digest`).
public struct AuditContentRule: Sendable {
    public let fullContentDepartments: Set<String>

    public init(config: SamarindaConfig) {
        fullContentDepartments = Set(config.audit.fullContentDepartments)
    }

    /// Whether `kind` content acted on by `department` is recorded in full.
    public func recordsInFull(_ kind: AuditContentKind, department: String) -> Bool {
        switch kind {
        case .operatorSource: true
        default: fullContentDepartments.contains(department)
        }
    }

    /// The field value: the text itself (at most `limit` characters) when recorded in full, else its keyed digest by `sink`.
    public func value(_ text: String, _ kind: AuditContentKind, department: String, sink: any AuditSink, limit: Int = 65_536) -> String {
        recordsInFull(kind, department: department) ? String(text.prefix(limit)) : sink.contentDigest(text)
    }
}
