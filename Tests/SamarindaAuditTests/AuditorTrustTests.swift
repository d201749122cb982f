import Foundation
@testable import SamarindaCore
import Testing
@testable import SamarindaAudit

/// Issue 24: what an Inspektorat auditor needs before signing off the trail — the real actor,
/// verdicts before data in plain words, and signing-key rotation that verifies from an export.
@Suite struct AuditorTrustTests {
    func trail(_ n: Int = 25, every: Int = 10, account: LocalAccount? = nil) async throws -> (TrailFixture, AuditLog) {
        let fixture = try TrailFixture(checkpointEvery: every)
        let log = try AuditLog(database: Database(path: fixture.dbPath, options: .init(synchronousFull: false)), config: fixture.config,
                               localAccount: account)
        for i in 1...n { try await log.append(sampleEvent(i)) }
        return (fixture, log)
    }

    // {====== The real actor ======}

    @Test func anOperatorActingOnBehalfIsRecordedAsSuchAndCountedApart() async throws {
        let (fixture, log) = try await trail(3, account: LocalAccount(user: "budi", host: "srv-01"))
        let staff = Principal(id: "bapenda:staff", name: "bapenda:staff", department: "bapenda", role: .staff, clearance: .terbatas)
        let who = Principal.onBehalf(of: staff, by: .localOperator(name: "budi"))
        try await log.append(AuditEvent(actor: AuditActor(who), action: "tool.call", target: "bapenda.pbb.cek"))
        try await log.append(AuditEvent(actor: AuditActor(principalID: "key:k1", department: "bapenda", role: "staff"), action: "tool.call", target: "bapenda.pbb.cek"))
        let records = try log.tail(limit: 2)
        let impersonated = records[0].event.actor
        #expect(impersonated.principalID == "operator:budi")
        #expect(impersonated.onBehalfOf == "bapenda:staff")
        #expect(impersonated.department == "bapenda" && impersonated.role == "staff")
        #expect(impersonated.osUser == "budi" && impersonated.host == "srv-01", "the OS account is on every event this process writes")
        #expect(impersonated.displayName == "operator:budi on behalf of bapenda:staff (budi@srv-01)")
        // The readable copy (tail --json, exports) carries the fields, not only the text.
        let json = AuditRecordJSON(records[0])
        #expect(json.onBehalfOf == "bapenda:staff" && json.osUser == "budi" && json.host == "srv-01")
        // A plain event keeps its one encoding (no actor fields), so old trails still verify.
        #expect(!String(decoding: AuditEntry.encode(sampleEvent(1), seq: 1), as: UTF8.self).contains("actor."))
        // An event's own field cannot pose as the actor's.
        var posing = sampleEvent(2)
        posing.fields["actor.on_behalf_of"] = "walikota"
        #expect(try AuditEntry.decode(AuditEntry.encode(posing, seq: 1)).event.actor.onBehalfOf == nil)

        let month = AuditLog.lookupMonth(Date())
        let report = try log.report(month: month, verdict: try log.verify())
        let bapenda = report.departments.first { $0.department == "bapenda" }
        #expect(bapenda?.toolCalls == 1, "only the department's own call: \(report.departments)")
        #expect(report.onBehalf.first { $0.department == "bapenda" }?.toolCalls == 1)
        #expect(report.totals.toolCalls == 5)
        #expect(report.markdown.contains("Tindakan operator atas nama perangkat daerah"))
        try await log.close()
        _ = fixture
    }

    // {====== Verdict before data ======}

