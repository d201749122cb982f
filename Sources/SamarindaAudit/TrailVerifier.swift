import Foundation

// {====== Verification ======}
//
// One engine for both the local database and an export file: it is fed the
// events in sequence-number order and the checkpoints, recomputes every leaf
// hash, the chain and the Merkle root at each checkpoint size, checks each
// checkpoint's signature, and stops at the first problem. Roots recomputed from
// the same leaves at every checkpoint size also prove that consecutive
// checkpoints are consistent (each tree extends the previous one).

struct TrailVerifier {
    let key: NoteVerifierKey
    /// The keys in force, each for the tree sizes `from…to` (inclusive): one unless the key was
    /// rotated, when each handover note (signed by both keys) extends the chain.
    private var eras: [(key: NoteVerifierKey, from: Int, to: Int)]
    /// The largest witness size whose root the trail reproduced: events up to it are known intact.
    private var witnessMatchedSize = 0
    private var frontier: MerkleFrontier
    private var chain: Hash
    private var checkpoints: [Pending] = []
    private var nextCheckpoint = 0
    private var misplaced: (seq: Int64, claimed: Int64)?
    var verdict = AuditVerdict()
    /// The first size the given data can check (after an export's prefix).
    private let startSize: Int

    private struct Pending {
        let size: Int
        let source: String
        var isWitness: Bool { source.hasPrefix(Witness.sourcePrefix) }
        let note: String
        var check: NoteVerifierKey.Check
        var checkpoint: Checkpoint?
    }

    init(key: NoteVerifierKey, frontier: MerkleFrontier = MerkleFrontier(), chain: Hash = AuditLog.chainSeed) {
        self.key = key
        self.frontier = frontier
        self.chain = chain
        self.startSize = frontier.size
        self.eras = [(key, 0, Int.max)]
        verdict.key = key.description
        verdict.keyChain = [key.description]
        verdict.treeSize = frontier.size
        verdict.firstSeq = Int64(frontier.size) + 1
    }

    /// Follows key handovers (see `KeyHandover`) from the trusted key, before checkpoints are added.
    /// A handover not signed by both its keys, or not continuing the chain, fails the verdict.
    mutating func addHandovers(_ notes: [(size: Int, note: String, source: String)]) {
        let handovers = notes.compactMap { n in (try? KeyHandover.parse(note: n.note)).map { (n, $0) } }.sorted { $0.1.treeSize < $1.1.treeSize }
        for n in notes where (try? KeyHandover.parse(note: n.note)) == nil {
            fail(Int64(max(n.size, 0)) + 1, .badSignature, "the key handover at tree size \(n.size) (\(n.source)) is malformed.")
            return
        }
        guard !handovers.isEmpty else { return }
        // The chain of keys: the first handover's old key, then each new key.
        var chain = [handovers[0].1.oldKey]
        var bounds = [0]
        for (n, h) in handovers {
            guard h.oldKey == chain.last!, h.oldKey.check(note: n.note) == .valid(body: h.body), h.newKey.check(note: n.note) == .valid(body: h.body) else {
                fail(Int64(h.treeSize) + 1, .badSignature,
                     "the key handover at tree size \(h.treeSize) (\(n.source)) is not signed by both the key it retires and the key it starts, or does not continue the chain from \(chain.last!.name)+\(hex(chain.last!.keyID)).")
                return
            }
            chain.append(h.newKey)
            bounds.append(h.treeSize)
        }
        guard chain.contains(key) else { return }  // the trusted key is not in this chain: its checkpoints stay unknown
        eras = chain.indices.map { i in (chain[i], bounds[i], i + 1 < bounds.count ? bounds[i + 1] : Int.max) }
        verdict.keyChain = chain.map(\.description)
    }

    /// How a note fares against the key in force at its tree size (a handover size belongs to both keys).
    private func checkAgainstChain(_ note: String, size: Int) -> NoteVerifierKey.Check {
        let keys = eras.filter { size < 0 || ($0.from...$0.to).contains(size) }.map(\.key)
        var result: NoteVerifierKey.Check = .unknownKey(signers: [])
        for k in keys.isEmpty ? [key] : keys {
            let check = k.check(note: note)
            switch check {
            case .valid: return check
            case .badSignature, .malformed: result = check
            case .unknownKey: if case .unknownKey = result { result = check }
            }
        }
        return result
    }

    var failed: Bool { verdict.problem != nil }
    /// True while a misplaced event is still being looked for, to tell reordering from deletion.
    var stillSearching: Bool { misplaced != nil }

