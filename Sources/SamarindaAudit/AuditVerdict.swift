/// The outcome of `audit verify`: either the trail is intact, or the first bad
/// sequence number and what kind of tampering it indicates.
public struct AuditVerdict: Sendable, Equatable, CustomStringConvertible {
    public enum Tampering: String, Sendable, Equatable {
        /// An event's bytes (or its stored hash) no longer match its chain hash.
        case edited
        /// An event is missing: a gap in the sequence numbers.
        case deleted
        /// Events are out of order: an event sits at another event's sequence number.
        case reordered
        /// Events at the end are missing: a signed checkpoint covers more events than the trail holds.
        case truncated
        /// The events were rewritten with recomputed hashes: they no longer match the root a checkpoint signed.
        case rewritten
        /// A checkpoint's signature from the audit key does not verify.
        case badSignature = "bad-signature"
        /// A checkpoint is not signed by the audit key at all (someone else signed it).
        case unknownKey = "unknown-key"

        /// A few words for people.
        public var explanation: String {
            switch self {
            case .edited: "edited (an event's content or hash was changed)"
            case .deleted: "deleted (a gap in the sequence)"
            case .reordered: "reordered (events were moved or swapped)"
            case .truncated: "truncated (events after this point were removed)"
            case .rewritten: "rewritten with recomputed hashes but not re-signed (the signed checkpoint root no longer matches)"
            case .badSignature: "bad signature (a checkpoint's signature does not verify)"
            case .unknownKey: "unknown key (a checkpoint is not signed by the audit key)"
            }
        }
    }

    public struct Problem: Sendable, Equatable {
        /// The first sequence number that cannot be trusted.
        public let seq: Int64
        public let kind: Tampering
        public let detail: String
    }

    public internal(set) var problem: Problem?
    public var ok: Bool { problem == nil }
    /// Events whose hashes were recomputed.
    public internal(set) var eventsChecked = 0
    /// Checkpoints whose signature and root were checked.
    public internal(set) var checkpointsChecked = 0
    /// Size and root of the tree as recomputed.
    public internal(set) var treeSize = 0
    public internal(set) var rootHash: Hash = Merkle.emptyRoot
    /// The largest tree size covered by a verified signature; events after it are chained but not yet signed.
    public internal(set) var signedSize = 0
    /// The key the checkpoints were checked against (C2SP verifier key).
    public internal(set) var key = ""
    /// Witness checkpoints (kept off the machine) whose root the trail reproduced.
    public internal(set) var witnessesChecked = 0
    /// Witness checkpoints older than an export's first event: that export cannot check them.
    public internal(set) var uncheckedWitnesses: [String] = []

    public var unsignedEvents: Int { max(0, treeSize - signedSize) }

    public var description: String {
        if let problem {
            return "audit trail FAILED verification at seq \(problem.seq): \(problem.kind.explanation). \(problem.detail)"
        }
        var text = "audit trail verified: \(eventsChecked) events, \(checkpointsChecked) signed checkpoints, tree size \(treeSize), root \(hex(rootHash))"
        if unsignedEvents > 0 { text += "; the last \(unsignedEvents) events are chained but not yet covered by a checkpoint ('samarinda audit checkpoint' signs them)" }
        if witnessesChecked > 0 { text += "; \(witnessesChecked) witness checkpoint(s) you hold match the trail" }
        return text
    }
}
