import Foundation
import SamarindaCore
import Testing
@testable import SamarindaAudit

@Suite struct AuditLogTests {
    @Test func eventsReadBackExactlyAsWritten() async throws {
        let fixture = try TrailFixture()
        let log = try fixture.open()
        var event = sampleEvent(3)
        event.timestamp = Date(timeIntervalSince1970: 1_793_000_000.123456)
        event.fields["ünïcode ✓"] = "nilai\nberbaris\u{0}dua"
        event.actor.keyID = nil
        event.requestID = nil
        let seq = try await log.append(event)
        #expect(seq == 1)
        let back = try log.tail(limit: 1)
        #expect(back == [AuditRecord(seq: 1, event: event)])
        try await log.close()
    }

    @Test func concurrentAppendersGetDistinctSequenceNumbersAndTheTrailVerifies() async throws {
        let fixture = try TrailFixture(checkpointEvery: 100)
        let log = try fixture.open()
        let seqs = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for t in 0..<50 {
                group.addTask {
                    var mine: [Int64] = []
                    for i in 0..<20 { mine.append(try await log.append(sampleEvent(t * 20 + i))) }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(seqs.sorted() == Array(1...1000))
        let v = try log.verify()
        #expect(v.ok, "\(v)")
        #expect(v.signedSize == 1000)
        try await log.close()
    }

    @Test func reopeningContinuesTheChainAndTwoWritersOnOneFileStayConsistent() async throws {
        let fixture = try TrailFixture(checkpointEvery: 7)
        let first = try fixture.open()
        for n in 1...10 { try await first.append(sampleEvent(n)) }
        // A second writer on the same file (the CLI beside a running server).
        let second = try fixture.open()
        for n in 11...30 {
            try await (n % 2 == 0 ? first : second).append(sampleEvent(n))
        }
        try await second.close()
        try await first.append(sampleEvent(31))
        try await first.close()
        let reopened = try fixture.open()
        try await reopened.append(sampleEvent(32))
        let v = try reopened.verify()
        #expect(v.ok, "\(v)")
        #expect(v.treeSize == 32)
        try await reopened.close()
        #expect(try fixture.open().verify().signedSize == 32)
    }

    @Test func closedTrailRefusesAppends() async throws {
        let fixture = try TrailFixture()
        let log = try fixture.open()
        try await log.append(sampleEvent(1))
        let final = try await log.close()
        #expect(final?.treeSize == 1)
        await #expect(throws: AuditError.self) { try await log.append(sampleEvent(2)) }
        #expect(try await log.close() == nil)
    }

    @Test func checkpointIsAStandardSignedNote() async throws {
        let fixture = try TrailFixture()
        let log = try fixture.open()
        for n in 1...3 { try await log.append(sampleEvent(n)) }
        let cp = try await log.checkpoint()
        let lines = cp.note.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "samarinda.ai/audit")
        #expect(lines[1] == "3")
        #expect(lines[3].hasPrefix("time ") && lines[3].hasSuffix("+08:00"), "the signing time in WITA, a C2SP extension line")
        #expect(lines[4] == "")
        #expect(lines[5].hasPrefix("\u{2014} samarinda.ai/audit "))
        let key = try NoteVerifierKey(parsing: log.publicKey)
        #expect(key.check(note: cp.note) == .valid(body: String(cp.note.prefix(while: { _ in true }).split(separator: "\n\n")[0]) + "\n"))
        // Asking again without new events returns the same checkpoint rather than a duplicate.
        #expect(try await log.checkpoint() == cp)
        try await log.close()
    }

    @Test func signingKeyIsCreatedOwnerOnlyAndAWorldReadableKeyIsRefused() async throws {
        let fixture = try TrailFixture()
        let log = try fixture.open()
        let path = fixture.dir.path + "/audit-signing.key"
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let key = log.publicKey
        try await log.close()
        #expect(try fixture.open().publicKey == key, "the same key is loaded on the next start")
        chmod(path, 0o644)
        #expect(throws: AuditError.self) { _ = try fixture.open() }
    }

    @Test func malformedPublicKeysGetAClearError() {
        for bad in ["", "samarinda.ai/audit", "a+zz+AQ==", "a+00000000+" + Data(repeating: 1, count: 33).base64EncodedString()] {
            #expect(throws: AuditError.self) { try NoteVerifierKey(parsing: bad) }
        }
    }

    @Test func tailFiltersByDepartmentActionOutcomeAndTime() async throws {
        let fixture = try TrailFixture()
        let log = try fixture.open()
        for n in 1...30 {
            var e = sampleEvent(n, department: n % 3 == 0 ? "dinkes" : "disdukcapil", action: n % 5 == 0 ? "model.call" : "tool.call")
            e.timestamp = Date(timeIntervalSince1970: 1_790_000_000 + Double(n))
            try await log.append(e)
        }
        #expect(try log.tail(limit: 100, department: "dinkes").map(\.seq) == [3, 6, 9, 12, 15, 18, 21, 24, 27, 30])
        #expect(try log.tail(limit: 2, department: "dinkes", action: "model.call").map(\.seq) == [15, 30])
        #expect(try log.tail(limit: 100, outcome: "denied").map(\.seq) == [11, 22])
        #expect(try log.tail(limit: 100, since: Date(timeIntervalSince1970: 1_790_000_028)).map(\.seq) == [28, 29, 30])
        #expect(try log.tail(limit: 3).map(\.seq) == [28, 29, 30])
        #expect(try log.tail(limit: 2, afterSeq: 10).map(\.seq) == [11, 12])
        try await log.close()
    }

    @Test func contentIsAKeyedDigestUnlessTheDepartmentOptedIn() async throws {
        let f = try TrailFixture()
        let log = try f.open()
        var config = SamarindaConfig()
        config.audit.fullContentDepartments = ["dpmptsp"]
        let nik = "NIK saya 6472011234560001"
        let digest = AuditContent.value(nik, department: "disdukcapil", config: config, sink: log)
        #expect(digest.hasPrefix("hmac-sha256:") && digest.count == 12 + 64, "\(digest)")
        #expect(digest == log.contentDigest(nik), "stable within the trail, so events about the same text match")
        #expect(!digest.contains(hex(sha256(Array(nik.utf8)))), "not the plain SHA-256 anyone could compute from a guessed NIK")
        #expect(AuditContent.value("izin usaha", department: "dpmptsp", config: config, sink: log) == "izin usaha")
        // The same key after a restart (derived from the signing key), another installation's differs.
        try await log.close()
        let reopened = try f.open()
        #expect(reopened.contentDigest(nik) == digest)
        try await reopened.close()
        let other = try TrailFixture().open()
        #expect(other.contentDigest(nik) != digest)
        try await other.close()
        #expect(MemoryAuditSink().contentDigest("") == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    /// The content HMAC is set up once per key and copied per digest: the digests must stay the ones
    /// the per-call `HMAC<SHA256>.authenticationCode` wrote (the expected values are from Python's
    /// `hmac.new(key, text, sha256)`, an independent implementation), also for an empty text, a text
    /// longer than a hash block, and many digests at once sharing the prepared key.
    @Test func contentDigestsWithThePreparedKeyEqualThePlainHMAC() async throws {
        let f = try TrailFixture()
        // A fixed content key (bytes 1…32), as a key rotation keeps it in `audit-digest.keys`.
        let path = AuditLog.digestKeysPath(config: f.config)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try "CONTENT+AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\nLOOKUP+QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let log = try f.open()
        let long = String(repeating: "ü✓ ", count: 40)
        let expected = [
            "NIK saya 6472011234560001": "hmac-sha256:ec106352bdbef9d43e812cd8391cff854eb03baa79e12ff8bc861f30381743e6",
            "": "hmac-sha256:462476a897ddfdbd40d1420e08a5bcfeeb25c3e2ade6a0a9083b327b9ef9fca1",
            long: "hmac-sha256:d381f9f3f93f9d131b37bcfabb800069ff88768b9322db1e874fe45d0b3ab43f",
        ]
        for (text, digest) in expected { #expect(log.contentDigest(text) == digest, "\(text.prefix(20))") }
        // Twice in a row and from many tasks at once: no digest leaves state behind in the shared key.
        let results = await withTaskGroup(of: (String, String).self) { group in
            for i in 0..<64 {
                let text = Array(expected.keys)[i % expected.count]
                group.addTask { (text, log.contentDigest(text)) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 64)
        for (text, digest) in results { #expect(digest == expected[text], "\(text.prefix(20))") }
        try await log.close()
    }

    @Test func hostileEntriesAreRefusedByTheDecoder() throws {
        let good = AuditEntry.encode(sampleEvent(1), seq: 1)
        #expect(throws: AuditError.self) { try AuditEntry.decode(Array(good.dropLast())) }
        #expect(throws: AuditError.self) { try AuditEntry.decode(good + [0]) }
        #expect(throws: AuditError.self) { try AuditEntry.decode([]) }
        var hugeLength = good
        hugeLength[17] = 0xff // the principal's length prefix
        #expect(throws: AuditError.self) { try AuditEntry.decode(hugeLength) }
        #expect(try AuditEntry.decode(good).event.fields == sampleEvent(1).fields)
    }
}
