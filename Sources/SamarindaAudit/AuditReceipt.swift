import Foundation
import SamarindaCore

/// One event with the proof that it is in a signed checkpoint of the trail (RFC 9162 inclusion
/// proof): a receipt the Inspektorat can hand to someone else — a court, the ombudsman — who checks
/// it with the trail's public key alone, without seeing any other event. `samarinda audit receipt SEQ`
/// writes one; `samarinda audit check-receipt FILE --key K` checks it.
public struct AuditReceipt: Codable, Sendable, Equatable {
    public static let format = "samarinda-audit-receipt/1"
    public var format: String
    public var seq: Int64
    /// The event's canonical entry (the bytes the trail hashes), base64.
    public var entry: String
    /// The same event for people; checking the receipt also checks that it says what the entry says.
    public var event: AuditRecordJSON
    public var treeSize: Int
    /// The inclusion proof: sibling hashes from the leaf up to the root, hex.
    public var proof: [String]
    /// The signed checkpoint (C2SP note) whose root the proof leads to.
    public var checkpoint: String

    enum CodingKeys: String, CodingKey {
        case format, seq, entry, event, treeSize = "tree_size", proof, checkpoint
    }

    /// What a checked receipt proves, in a sentence.
    public struct Verdict: Sendable, Equatable, CustomStringConvertible {
        public let seq: Int64
        public let treeSize: Int
        public let key: String
        public let event: AuditRecordJSON
        public var description: String {
            let when = ISO8601DateFormatter.withFractions.date(from: event.time).map(AuditTime.wita) ?? event.time
            return "receipt verified: event \(seq) (\(when), \(event.action) \(event.target) by \(event.principal) of \(event.department), \(event.outcome)) "
                + "is in the audit trail whose checkpoint at tree size \(treeSize) is signed by \(key)"
        }
    }

    /// Checks a receipt with only the public key (C2SP verifier key, as `audit key` prints it).
    public static func check(_ data: Data, publicKey: String) throws -> Verdict {
        let key = try NoteVerifierKey(parsing: publicKey)
        guard let receipt = try? JSONDecoder().decode(AuditReceipt.self, from: data) else {
            throw AuditError(.malformed, "not an audit receipt (expected the JSON written by 'samarinda audit receipt')")
        }
        guard receipt.format == format else {
            throw AuditError(.malformed, "unknown receipt format '\(receipt.format)' (this samarinda reads \(format))")
        }
        let body: String
        switch key.check(note: receipt.checkpoint) {
        case .valid(let b): body = b
        case .badSignature: throw AuditError(.tampered, "the receipt's checkpoint carries a signature from \(key.name) that does not verify: it was altered")
        case .unknownKey(let signers):
            throw AuditError(.tampered, "the receipt's checkpoint is signed by \(signers.isEmpty ? "no one" : signers.joined(separator: ", ")), not by the key \(key.name)")
        case .malformed(let why): throw AuditError(.malformed, "the receipt's checkpoint is not a signed note: \(why)")
        }
        let checkpoint = try Checkpoint.parse(body: body, note: receipt.checkpoint)
        guard checkpoint.treeSize == receipt.treeSize else {
            throw AuditError(.tampered, "the receipt claims tree size \(receipt.treeSize) but its checkpoint signs size \(checkpoint.treeSize)")
        }
        guard let entryData = Data(base64Encoded: receipt.entry) else { throw AuditError(.malformed, "the receipt's entry is not base64") }
        let entry = Array(entryData)
        guard AuditEntry.claimedSeq(entry) == receipt.seq, let record = try? AuditEntry.decode(entry) else {
            throw AuditError(.tampered, "the receipt's entry is not the event numbered \(receipt.seq)")
        }
        guard AuditRecordJSON(record) == receipt.event else {
            throw AuditError(.tampered, "the readable event in the receipt does not say what its hashed entry says")
        }
        let proof = receipt.proof.compactMap(unhex)
        guard proof.count == receipt.proof.count, proof.allSatisfy({ $0.count == 32 }),
              Merkle.verifyInclusion(leafHash: Merkle.leafHash(entry), index: Int(receipt.seq) - 1, size: checkpoint.treeSize,
                                     proof: proof, root: checkpoint.rootHash) else {
            throw AuditError(.tampered, "the inclusion proof does not lead from event \(receipt.seq) to the signed root: the event or the proof was altered")
        }
        return Verdict(seq: receipt.seq, treeSize: checkpoint.treeSize, key: key.description, event: receipt.event)
    }
}

extension AuditLog {
    /// A receipt for event `seq` against the smallest signed checkpoint that covers it (signing one
    /// first when the event is newer than the last checkpoint). Refuses when the trail's events no
    /// longer produce that checkpoint's root: a receipt is only given for an intact trail.
    public func receipt(seq: Int64) async throws -> AuditReceipt {
        let size = try count()
        guard seq >= 1, seq <= size else {
            throw AuditError(.invalidArgument, "there is no event \(seq): the trail holds events 1…\(size)")
        }
        var covering = try checkpoints().filter { $0.treeSize >= Int(seq) }.min { $0.treeSize < $1.treeSize }
        if covering == nil { covering = try await checkpoint() }
        guard let checkpoint = covering else { throw AuditError(.storage, "no checkpoint could be signed") }
        // One pass over the events with memory in O(log n): the proof is the roots of the sibling
        // ranges of the leaf's path (RFC 9162 §2.1.3.1), each computed by its own frontier as the
        // leaves stream past, beside a frontier over everything to check the signed root.
        let index = Int(seq) - 1
        var siblings = Merkle.inclusionProofRanges(index: index, size: checkpoint.treeSize).map { (range: $0, frontier: MerkleFrontier()) }
        let order = siblings.indices.sorted { siblings[$0].range.lowerBound < siblings[$1].range.lowerBound }
        var whole = MerkleFrontier()
        var entry: [UInt8] = []
        var next = 0  // position in `order`
        let expected = checkpoint.treeSize
        let counted = try database.read { c -> Int in
            let s = try c.prepare("SELECT seq, entry FROM audit_events WHERE seq <= ? ORDER BY seq")
            try s.bind([.integer(Int64(expected))])
            var n = 0
            while try s.step() {
                guard s.int64(0) == Int64(n + 1) else { return n }
                let bytes = s.blob(1)
                let leaf = Merkle.leafHash(bytes)
                whole.append(leaf)
                if n == index {
                    entry = bytes
                } else {
                    while next < order.count, !siblings[order[next]].range.contains(n) { next += 1 }
                    if next < order.count { siblings[order[next]].frontier.append(leaf) }
                }
                n += 1
            }
            return n
        }
        guard counted == expected else {
            throw AuditError(.tampered, "events 1…\(expected) are not all present: run 'samarinda audit verify'")
        }
        guard whole.root == checkpoint.rootHash else {
            throw AuditError(.tampered, "events 1…\(expected) no longer produce their signed root: run 'samarinda audit verify'")
        }
        return AuditReceipt(format: AuditReceipt.format, seq: seq, entry: Data(entry).base64EncodedString(),
                            event: AuditRecordJSON(try AuditEntry.decode(entry)), treeSize: expected,
                            proof: siblings.map { hex($0.frontier.root) }, checkpoint: checkpoint.note)
    }
}
