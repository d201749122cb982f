import Foundation
import SamarindaCore
import Testing
@testable import SamarindaAudit

/// Each kind of tampering an administrator with the database file could try, on real SQLite files.
@Suite struct TamperDetectionTests {
    /// 25 events, checkpoints at 10 and 20 and (on close) 25.
    func writtenTrail() async throws -> TrailFixture {
        let fixture = try TrailFixture(checkpointEvery: 10)
        let log = try fixture.open()
        for n in 1...25 { try await log.append(sampleEvent(n)) }
        try await log.close()
        return fixture
    }

    func verdict(_ fixture: TrailFixture) async throws -> AuditVerdict {
        let log = try fixture.open()
        let v = try log.verify()
        try await log.close()
        return v
    }

    @Test func untouchedTrailVerifies() async throws {
        let fixture = try await writtenTrail()
        let v = try await verdict(fixture)
        #expect(v.ok, "\(v)")
        #expect(v.eventsChecked == 25)
        #expect(v.treeSize == 25)
        #expect(v.signedSize == 25)
        #expect(v.checkpointsChecked >= 3)
    }

    @Test func flippedByteNamesThatSequenceNumberAsEdited() async throws {
        let fixture = try await writtenTrail()
        var entry = try fixture.rows()[6].entry
        entry[entry.count - 3] ^= 0x01
        try fixture.tamper(dropTriggers)
        try fixture.tamper("UPDATE audit_events SET entry = ? WHERE seq = 7", [.blob(entry)])
        let v = try await verdict(fixture)
        #expect(v.problem?.seq == 7)
        #expect(v.problem?.kind == .edited)
    }

    @Test func editedFilterColumnIsCaught() async throws {
        let fixture = try await writtenTrail()
        try fixture.tamper(dropTriggers)
        try fixture.tamper("UPDATE audit_events SET department = 'dinkes' WHERE seq = 4")
        let v = try await verdict(fixture)
        #expect(v.problem?.seq == 4)
        #expect(v.problem?.kind == .edited)
    }

    @Test func deletedRowIsNamedAsAGap() async throws {
        let fixture = try await writtenTrail()
        try fixture.tamper(dropTriggers)
        try fixture.tamper("DELETE FROM audit_events WHERE seq = 12")
        let v = try await verdict(fixture)
        #expect(v.problem?.seq == 12)
        #expect(v.problem?.kind == .deleted)
    }

    @Test func deletedRowWithRenumberedSuccessorsIsStillADeletion() async throws {
        let fixture = try await writtenTrail()
        try fixture.tamper(dropTriggers)
        try fixture.tamper("DELETE FROM audit_events WHERE seq = 12; UPDATE audit_events SET seq = seq - 1 WHERE seq > 12")
        let v = try await verdict(fixture)
        #expect(v.problem?.seq == 12)
        #expect(v.problem?.kind == .deleted)
    }

    @Test func swappedRowsAreNamedAsReordered() async throws {
        let fixture = try await writtenTrail()
        try fixture.tamper(dropTriggers)
        try fixture.tamper("UPDATE audit_events SET seq = -5 WHERE seq = 5; UPDATE audit_events SET seq = 5 WHERE seq = 6; UPDATE audit_events SET seq = 6 WHERE seq = -5")
        let v = try await verdict(fixture)
        #expect(v.problem?.seq == 5)
        #expect(v.problem?.kind == .reordered)
    }

    @Test func truncatedTailIsDetectedAgainstTheLastCheckpoint() async throws {
        let fixture = try await writtenTrail()
        try fixture.tamper(dropTriggers)
        try fixture.tamper("DELETE FROM audit_events WHERE seq > 20")
        let v = try await verdict(fixture)
        #expect(v.problem?.seq == 21)
        #expect(v.problem?.kind == .truncated)
    }

    @Test func truncatingBothTablesIsCaughtByTheCheckpointFile() async throws {
        let fixture = try await writtenTrail()
        try fixture.tamper(dropTriggers)
        try fixture.tamper("DELETE FROM audit_events WHERE seq > 20; DELETE FROM audit_checkpoints WHERE tree_size > 20")
        let v = try await verdict(fixture)
        #expect(v.problem?.seq == 21)
        #expect(v.problem?.kind == .truncated)
    }