    @Test func alteredFilterColumnsAndDroppedTriggersFailTheVerdictAndTheReport() async throws {
        let (fixture, log) = try await trail()
        try await log.close()
        try fixture.tamper(dropTriggers)
        let reopened = try fixture.open()
        let dropped = try reopened.verify()
        #expect(dropped.problem == nil, "the events themselves still verify")
        #expect(dropped.status == .failed && !dropped.ok)
        #expect(Set(dropped.missingTriggers) == ["audit_events_no_update", "audit_events_no_delete", "audit_checkpoints_no_update", "audit_checkpoints_no_delete"])
        #expect(dropped.paragraph(.id).contains("Pemicu append-only"), "\(dropped.paragraph(.id))")
        #expect(dropped.paragraph(.en).contains("append-only triggers"))
        try fixture.tamper("UPDATE audit_events SET department = 'dinkes' WHERE seq = 4")
        let altered = try reopened.verify()
        #expect(altered.problem?.seq == 4 && altered.problem?.kind == .edited)
        let report = try reopened.report(month: AuditLog.lookupMonth(Date()), verdict: altered)
        let markdown = report.markdown
        let warning = try #require(markdown.range(of: "PERINGATAN"))
        let firstNumber = try #require(markdown.range(of: "| Perangkat daerah |"))
        #expect(warning.lowerBound < firstNumber.lowerBound, "the verdict comes before any number")
        #expect(report.verification?.status == "failed" && report.json.contains("\"verification\""))
        // The report counts by the hashed entry, not the altered column: seq 4 stays disdukcapil.
        #expect(report.departments.map(\.department) == ["disdukcapil"])
        try await reopened.close()
    }

    @Test func theVerdictParagraphNamesRangeDatesInWITAKeyRootAndWitnesses() async throws {
        let (fixture, log) = try await trail()
        let kept = try await log.checkpoint()
        try kept.note.write(toFile: fixture.dir.path + "/2026-10.note", atomically: true, encoding: .utf8)
        let v = try log.verify(witnesses: [Witness(file: fixture.dir.path + "/2026-10.note")])
        #expect(v.status == .verified)
        let id = v.paragraph(.id)
        #expect(id.hasPrefix("Jejak audit TERVERIFIKASI: peristiwa #1–#25 ("), "\(id)")
        #expect(id.contains(" WITA s.d. ") && id.contains("WITA)"))
        #expect(id.contains(try NoteVerifierKey(parsing: log.publicKey).fingerprint))
        let noteRoot = String(kept.note.split(separator: "\n")[2])
        #expect(id.contains("akar \(noteRoot)"), "the root in the checkpoint note's own base64")
        #expect(id.contains("Saksi \(fixture.dir.path)/2026-10.note (ukuran 25): cocok."), "\(id)")
        #expect(v.paragraph(.en).contains("Witness \(fixture.dir.path)/2026-10.note (size 25): matches."))
        // Fingerprint: eight groups of four, readable on paper.
        #expect(try NoteVerifierKey(parsing: log.publicKey).fingerprint.range(of: "^([0-9A-F]{4} ){7}[0-9A-F]{4}$", options: .regularExpression) != nil)
        try await log.close()
    }

    /// Each tampering the tests produce gets a paragraph naming its first bad event and what happened.
    @Test(arguments: [
        ("UPDATE audit_events SET entry = CAST(replace(CAST(entry AS TEXT), 'req-7', 'req-X') AS BLOB) WHERE seq = 7", Int64(7), "diubah"),
        ("DELETE FROM audit_events WHERE seq = 12", Int64(12), "dihapus"),
        ("DELETE FROM audit_events WHERE seq > 22", Int64(23), "dipotong"),
    ])
    func eachTamperingHasAPlainVerdict(sql: String, seq: Int64, word: String) async throws {
        let (fixture, log) = try await trail()
        try await log.close()
        try fixture.tamper(dropTriggers)
        try fixture.tamper(sql)
        let reopened = try fixture.open()
        let v = try reopened.verify()
        #expect(v.problem?.seq == seq, "\(v)")
        let text = v.paragraph(.id)
        #expect(text.hasPrefix("Jejak audit GAGAL diverifikasi"), "\(text)")
        #expect(text.contains("Peristiwa pertama yang tidak dapat dipercaya: #\(seq), \(word)"), "\(text)")
        #expect(text.contains("Peristiwa #1–#\(seq - 1) utuh."), "\(text)")
        #expect(v.paragraph(.en).contains("The first event that cannot be trusted: #\(seq)"))
        try await reopened.close()
    }

