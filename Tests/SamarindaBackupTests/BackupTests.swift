import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import SamarindaBackup
import SamarindaAudit
import SamarindaCore
import SamarindaRuntime
import SamarindaServer

/// A platform on its own data folder, with a backup key file beside it.
final class BackupFixture: @unchecked Sendable {
    let dir: TemporaryDirectory
    let platform: Platform
    let keyFile: String
    var secret: BackupSecret { try! BackupSecret.resolve(keyFile: keyFile, configured: "") }
    var backups: String { dir.path + "/backups" }

    static let shippedPlugins = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Plugins").path

    init(extra: String = "") async throws {
        dir = try TemporaryDirectory(prefix: "samarinda-backup")
        let configPath = dir.path + "/samarinda.toml"
        let text = """
            [storage]
            path = "\(dir.path)/data/samarinda.db"
            synchronous = "normal"
            [plugins]
            dir = "\(Self.shippedPlugins)"
            [documents]
            seed_dir = ""
            [audit]
            checkpoint_every = 25
            [backup]
            dir = "\(dir.path)/backups"
            keep = 2
            \(extra)
            """
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        platform = try await Platform.open(config: try SamarindaConfig.load(explicitPath: configPath))
        keyFile = dir.path + "/backup.key"
        try BackupSecret.generateKeyFile(at: keyFile)
    }

    func backup(tuning: Backup.Tuning = .init(chunkBytes: 4096)) async throws -> Backup.Created {
        try await Backup.create(database: platform.database, auditLog: platform.auditLog, config: platform.config, secret: secret,
                                to: backups, actor: AuditActor(.localOperator(name: "test")), tuning: tuning)
    }

    func event(_ n: Int) -> AuditEvent {
        AuditEvent(actor: AuditActor(.localOperator(name: "load")), action: "test.write", target: "write-\(n)")
    }
}

/// Acknowledged writes, shared between the load tasks and the test.
final class Acknowledged: @unchecked Sendable {
    private let lock = NSLock()
    private var seqs: [Int64: String] = [:]
    private var httpOK = 0
    func add(_ seq: Int64, _ target: String) { lock.withLock { seqs[seq] = target } }
    func addHTTP() { lock.withLock { httpOK += 1 } }
    var snapshot: [Int64: String] { lock.withLock { seqs } }
    var http: Int { lock.withLock { httpOK } }
}

func post(_ port: Int, _ path: String, key: String, json: Any) async throws -> Int {
    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
    request.httpMethod = "POST"
    request.timeoutInterval = 30
    request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    request.httpBody = try JSONSerialization.data(withJSONObject: json)
    let (_, response) = try await URLSession.shared.data(for: request)
    return (response as! HTTPURLResponse).statusCode
}