    /// Adds checkpoint notes (from the table, the checkpoint file or an export) before the events are fed.
    mutating func addCheckpoints(_ notes: [(claimedSize: Int, note: String, source: String)]) {
        for (claimedSize, note, source) in notes {
            let unverified = try? Checkpoint.parseUnverified(note: note)
            var size = unverified?.treeSize ?? claimedSize
            let check = checkAgainstChain(note, size: size)
            var checkpoint: Checkpoint?
            if case .valid(let body) = check, let parsed = try? Checkpoint.parse(body: body, note: note) {
                checkpoint = parsed
                size = parsed.treeSize
            }
            checkpoints.append(Pending(size: size, source: source, note: note, check: check, checkpoint: checkpoint))
        }
        checkpoints.sort { $0.size < $1.size }
        checkpointsReached()
    }

    private var firstUnsigned: Int64 { Int64(verdict.signedSize) + 1 }

    private mutating func fail(_ seq: Int64, _ kind: AuditVerdict.Tampering, _ detail: String) {
        if verdict.problem == nil { verdict.problem = .init(seq: seq, kind: kind, detail: detail) }
    }

    /// Feeds the next event. `columns` are the filter columns stored beside the entry, when there are any.
    mutating func add(seq: Int64, entry: [UInt8], storedChain: Hash, columns: Columns? = nil) {
        if failed {
            // Only still looking for the event that belongs at the misplaced position.
            if let m = misplaced, AuditEntry.claimedSeq(entry) == m.seq {
                verdict.problem = .init(seq: m.seq, kind: .reordered,
                                        detail: "seq \(m.seq) holds the event written as seq \(m.claimed), and the event written as seq \(m.seq) sits at seq \(seq).")
                misplaced = nil
            }
            return
        }
        let expected = Int64(frontier.size) + 1
        guard seq == expected else {
            fail(expected, .deleted, seq > expected ? "events \(expected)…\(seq - 1) are missing: the trail jumps from seq \(expected - 1) to seq \(seq)." : "seq \(seq) appears twice.")
            return
        }
        guard let claimed = AuditEntry.claimedSeq(entry) else {
            fail(seq, .edited, "the entry at seq \(seq) is not a valid audit entry.")
            return
        }
        if claimed != seq {
            if claimed > seq {
                // Either seq..claimed-1 were deleted and the rest renumbered, or events were swapped: decided later.
                fail(seq, .deleted, "the event at seq \(seq) was written as seq \(claimed): events \(seq)…\(claimed - 1) were deleted and the rest renumbered.")
                misplaced = (seq, claimed)
            } else {
                fail(seq, .reordered, "the event at seq \(seq) was written as seq \(claimed).")
            }
            return
        }
        if verdict.firstTime == nil { verdict.firstTime = Columns.time(entry) }
        verdict.lastTime = Columns.time(entry)
        if let columns, !columns.match(entry) {
            fail(seq, .edited, "the filter columns (time, department, action or outcome) of seq \(seq) were changed and no longer match its entry.")
            return
        }
        let leaf = Merkle.leafHash(entry)
        let next = AuditLog.chainHash(chain, leaf)
        guard next == storedChain else {
            fail(seq, .edited, "seq \(seq) does not match its chain hash: its content or its hash was changed.")
            return
        }
        frontier.append(leaf)
        chain = next
        verdict.eventsChecked += 1
        checkpointsReached()
    }

    /// Checks every checkpoint whose size the tree has reached.
    private mutating func checkpointsReached() {
        while !failed, nextCheckpoint < checkpoints.count, checkpoints[nextCheckpoint].size <= frontier.size {
            let pending = checkpoints[nextCheckpoint]
            nextCheckpoint += 1
            guard checkSignature(pending) else { return }
            if pending.size < startSize {  // before an export's prefix: its leaves are not in the file
                if pending.isWitness {
                    verdict.uncheckedWitnesses.append(pending.source)
                    verdict.witnesses.append(.init(source: pending.source, size: pending.size, state: .unchecked))
                }
                continue
            }
            if pending.size < frontier.size { continue } // only possible when given out of order; sorted, so never
            if pending.checkpoint!.rootHash != frontier.root, pending.isWitness {
                // The trail's own checkpoints all matched (or would have failed first): the operator's copy
                // was rewritten and re-signed with the audit key; only a copy kept elsewhere shows it. Which
                // event changed cannot be told from a root alone: only that it lies after the last witness
                // that still matches.
                verdict.witnesses.append(.init(source: pending.source, size: pending.size, state: .mismatched))
                let from = Int64(max(witnessMatchedSize, startSize)) + 1
                fail(from, .rewritten,
                     "the checkpoint you hold for tree size \(pending.size) (\(pending.source)) was signed over a root that events 1…\(pending.size) no longer produce: one or more of events \(from)…\(pending.size) were changed, their hashes recomputed and the trail's checkpoints signed again since you received that one. An earlier witness would narrow the range.")
                verdict.problem?.through = Int64(pending.size)
                return
            }
            if pending.checkpoint!.rootHash != frontier.root {
                fail(firstUnsigned, .rewritten,
                     "the checkpoint for tree size \(pending.size) (\(pending.source)) was signed over a root the events \(firstUnsigned)…\(pending.size) no longer produce: they were changed and their hashes recomputed, but the change could not be signed.")
                return
            }
            verdict.checkpointsChecked += 1
            if pending.isWitness {
                verdict.witnessesChecked += 1
                verdict.witnesses.append(.init(source: pending.source, size: pending.size, state: .matched))
                witnessMatchedSize = max(witnessMatchedSize, pending.size)
            }
            verdict.signedSize = max(verdict.signedSize, pending.size)
        }
    }

