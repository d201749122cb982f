import Crypto
import Foundation
import SamarindaCore

// {====== Signing-key rotation ======}
//
// A key is retired by a handover note: a C2SP signed note
//
//     <origin> key handover\n<tree size>\nold <verifier key>\nnew <verifier key>\n
//
// signed by BOTH keys. The old key's signature says "my successor is this key from tree size N";
// the new key's lets an auditor who was only given the new key walk back to the old one. The
// verifier follows the chain from whichever key it trusts: the old key signs checkpoints up to N,
// the new key from N on. Handovers are stored append-only beside the checkpoints and exported.

struct KeyHandover: Equatable {
    let treeSize: Int
    let oldKey: NoteVerifierKey
    let newKey: NoteVerifierKey
    let body: String

    static func body(origin: String, treeSize: Int, old: NoteVerifierKey, new: NoteVerifierKey) -> String {
        "\(origin) key handover\n\(treeSize)\nold \(old.description)\nnew \(new.description)\n"
    }

    /// Reads a handover note's body (signatures are checked by the verifier, against the chain).
    static func parse(note: String) throws -> KeyHandover {
        guard let split = note.range(of: "\n\n", options: .backwards) else { throw AuditError(.malformed, "a key handover is not a signed note") }
        let body = String(note[..<split.lowerBound]) + "\n"
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count == 5, lines[0].hasSuffix(" key handover"), let size = Int(lines[1]), size >= 0,
              lines[2].hasPrefix("old "), lines[3].hasPrefix("new "),
              let old = try? NoteVerifierKey(parsing: String(lines[2].dropFirst(4))),
              let new = try? NoteVerifierKey(parsing: String(lines[3].dropFirst(4))) else {
            throw AuditError(.malformed, "a key handover is not '<origin> key handover\\n<size>\\nold KEY\\nnew KEY\\n'")
        }
        return KeyHandover(treeSize: size, oldKey: old, newKey: new, body: body)
    }
}

extension NoteSigner {
    /// Adds this key's signature line to a note (C2SP: signatures follow the blank line, one per line).
    func cosign(_ note: String) throws -> String {
        guard let split = note.range(of: "\n\n", options: .backwards) else { throw AuditError(.malformed, "not a signed note") }
        let body = String(note[..<split.lowerBound]) + "\n"
        let signature = try privateKey.signature(for: Data(body.utf8))
        return note + "\u{2014} \(verifier.name) \((Data(verifier.keyID) + signature).base64EncodedString())\n"
    }

    func signHandover(origin: String, treeSize: Int, to next: NoteSigner) throws -> String {
        let body = KeyHandover.body(origin: origin, treeSize: treeSize, old: verifier, new: next.verifier)
        let signature = try privateKey.signature(for: Data(body.utf8))
        let note = body + "\n\u{2014} \(verifier.name) \((Data(verifier.keyID) + signature).base64EncodedString())\n"
        return try next.cosign(note)
    }
}

extension AuditLog {
    /// The audit tables' second version: key handovers, append-only like the rest.
    static let handoverMigration = Migration(version: 2, name: "signing-key handovers", sql: """
        CREATE TABLE audit_key_handovers (
            tree_size INTEGER PRIMARY KEY,   -- the old key signs up to here, the new key from here on
            note TEXT NOT NULL,              -- C2SP signed note, signed by both keys
            created_at INTEGER NOT NULL      -- µs since 1970
        ) STRICT;
        \(appendOnly("audit_key_handovers", "key handovers"))
        """)

    /// The triggers that keep the audit tables append-only; `verify` and `doctor` check they are there.
    public static let appendOnlyTriggers = ["audit_events", "audit_checkpoints", "audit_key_handovers"].flatMap { [$0 + "_no_update", $0 + "_no_delete"] }

    /// The two triggers that refuse UPDATE and DELETE on `table`, whose rows are called `rows` in the refusal.
    static func appendOnly(_ table: String, _ rows: String) -> String {
        [("update", "changed"), ("delete", "deleted")].map { verb, done in
            "CREATE TRIGGER \(table)_no_\(verb) BEFORE \(verb.uppercased()) ON \(table)\n    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: \(rows) cannot be \(done)'); END;"
        }.joined(separator: "\n")
    }

    /// Those of `appendOnlyTriggers` missing from the database behind `c`.
    static func missingTriggers(_ c: Connection) throws -> [String] {
        let present = Set(try c.query("SELECT name FROM sqlite_master WHERE type = 'trigger'") { $0.text(0) })
        let hasHandovers = try c.queryFirst("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_key_handovers'") { $0.int(0) } != nil
        return appendOnlyTriggers.filter { !present.contains($0) && (hasHandovers || !$0.hasPrefix("audit_key_handovers")) }
    }