@Suite(.serialized) struct BackupTests {
    @Test func backupTakenWhileToolCallsAndChatsAreWrittenRestoresEveryAcknowledgedEventAndVerifies() async throws {
        let f = try await BackupFixture()
        let key = try await f.platform.keys.create(name: "staff", department: "dinkes", role: .staff).key
        await f.platform.plugins.start()
        let (port, server) = await SamarindaService(platform: f.platform).startInBackground()
        let acked = Acknowledged()
        let stop = ManagedAtomicFlag()
        // Load: direct audit appends (whose sequence numbers we know), chats and tool calls over HTTP.
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<3 {
                    group.addTask {
                        var n = 0
                        while !stop.isSet {
                            n += 1
                            let event = f.event(worker * 1_000_000 + n)
                            if let seq = try? await f.platform.auditLog.append(event) { acked.add(seq, event.target) }
                        }
                    }
                }
                group.addTask {
                    while !stop.isSet {
                        if (try? await post(port, "/v1/chat/completions", key: key,
                                            json: ["model": "samarinda-default", "messages": [["role": "user", "content": "Apa syarat KTP-el?"]]])) == 200 {
                            acked.addHTTP()
                        }
                    }
                }
                group.addTask {
                    while !stop.isSet {
                        if (try? await post(port, "/v1/tools/disdukcapil.cek-nik/cek_nik", key: key, json: ["nik": "6472054501900003"])) == 200 {
                            acked.addHTTP()
                        }
                    }
                }
            }
        }
        while acked.snapshot.count < 60 || acked.http < 4 { try await Task.sleep(for: .milliseconds(20)) }
        let before = acked.snapshot
        let httpBefore = acked.http
        let created = try await f.backup()
        try await Task.sleep(for: .milliseconds(200))
        stop.set()
        await load.value
        #expect(acked.http > httpBefore, "chats and tool calls went on while the backup ran")
        server.cancel()
        _ = try? await server.value
        f.platform.plugins.stop()
        try await f.platform.close()

        let size = Int64(created.manifest.audit.treeSize)
        #expect(before.keys.allSatisfy { $0 <= size }, "every event acknowledged before the backup started is inside its snapshot")
        let restoredDir = f.dir.path + "/restored"
        let checked = try await Backup.restore(archive: created.path, secret: f.secret, to: restoredDir)
        #expect(checked.manifest.audit.treeSize == Int(size))
        let config = try SamarindaConfig.load(explicitPath: try #require(checked.configPath))
        #expect(config.storage.path == restoredDir + "/samarinda.db")
        let restored = try await Platform.open(config: config)
        let verdict = try restored.auditLog.verify()
        #expect(verdict.ok, "\(verdict.description)")
        let records = try restored.auditLog.tail(limit: 1_000_000)
        let bySeq = Dictionary(uniqueKeysWithValues: records.map { ($0.seq, $0.event.target) })
        for (seq, target) in acked.snapshot where seq <= size {
            #expect(bySeq[seq] == target, "acknowledged event \(seq) (\(target)) is in the restore")
        }
        #expect(records.contains { $0.event.action == "tool.call" } && records.contains { $0.event.action == "model.call" })
        #expect(records.filter { $0.seq <= size }.count == Int(size))
        try await restored.close()
    }

    @Test func verifyAcceptsAGoodArchiveAndTheCreateIsAudited() async throws {
        let f = try await BackupFixture()
        for n in 0..<30 { try await f.platform.auditLog.append(f.event(n)) }
        let created = try await f.backup()
        let checked = try await Backup.verify(archive: created.path, secret: f.secret)
        #expect(checked.manifest.files.contains { $0.name == "config/samarinda.toml" })
        #expect(checked.manifest.files.contains { $0.name == "audit/audit-signing.key" })
        #expect(checked.manifest.files.contains { $0.name.hasPrefix("plugins/disdukcapil.cek-nik/") })
        #expect(checked.audit.contains("\(created.manifest.audit.treeSize)"))
        let events = try f.platform.auditLog.tail(limit: 5, action: "backup.create")
        #expect(events.last?.event.target == created.path)
        #expect(events.last?.event.fields["tree_size"] == "\(created.manifest.audit.treeSize)")
        try await f.platform.close()
    }

    @Test func aCorruptedArchiveIsRefusedNamingTheChunk() async throws {
        let f = try await BackupFixture()
        let created = try await f.backup()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: created.path))
        bytes[bytes.count / 2] ^= 0x40
        let bad = f.dir.path + "/corrupted.sambackup"
        try bytes.write(to: URL(fileURLWithPath: bad))
        let error = await #expect(throws: BackupError.self) { try await Backup.verify(archive: bad, secret: f.secret) }
        #expect(error?.kind == .corrupted)
        #expect(error?.message.contains("damaged at chunk") == true, "\(error?.message ?? "")")
        // Nothing is left behind in a restore folder after a refused archive.
        let target = f.dir.path + "/restore-corrupted"
        await #expect(throws: BackupError.self) { try await Backup.restore(archive: bad, secret: f.secret, to: target) }
        #expect((try? FileManager.default.contentsOfDirectory(atPath: target))?.isEmpty ?? true)
        try await f.platform.close()
    }

    @Test func aTruncatedArchiveIsRefusedAtAChunkBoundaryAndInsideAChunk() async throws {
        let f = try await BackupFixture()
        let created = try await f.backup()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: created.path))
        // Cut right after the third chunk (a clean boundary: only the missing final flag tells) and mid-chunk.
        let headerEnd = 17 + 4 + Int(bytes[17...20].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        var boundary = headerEnd
        for _ in 0..<3 {
            let length = Int(bytes[(boundary + 1)...(boundary + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            boundary += 5 + length
        }
        for (cut, expected) in [(boundary, "without its final chunk"), (bytes.count - 100, "in the middle of chunk")] {
            let bad = f.dir.path + "/truncated-\(cut).sambackup"
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: bad))
            let error = await #expect(throws: BackupError.self) { try await Backup.verify(archive: bad, secret: f.secret) }
            #expect(error?.kind == .truncated)
            #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
        }
        // Bytes appended after the final chunk are refused too.
        let padded = f.dir.path + "/padded.sambackup"
        try (bytes + Data([1, 2, 3])).write(to: URL(fileURLWithPath: padded))
        let error = await #expect(throws: BackupError.self) { try await Backup.verify(archive: padded, secret: f.secret) }
        #expect(error?.kind == .corrupted)
        try await f.platform.close()
    }

    @Test func aWrongKeyOrPassphraseIsRefusedAsSuch() async throws {
        let f = try await BackupFixture()
        let created = try await f.backup()
        let otherKey = f.dir.path + "/other.key"
        try BackupSecret.generateKeyFile(at: otherKey)
        let wrong = await #expect(throws: BackupError.self) {
            try await Backup.verify(archive: created.path, secret: try BackupSecret.resolve(keyFile: otherKey, configured: ""))
        }
        #expect(wrong?.kind == .wrongKey)
        #expect(wrong?.message.contains("different key file") == true)
        // A passphrase archive: scrypt, the right phrase opens it, a wrong one and a key file do not.
        let phrase = try BackupSecret.resolve(keyFile: nil, configured: "", environment: [BackupSecret.passphraseVariable: "kota tepian mahakam 2026"])
        let byPhrase = try await Backup.create(database: f.platform.database, auditLog: f.platform.auditLog, config: f.platform.config,
                                               secret: phrase, to: f.backups, actor: .anonymous, tuning: .init(chunkBytes: 4096, scryptLog2N: 10))
        _ = try await Backup.verify(archive: byPhrase.path, secret: phrase)
        let wrongPhrase = try BackupSecret.resolve(keyFile: nil, configured: "", environment: [BackupSecret.passphraseVariable: "kota tepian mahakam 2025"])
        let e1 = await #expect(throws: BackupError.self) { try await Backup.verify(archive: byPhrase.path, secret: wrongPhrase) }
        #expect(e1?.kind == .wrongKey)
        let e2 = await #expect(throws: BackupError.self) { try await Backup.verify(archive: byPhrase.path, secret: f.secret) }
        #expect(e2?.kind == .wrongKey)
        #expect(e2?.message.contains("passphrase") == true)
        // No key at all, and a short passphrase, are clear errors before anything is read.
        #expect(throws: BackupError.self) { try BackupSecret.resolve(keyFile: nil, configured: "", environment: [:]) }
        #expect(throws: BackupError.self) { try BackupSecret.resolve(keyFile: nil, configured: "", environment: [BackupSecret.passphraseVariable: "short"]) }
        #expect(throws: BackupError.self) { try BackupSecret.generateKeyFile(at: f.keyFile) }
        try await f.platform.close()
    }

    @Test func restoreRefusesAFolderThatIsNotEmptyAndAFileThatIsNotAnArchive() async throws {
        let f = try await BackupFixture()
        let created = try await f.backup()
        let target = f.dir.path + "/occupied"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try "keep me".write(toFile: target + "/notes.txt", atomically: true, encoding: .utf8)
        let error = await #expect(throws: BackupError.self) { try await Backup.restore(archive: created.path, secret: f.secret, to: target) }
        #expect(error?.kind == .destinationNotEmpty)
        #expect(error?.message.contains("notes.txt") == true)
        #expect(try String(contentsOfFile: target + "/notes.txt", encoding: .utf8) == "keep me")
        let notArchive = f.dir.path + "/samarinda.toml"
        let e2 = await #expect(throws: BackupError.self) { try await Backup.verify(archive: notArchive, secret: f.secret) }
        #expect(e2?.kind == .notAnArchive)
        try await f.platform.close()
    }

    @Test func entryNamesThatEscapeTheRestoreFolderAreRefused() throws {
        for name in ["../etc/passwd", "/etc/passwd", "plugins/../../x", "database/", "other/file", "plugins/a//b", "plugins/./a"] {
            #expect(throws: BackupError.self, "\(name)") { try checkedEntryName(name) }
        }
        #expect(try checkedEntryName("plugins/dinkes.rujukan/main.lua") == "plugins/dinkes.rujukan/main.lua")
    }

    @Test func scheduledBackupsAreAuditedPrunedAndDoctorReportsTheirAge() async throws {
        let f = try await BackupFixture(extra: "every = \"6h\"")
        let config = try SamarindaConfig.load(explicitPath: f.dir.path + "/samarinda.toml")
        var withKey = config
        withKey.backup.keyFile = f.keyFile
        #expect(Doctor(config: withKey).checkBackups().status == .warning)
        let scheduler = BackupScheduler(database: f.platform.database, auditLog: f.platform.auditLog, config: withKey)
        for _ in 0..<3 { #expect(await scheduler.runOnce() != nil) }
        #expect(BackupCatalog.archives(in: f.backups).count == 2, "keep = 2")
        let events = try f.platform.auditLog.tail(limit: 10, action: "backup.create")
        #expect(events.count == 3 && events.allSatisfy { $0.event.outcome == .ok && $0.event.fields["scheduled"] == "true" })
        let check = Doctor(config: withKey).checkBackups()
        #expect(check.status == .ok && check.detail.contains("last good backup"))
        #expect(Doctor(config: withKey).checkBackups(now: Date().addingTimeInterval(13 * 3600)).status == .warning)
        // Without a key the scheduled attempt fails, and that failure is in the trail.
        let noKey = BackupScheduler(database: f.platform.database, auditLog: f.platform.auditLog, config: config)
        #expect(await noKey.runOnce() == nil || ProcessInfo.processInfo.environment[BackupSecret.passphraseVariable] != nil)
        let failed = try f.platform.auditLog.tail(limit: 1, action: "backup.create").last
        #expect(failed?.event.outcome == .error(code: "no_key"))
        try await f.platform.close()
    }

    @Test func backupAndFleetConfigurationErrorsNameTheKey() throws {
        #expect(throws: ConfigErrors.self) { try SamarindaConfig.parse("[backup]\nevery = \"5 hours\"") }
        #expect(throws: ConfigErrors.self) { try SamarindaConfig.parse("[backup]\nevery = \"10s\"") }
        let ok = try SamarindaConfig.parse("[backup]\nevery = \"6h\"\nkeep = 28\nkey_file = \"/etc/samarinda/backup.key\"\ndir = \"/var/backups/samarinda\"")
        #expect(ok.backup.everySeconds == 6 * 3600 && ok.backup.keep == 28 && ok.backup.dir == "/var/backups/samarinda")
        do {
            _ = try SamarindaConfig.parse("[backup]\nevery = \"weekly\"")
        } catch let errors as ConfigErrors {
            #expect(errors.description.contains("every") && errors.description.contains("6h"))
        }
    }
}

/// A flag set once from one task and read from others.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