    private mutating func checkSignature(_ pending: Pending) -> Bool {
        switch pending.check {
        case .valid where pending.checkpoint != nil: return true
        case .valid, .malformed:
            fail(firstUnsigned, .badSignature, "the checkpoint for tree size \(pending.size) (\(pending.source)) is malformed.")
        case .badSignature:
            fail(firstUnsigned, .badSignature, "the checkpoint for tree size \(pending.size) (\(pending.source)) carries a signature from the audit key that does not verify: the checkpoint was altered.")
        case .unknownKey(let signers):
            fail(firstUnsigned, .unknownKey, "the checkpoint for tree size \(pending.size) (\(pending.source)) is signed by \(signers.isEmpty ? "no one" : signers.joined(separator: ", ")), not by the audit key \(key.name)+\(hex(key.keyID)) (nor a key it handed over to).")
        }
        return false
    }

    /// Ends the stream: checkpoints beyond the last event mean the tail was cut off.
    mutating func finish() -> AuditVerdict {
        verdict.treeSize = frontier.size
        verdict.rootHash = frontier.root
        if failed { return verdict }
        while nextCheckpoint < checkpoints.count {
            let pending = checkpoints[nextCheckpoint]
            nextCheckpoint += 1
            guard checkSignature(pending) else { break }
            fail(Int64(frontier.size) + 1, .truncated,
                 "the checkpoint for tree size \(pending.size) (\(pending.source)) is signed, but the trail ends at seq \(frontier.size): events \(frontier.size + 1)…\(pending.size) were removed.")
            break
        }
        return verdict
    }

    /// The filter columns stored beside an entry, compared byte for byte with what the entry says.
    struct Columns {
        let ts: Int64
        // The UTF-8 bytes of the stored text columns, compared byte for byte with the entry's.
        let department: [UInt8]
        let action: [UInt8]
        let outcome: [UInt8]

        /// The event time an entry holds (bytes 9…16), without decoding the rest.
        static func time(_ entry: [UInt8]) -> Date? {
            guard entry.count >= 17 else { return nil }
            var ts: UInt64 = 0
            for i in 9..<17 { ts = ts << 8 | UInt64(entry[i]) }
            return AuditEntry.date(micros: Int64(bitPattern: ts))
        }

        func match(_ entry: [UInt8]) -> Bool {
            // Layout (see AuditEntry): version, seq, ts, principal, department, role, key?, action, target, classification, outcome.
            guard entry.count >= 17 else { return false }
            var ts: UInt64 = 0
            for i in 9..<17 { ts = ts << 8 | UInt64(entry[i]) }
            guard Int64(bitPattern: ts) == self.ts else { return false }
            var offset = 17
            func next() -> ArraySlice<UInt8>? {
                guard entry.count - offset >= 4 else { return nil }
                let n = Int(entry[offset]) << 24 | Int(entry[offset + 1]) << 16 | Int(entry[offset + 2]) << 8 | Int(entry[offset + 3])
                guard entry.count - offset - 4 >= n else { return nil }
                defer { offset += 4 + n }
                return entry[(offset + 4)..<(offset + 4 + n)]
            }
            guard next() != nil, let department = next(), next() != nil, offset < entry.count else { return false }
            let hasKey = entry[offset]
            offset += 1
            if hasKey == 1 { guard next() != nil else { return false } }
            guard let action = next(), next() != nil, next() != nil, let outcome = next() else { return false }
            return self.department[...] == department && self.action[...] == action && self.outcome[...] == outcome
        }
    }
}