    /// A rewrite re-signed with the real key, caught by a witness: the verdict says it was signed
    /// again (not "not re-signed"), and names the range after the last witness that still matches,
    /// not seq 1.
    @Test func aRewriteCaughtByAWitnessNamesTheRangeAfterTheLastMatchingWitness() async throws {
        let (fixture, log) = try await trail(25)
        let early = try await log.checkpoint()   // size 25, kept in October
        for i in 26...40 { try await log.append(sampleEvent(i)) }
        let late = try await log.checkpoint()    // size 40, kept in November
        try await log.close()
        // Rewrite event 30, recompute every hash after it and re-sign the trail's checkpoints.
        let rows = try fixture.rows()
        var chain = AuditLog.chainSeed
        var leaves: [Hash] = []
        var updates: [(Int64, [UInt8], [UInt8])] = []
        for row in rows {
            var entry = row.entry
            if row.seq == 30 {
                var e = try AuditEntry.decode(entry).event
                e.fields["n"] = "diubah"
                entry = AuditEntry.encode(e, seq: 30)
            }
            leaves.append(Merkle.leafHash(entry))
            chain = AuditLog.chainHash(chain, leaves.last!)
            updates.append((row.seq, entry, chain))
        }
        try fixture.tamper(dropTriggers)
        let signer = try NoteSigner.loadOrCreate(path: AuditLog.keyPath(config: fixture.config), name: fixture.config.audit.origin)
        let db = try Database(path: fixture.dbPath)
        try db.write { c in
            for (seq, entry, chain) in updates { try c.run("UPDATE audit_events SET entry = ?, chain = ? WHERE seq = ?", [.blob(entry), .blob(chain), .integer(seq)]) }
            for size in try c.query("SELECT tree_size FROM audit_checkpoints", []) { $0.int(0) } {
                let resigned = try signer.sign(origin: fixture.config.audit.origin, treeSize: size, rootHash: Merkle.root(leaves[0..<size]))
                try c.run("UPDATE audit_checkpoints SET note = ? WHERE tree_size = ?", [.text(resigned.note), .integer(Int64(size))])
            }
        }
        try? FileManager.default.removeItem(atPath: fixture.dir.path + "/audit-checkpoint.latest")
        let reopened = try fixture.open()
        let v = try reopened.verify(witnesses: [Witness(note: early.note, source: "2026-10.note"), Witness(note: late.note, source: "2026-11.note")])
        #expect(v.problem?.kind == .rewritten)
        #expect(v.problem?.seq == 26 && v.problem?.through == 40, "after the October witness (25), up to the November one (40): \(v)")
        let id = v.paragraph(.id)
        #expect(id.contains("terletak di antara #26 dan #40"), "\(id)")
        #expect(id.contains("Saksi 2026-10.note (ukuran 25): cocok.") && id.contains("Saksi 2026-11.note (ukuran 40): TIDAK cocok"), "\(id)")
        let en = v.paragraph(.en)
        #expect(en.contains("signed again") && !en.contains("not re-signed"), "\(en)")
        try await reopened.close()
    }

    /// An export made with --since cannot check an older witness: one verdict, "not fully verified",
    /// never "verified" beside "not checked".
    @Test func aSinceExportWithAnOlderWitnessIsIncompleteNotVerified() async throws {
        let (fixture, log) = try await trail(10)
        let kept = try await log.checkpoint()
        for i in 11...12 { try await log.append(sampleEvent(i)) }
        try await Task.sleep(for: .milliseconds(20))
        let since = Date()
        for i in 13...20 { try await log.append(sampleEvent(i)) }
        let path = fixture.dir.path + "/since.jsonl"
        try await log.export(since: since, to: path)
        let v = try AuditLog.verify(exportFile: path, publicKey: log.publicKey, witnesses: [Witness(note: kept.note, source: "old.note")])
        #expect(v.problem == nil && v.status == .incomplete && !v.ok, "\(v)")
        #expect(v.paragraph(.id).hasPrefix("Jejak audit BELUM TERVERIFIKASI SEPENUHNYA: peristiwa #13–#"), "\(v.paragraph(.id))")
        #expect(v.paragraph(.id).contains("Saksi old.note (ukuran 10): TIDAK diperiksa"))
        try await log.close()
    }