    /// Changes event 3 and recomputes every chain hash after it, as a careful attacker would.
    func rewriteWithRecomputedHashes(_ fixture: TrailFixture) throws {
        let rows = try fixture.rows()
        var chain = AuditLog.chainSeed
        var updates: [(Int64, [UInt8], [UInt8])] = []
        for row in rows {
            var record = try AuditEntry.decode(row.entry)
            if row.seq == 3 {
                var event = record.event
                event.outcome = .ok
                event.fields["n"] = "tidak pernah terjadi"
                record = AuditRecord(seq: 3, event: event)
            }
            let entry = AuditEntry.encode(record.event, seq: row.seq)
            chain = AuditLog.chainHash(chain, Merkle.leafHash(entry))
            updates.append((row.seq, entry, chain))
        }
        try fixture.tamper(dropTriggers)
        let db = try Database(path: fixture.dbPath)
        try db.write { c in
            for (seq, entry, chain) in updates {
                try c.run("UPDATE audit_events SET entry = ?, chain = ? WHERE seq = ?", [.blob(entry), .blob(chain), .integer(seq)])
            }
        }
    }

    @Test func rewriteWithRecomputedHashesIsCaughtByCheckpointSignatures() async throws {
        let fixture = try await writtenTrail()
        try rewriteWithRecomputedHashes(fixture)
        let v = try await verdict(fixture)
        #expect(v.problem?.kind == .rewritten)
        #expect(v.problem?.seq == 1, "the first checkpoint (size 10) covers seq 1…10")
    }

    @Test func checkpointsResignedByAnUnknownKeyAreRejected() async throws {
        let fixture = try await writtenTrail()
        try rewriteWithRecomputedHashes(fixture)
        // The attacker signs fresh checkpoints over the forged tree with a key of their own, same name.
        let forger = NoteSigner(name: fixture.config.audit.origin, privateKey: .init())
        let leaves = try fixture.rows().map { Merkle.leafHash($0.entry) }
        let db = try Database(path: fixture.dbPath)
        try db.write { c in
            for size in [10, 20, 25] {
                let forged = try forger.sign(origin: fixture.config.audit.origin, treeSize: size, rootHash: Merkle.root(leaves[0..<size]))
                try c.run("UPDATE audit_checkpoints SET note = ? WHERE tree_size = ?", [.text(forged.note), .integer(Int64(size))])
            }
        }
        try? FileManager.default.removeItem(atPath: fixture.dir.path + "/audit-checkpoint.latest")
        let v = try await verdict(fixture)
        #expect(v.problem?.kind == .unknownKey)
        #expect(v.problem?.seq == 1)
    }

    /// The operator holds the signing key: a rewrite re-signed with it verifies against the trail's own
    /// checkpoints. A checkpoint kept off the machine before the rewrite still catches it.
    @Test func rewriteResignedWithTheRealKeyIsCaughtByAWitnessCheckpoint() async throws {
        let fixture = try await writtenTrail()
        let original = try fixture.open()
        let kept = try await original.checkpoint()  // what the Inspektorat took home last month
        try await original.close()
        let exportBefore = fixture.dir.path + "/before.jsonl"
        try rewriteWithRecomputedHashes(fixture)
        let leaves = try fixture.rows().map { Merkle.leafHash($0.entry) }
        let signer = try NoteSigner.loadOrCreate(path: AuditLog.keyPath(config: fixture.config), name: fixture.config.audit.origin)
        let db = try Database(path: fixture.dbPath)
        try db.write { c in
            for size in try c.query("SELECT tree_size FROM audit_checkpoints", []) { $0.int(0) } {
                let resigned = try signer.sign(origin: fixture.config.audit.origin, treeSize: size, rootHash: Merkle.root(leaves[0..<size]))
                try c.run("UPDATE audit_checkpoints SET note = ? WHERE tree_size = ?", [.text(resigned.note), .integer(Int64(size))])
            }
        }
        try? FileManager.default.removeItem(atPath: fixture.dir.path + "/audit-checkpoint.latest")
        // Re-signed with the real key, the trail agrees with itself (only the dropped triggers show).
        let selfConsistent = try await verdict(fixture)
        #expect(selfConsistent.problem == nil && !selfConsistent.missingTriggers.isEmpty, "\(selfConsistent)")

        let log = try fixture.open()
        let caught = try log.verify(witnesses: [Witness(note: kept.note, source: "inspektorat-2026-10.note")])
        #expect(caught.problem?.kind == .rewritten, "\(caught)")
        #expect(caught.description.contains("inspektorat-2026-10.note") && caught.description.contains("signed again"), "\(caught)")
        // The same check off the machine, from an export and the public key alone.
        try await log.export(to: exportBefore)
        let offline = try AuditLog.verify(exportFile: exportBefore, publicKey: log.publicKey,
                                          witnesses: [Witness(note: kept.note, source: "inspektorat-2026-10.note")])
        #expect(offline.problem?.kind == .rewritten, "\(offline)")
        try await log.close()
    }

