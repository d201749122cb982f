import Foundation

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
            case .rewritten: "rewritten (events were changed and their hashes recomputed: a signed root no longer matches)"
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
        /// When the bad event can only be narrowed to a range (a witness root no longer reproduced): its end.
        public var through: Int64? = nil
    }

    public internal(set) var problem: Problem?
    /// Verified, and nothing left unchecked: no problem, every witness checked, the append-only
    /// triggers in place (a local trail).
    public var ok: Bool { problem == nil && uncheckedWitnesses.isEmpty && missingTriggers.isEmpty }
    /// The append-only triggers that are missing from the database (a local trail only): someone
    /// removed the guard against accidental edits; the events may still verify.
    public internal(set) var missingTriggers: [String] = []
    /// The first and last sequence numbers and event times the data held (an export may start later).
    public internal(set) var firstSeq: Int64 = 0
    public internal(set) var firstTime: Date?
    public internal(set) var lastTime: Date?
    /// Each witness checkpoint given, by source (file) and tree size, and how it fared.
    public internal(set) var witnesses: [WitnessResult] = []
    /// The keys the checkpoints were checked against, oldest first: more than one after a key rotation.
    public internal(set) var keyChain: [String] = []

    public struct WitnessResult: Sendable, Equatable {
        public enum State: String, Sendable { case matched, mismatched, unchecked }
        public let source: String
        public let size: Int
        public let state: State
    }
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

    /// The plain English paragraph (see `paragraph(_:)`).
    public var description: String { paragraph(.en) }
}