    // {====== Key rotation ======}

    @Test func aRotatedKeyVerifiesEndToEndFromAnExportWithTheOldOrTheNewKey() async throws {
        let (fixture, log) = try await trail(15)
        let oldKey = log.publicKey
        let digestBefore = log.contentDigest("Apa syarat KTP?")
        let (old, new) = try await log.rotateKey(by: .localOperator(name: "budi"))
        #expect(old == oldKey && new != oldKey && log.publicKey == new)
        for i in 16...30 { try await log.append(sampleEvent(i)) }
        #expect(log.contentDigest("Apa syarat KTP?") == digestBefore, "digests stay comparable across the rotation")
        let local = try log.verify()
        #expect(local.status == .verified && local.keyChain == [oldKey, new], "\(local)")
        let path = fixture.dir.path + "/trail.jsonl"
        try await log.export(to: path)
        try await log.close()

        // The old private key is gone; a new process signs with the new key and still verifies.
        let keyText = try String(contentsOfFile: AuditLog.keyPath(config: fixture.config), encoding: .utf8)
        #expect(try NoteSigner(fileText: keyText, path: "k").verifier.description == new)
        let reopened = try fixture.open()
        #expect(reopened.contentDigest("Apa syarat KTP?") == digestBefore)
        try await reopened.append(sampleEvent(31))
        #expect(try reopened.verify().status == .verified)
        try await reopened.close()

        for trusted in [oldKey, new] {
            let v = try AuditLog.verify(exportFile: path, publicKey: trusted)
            #expect(v.status == .verified && v.keyChain.count == 2, "trusting \(trusted): \(v)")
            #expect(v.paragraph(.id).contains("rantai 2 kunci"))
        }
        let rotation = try #require(try AuditExport.verifiedRecords(exportFile: path, publicKey: new).1.first { $0.event.action == "audit.key_rotate" })
        #expect(rotation.event.fields["new_key"] == new)

        // A handover the retiring key did not sign (a successor minted by someone else) is refused.
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let index = try #require(lines.firstIndex { $0.contains("\"type\":\"handover\"") })
        var line = try JSONSerialization.jsonObject(with: Data(lines[index].utf8)) as! [String: Any]
        var noteLines = (line["note"] as! String).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let firstSignature = try #require(noteLines.firstIndex { $0.hasPrefix("\u{2014} ") })
        noteLines.remove(at: firstSignature)  // the old key's signature
        line["note"] = noteLines.joined(separator: "\n")
        lines[index] = String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self)
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let refused = try AuditLog.verify(exportFile: path, publicKey: oldKey)
        #expect(refused.status == .failed && refused.problem?.kind == .badSignature, "\(refused)")
    }

    /// A process that still holds the old key (the service, while the CLI rotated) never signs with it.
    @Test func aWriterHoldingARetiredKeyPicksUpTheNewOne() async throws {
        let (fixture, first) = try await trail(5)
        let second = try fixture.open()
        let (_, new) = try await second.rotateKey(by: .localOperator())
        try await first.append(sampleEvent(6))
        let checkpoint = try await first.checkpoint()
        #expect(try NoteVerifierKey(parsing: new).check(note: checkpoint.note) != .unknownKey(signers: []))
        #expect(first.publicKey == new)
        #expect(try first.verify().status == .verified)
        try await first.close()
        try await second.close()
    }
}