    @Test func anUntouchedTrailMatchesItsWitnesses() async throws {
        let fixture = try await writtenTrail()
        let log = try fixture.open()
        let kept = try await log.checkpoint()
        for n in 26...40 { try await log.append(sampleEvent(n)) }
        let v = try log.verify(witnesses: [Witness(note: kept.note, source: "kept.note")])
        #expect(v.ok && v.witnessesChecked == 1, "\(v)")
        #expect(v.description.contains("Witness kept.note (size 25): matches."), "\(v)")
        // A "witness" signed by another key is refused, not trusted.
        let stranger = NoteSigner(name: fixture.config.audit.origin, privateKey: .init())
        let forged = try stranger.sign(origin: fixture.config.audit.origin, treeSize: 25, rootHash: Merkle.root([]))
        #expect(try log.verify(witnesses: [Witness(note: forged.note, source: "forged.note")]).problem?.kind == .unknownKey)
        try await log.close()
    }

    @Test func alteredCheckpointFailsItsSignature() async throws {
        let fixture = try await writtenTrail()
        try fixture.tamper(dropTriggers)
        let db = try Database(path: fixture.dbPath)
        let note = try db.read { c in try c.queryFirst("SELECT note FROM audit_checkpoints WHERE tree_size = 20") { $0.text(0) } }!
        try fixture.tamper("UPDATE audit_checkpoints SET note = ? WHERE tree_size = 20",
                           [.text(note.replacingOccurrences(of: "\n20\n", with: "\n19\n"))])
        let v = try await verdict(fixture)
        #expect(v.problem?.kind == .badSignature)
        #expect(v.problem?.seq == 11)
    }

    @Test func triggersRefuseUpdateAndDelete() async throws {
        let fixture = try await writtenTrail()
        #expect(throws: StorageError.self) { try fixture.tamper("UPDATE audit_events SET action = 'x' WHERE seq = 1") }
        #expect(throws: StorageError.self) { try fixture.tamper("DELETE FROM audit_events WHERE seq = 25") }
        #expect(throws: StorageError.self) { try fixture.tamper("DELETE FROM audit_checkpoints") }
        let v = try await verdict(fixture)
        #expect(v.ok, "\(v)")
    }
}

@Suite struct UnsignedTailTests {
    @Test func aWriterNeverSignsAnEditedTailAfterTheLastCheckpoint() async throws {
        let fixture = try TrailFixture(checkpointEvery: 1000)
        let first = try fixture.open()
        for n in 1...5 { try await first.append(sampleEvent(n)) }
        _ = try await first.checkpoint()
        for n in 6...8 { try await first.append(sampleEvent(n)) }
        // Edit an event that no signature covers yet, as someone with the file would.
        var entry = try fixture.rows()[6].entry
        entry[entry.count - 3] ^= 0x01
        try fixture.tamper(dropTriggers)
        try fixture.tamper("UPDATE audit_events SET entry = ? WHERE seq = 7", [.blob(entry)])
        // Another writer (a restart, or the CLI beside the server) must refuse to extend or sign it.
        let second = try fixture.open()
        await #expect {
            try await second.append(sampleEvent(9))
        } throws: { ($0 as? AuditError)?.kind == .tampered && "\($0)".contains("event 7") }
        await #expect { _ = try await second.checkpoint() } throws: { ($0 as? AuditError)?.kind == .tampered }
        let signed = try second.checkpoints().map(\.treeSize)
        #expect(signed.max() == 5, "nothing past the edit was signed")
        #expect(try second.verify().problem?.seq == 7)
        _ = try? await first.close()
        _ = try? await second.close()
    }
}
