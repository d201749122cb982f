import SamarindaCore

/// How content (prompts, answers, tool arguments) enters an audit event: as the
/// sink's keyed digest by default, in full only for departments that opted in
/// (`[audit] full_content_departments` in samarinda.toml). A digest still lets an
/// auditor holding the text prove it is the one that was used (`samarinda audit digest`).
public enum AuditContent {
    /// The text itself when `department` stores full content, else its digest by `sink`.
    /// Kept for callers of the old name; the rule itself is `AuditContentRule` in the core.
    public static func value(_ text: String, department: String, config: SamarindaConfig, sink: any AuditSink) -> String {
        AuditContentRule(config: config).value(text, .consoleLine, department: department, sink: sink, limit: .max)
    }
}

func hex(_ bytes: [UInt8]) -> String { Digest.hex(bytes) }

func unhex(_ text: String) -> [UInt8]? {
    let chars = Array(text.utf8)
    guard chars.count % 2 == 0 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        case 65...70: c - 55
        default: nil
        }
    }
    var out: [UInt8] = []
    out.reserveCapacity(chars.count / 2)
    var i = 0
    while i < chars.count {
        guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
        out.append(hi << 4 | lo)
        i += 2
    }
    return out
}