    /// Every stored key handover (for verification and exports).
    static func handovers(_ c: Connection) throws -> [(size: Int, note: String, source: String)] {
        let exists = try c.queryFirst("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_key_handovers'") { $0.int(0) } != nil
        guard exists else { return [] }
        return try c.query("SELECT tree_size, note FROM audit_key_handovers ORDER BY tree_size") { ($0.int(0), $0.text(1), "key handover table") }
    }

    /// The verifier keys of the trail, oldest first (one, unless the key was rotated).
    public func keyChain() throws -> [String] {
        let notes = try database.read { c in try Self.handovers(c) }
        let handovers = notes.compactMap { try? KeyHandover.parse(note: $0.note) }
        guard let first = handovers.first else { return [publicKey] }
        return [first.oldKey.description] + handovers.map(\.newKey.description)
    }

    /// Retires the signing key: a new key is made, the old and the new sign a handover at the current
    /// tree size, and from then on checkpoints are signed by the new key. The old private key is
    /// deleted (the reason to rotate is usually that it may have leaked); the digest keys derived
    /// from it are kept in `audit-digest.keys`, so content digests and person lookups stay comparable.
    /// Recorded as `audit.key_rotate`. Returns the old and the new verifier key.
    public func rotateKey(by principal: Principal) async throws -> (old: String, new: String) {
        let keyPath = Self.keyPath(config: config)
        let digestPath = Self.digestKeysPath(config: config)
        if !FileManager.default.fileExists(atPath: digestPath) {
            let keys = DigestKeys(content: contentKey, lookup: lookupSecret)
            let folder = (digestPath as NSString).deletingLastPathComponent
            do { try OutputFile.write(Data(keys.fileText.utf8), to: digestPath, mode: DataFileModes.file, confinedTo: folder) } catch {
                throw AuditError(.signingKey, "cannot keep the digest keys in '\(digestPath)' before rotating: \(error)")
            }
        }
        let nextPath = keyPath + ".next"
        try? FileManager.default.removeItem(atPath: nextPath)  // left by a rotation that never committed
        let next = try NoteSigner.loadOrCreate(path: nextPath, name: config.audit.origin)
        let old = signer
        let origin = config.audit.origin
        do {
            _ = try await commit(in: database) { [self] c -> (Bool, AuditEvent?) in
                let size = Int(try c.queryFirst("SELECT COALESCE(MAX(seq), 0) FROM audit_events") { $0.int64(0) } ?? 0)
                let note = try old.signHandover(origin: origin, treeSize: size, to: next)
                try c.run("INSERT INTO audit_key_handovers (tree_size, note, created_at) VALUES (?, ?, ?)",
                          [.integer(Int64(size)), .text(note), .integer(AuditEntry.micros(Date()))])
                // Swapped here, on the writer thread inside the same transaction, so nothing after the
                // handover is signed by the old key.
                signerBox.withLock { $0 = next }
                return (true, AuditEvent(actor: AuditActor(principal), action: "audit.key_rotate", target: "key",
                                         fields: ["old_key": old.verifier.description, "new_key": next.verifier.description,
                                                  "tree_size": String(size), "new_fingerprint": next.verifier.fingerprint]))
            }
        } catch {
            signerBox.withLock { $0 = old }
            try? FileManager.default.removeItem(atPath: nextPath)
            throw error
        }
        guard rename(nextPath, keyPath) == 0 else {
            throw AuditError(.signingKey, "the handover is recorded but the new key could not replace '\(keyPath)': \(String(cString: strerror(errno))). Move '\(nextPath)' to '\(keyPath)' by hand before the next start")
        }
        try await checkpoint()
        return (old.verifier.description, next.verifier.description)
    }

    /// In the writer's transaction: when another process rotated the key since this one loaded it,
    /// load the new key from its file; refuse to sign with a retired key.
    func currentSigner(_ c: Connection) throws -> NoteSigner {
        let signer = self.signer
        guard let latest = try c.queryFirst("SELECT note FROM audit_key_handovers ORDER BY tree_size DESC LIMIT 1", [], { $0.text(0) }),
              let handover = try? KeyHandover.parse(note: latest), handover.newKey != signer.verifier else { return signer }
        let path = Self.keyPath(config: config)
        let reloaded = try NoteSigner.loadOrCreate(path: path, name: config.audit.origin)
        guard reloaded.verifier == handover.newKey else {
            throw AuditError(.signingKey, "the audit signing key was handed over to \(handover.newKey) but '\(path)' holds \(reloaded.verifier): nothing is signed with a retired key. Put the new key in place (see docs/AUDIT.md, key rotation)")
        }
        signerBox.withLock { $0 = reloaded }
        return reloaded
    }
}
