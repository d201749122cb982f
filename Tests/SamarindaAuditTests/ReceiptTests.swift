import Foundation
import SamarindaCore
import Testing
@testable import SamarindaAudit

/// Receipts: one event plus its inclusion proof to a signed checkpoint, checked with the public key alone.
@Suite struct ReceiptTests {
    func trail(_ n: Int = 25) async throws -> (TrailFixture, AuditLog) {
        let fixture = try TrailFixture(checkpointEvery: 10)
        let log = try fixture.open()
        for i in 1...n { try await log.append(sampleEvent(i)) }
        return (fixture, log)
    }

    func encoded(_ receipt: AuditReceipt) throws -> Data { try JSONEncoder().encode(receipt) }

    @Test func everyEventsReceiptChecksAndItsProofIsRFC9162s() async throws {
        let (fixture, log) = try await trail()
        let leaves = try fixture.rows().map { Merkle.leafHash($0.entry) }
        for seq in 1...25 {
            let receipt = try await log.receipt(seq: Int64(seq))
            #expect(receipt.treeSize == (seq <= 10 ? 10 : seq <= 20 ? 20 : 25), "the smallest checkpoint that covers it")
            // The streamed proof is the textbook one (Merkle.inclusionProof over all leaves).
            #expect(receipt.proof == Merkle.inclusionProof(index: seq - 1, leaves: leaves[0..<receipt.treeSize]).map(Digest.hex), "seq \(seq)")
            let verdict = try AuditReceipt.check(try encoded(receipt), publicKey: log.publicKey)
            #expect(verdict.seq == Int64(seq) && verdict.event.fields["n"] == String(seq))
        }
        try await log.close()
    }

    @Test func anEventAfterTheLastCheckpointGetsOneSigned() async throws {
        let (fixture, log) = try await trail(23)
        defer { withExtendedLifetime(fixture) {} }  // its folder holds the database
        #expect(try log.checkpoints().map(\.treeSize) == [10, 20])
        let receipt = try await log.receipt(seq: 22)
        #expect(receipt.treeSize == 23)
        #expect(try AuditReceipt.check(try encoded(receipt), publicKey: log.publicKey).treeSize == 23)
        await #expect { _ = try await log.receipt(seq: 24) } throws: { ($0 as? AuditError)?.kind == .invalidArgument }
        await #expect { _ = try await log.receipt(seq: 0) } throws: { ($0 as? AuditError)?.kind == .invalidArgument }
        try await log.close()
    }

    @Test func alteredReceiptsAndOtherKeysAreRefused() async throws {
        let (fixture, log) = try await trail()
        defer { withExtendedLifetime(fixture) {} }  // its folder holds the database
        let good = try await log.receipt(seq: 7)
        func refused(_ receipt: AuditReceipt, key: String? = nil, _ why: String) throws {
            #expect(throws: AuditError.self, "\(why)") { try AuditReceipt.check(try encoded(receipt), publicKey: key ?? log.publicKey) }
        }
        var entry = Array(Data(base64Encoded: good.entry)!)
        entry[entry.count - 2] ^= 0x01
        var r = good; r.entry = Data(entry).base64EncodedString()
        try refused(r, "an edited entry")
        r = good; r.event.target = "bapenda.pbb/hitung_pbb"
        try refused(r, "a readable copy that says something else")
        r = good; r.proof[0] = String(repeating: "0", count: 64)
        try refused(r, "an altered proof")
        r = good; r.seq = 8
        try refused(r, "another event number")
        r = good; r.treeSize = 20
        try refused(r, "a tree size the checkpoint does not sign")
        let otherFixture = try TrailFixture()
        let other = try otherFixture.open()
        try refused(good, key: other.publicKey, "the key of another installation")
        try await other.close()
        #expect(throws: AuditError.self) { try AuditReceipt.check(Data("{}".utf8), publicKey: log.publicKey) }
        try await log.close()
    }

    @Test func noReceiptIsGivenForATrailThatNoLongerMatchesItsCheckpoint() async throws {
        let (fixture, log) = try await trail()
        try await log.close()
        var entry = try fixture.rows()[2].entry
        entry[entry.count - 3] ^= 0x01
        try fixture.tamper(dropTriggers)
        try fixture.tamper("UPDATE audit_events SET entry = ? WHERE seq = 3", [.blob(entry)])
        let reopened = try fixture.open()
        await #expect { _ = try await reopened.receipt(seq: 5) } throws: { ($0 as? AuditError)?.kind == .tampered }
        try await reopened.close()
    }
}
