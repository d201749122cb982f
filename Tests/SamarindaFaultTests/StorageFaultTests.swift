import Foundation
import Testing
import SamarindaCore

/// The database's disk fills up, or the database stops accepting writes: requests fail with a clear
/// error, nothing already acknowledged is lost, the service keeps answering and recovers.
@Suite(.serialized) struct StorageFaultTests {
    /// Fills a real size-limited file system (a 3 MiB tmpfs mounted over the data folder) when the test
    /// may mount (root, as in CI and the dev machines); otherwise caps the database with SQLite's
    /// `PRAGMA max_page_count`, which fails writes with the same SQLITE_FULL.
    @Test func fullDiskFailsWritesClearlyAndLosesNothing() async throws {
        let scratch = try TemporaryDirectory(prefix: "samarinda-diskfull")
        let mountPoint = scratch.path + "/data"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = shell("mount -t tmpfs -o size=3m samarinda-fault \(mountPoint)") == 0
        defer { if mounted { shell("umount -l \(mountPoint)") } }
        let server = try await FaultServer(dataDir: mountPoint)
        await server.start()
        for _ in 0..<5 { #expect(try await server.chat(model: "samarinda-default").status == 200) }
        let acknowledged = try server.platform.auditLog.count()

        let filler = mountPoint + "/filler"
        if mounted {
            shell("dd if=/dev/zero of=\(filler) bs=64k 2>/dev/null")
        } else {
            try server.platform.database.withWriter { c in
                let pages = try c.queryFirst("PRAGMA page_count") { $0.int(0) } ?? 1
                try c.execute("PRAGMA max_page_count = \(pages)")
            }
        }
        var failures: [FaultServer.Reply] = []
        for i in 0..<60 {
            let reply = try await server.request("POST", "/v1/chat/completions", json: [
                "model": "samarinda-default",
                "messages": [["role": "user", "content": "Syarat KTP-el nomor \(i) " + String(repeating: "dan akta kelahiran ", count: 40)]]])
            if reply.status != 200 { failures.append(reply) }
            #expect(reply.status == 200 || (500...599).contains(reply.status), "\(reply.status) \(reply.text)")
        }
        #expect(!failures.isEmpty, "writes on a full disk must fail (mounted: \(mounted))")
        // The client gets a request id; the service log says, under that id, that the audit trail could not be
        // written because the disk is full (internals are not shown to clients).
        for f in failures { #expect(f.errorMessage.contains("request"), "a failure must carry the request id: \(f.text)") }
        #expect(try await server.healthy())

        // Space comes back: the service recovers without a restart, and nothing acknowledged was lost.
        if mounted {
            try FileManager.default.removeItem(atPath: filler)
        } else {
            try server.platform.database.withWriter { try $0.execute("PRAGMA max_page_count = 1073741823") }
        }
        #expect(try await server.chat(model: "samarinda-default").status == 200)
        #expect(try server.platform.auditLog.count() >= acknowledged + 1)
        #expect(try server.auditVerdict().ok)
        #expect(try await server.healthy())
        await server.stop()
    }

    /// The database stops accepting writes while the service runs. A running process keeps its open
    /// file descriptors writable whatever happens to the file's mode (and root ignores modes), so this
    /// is simulated on the writer connection with SQLite's `PRAGMA query_only`, which fails writes
    /// with SQLITE_READONLY as a read-only file would.
    @Test func readOnlyDatabaseFailsWritesClearlyKeepsReadsAndRecovers() async throws {
        let server = try await FaultServer()
        let folder = server.pluginsDir + "/umum.gema"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try PluginReloadFaultTests.manifest.replacingOccurrences(of: "VERSION", with: "1.0.0").write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        try PluginReloadFaultTests.lua.write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
        await server.start()
        for _ in 0..<3 { #expect(try await server.chat(model: "samarinda-default").status == 200) }
        let acknowledged = try server.platform.auditLog.count()

        try server.platform.database.withWriter { try $0.execute("PRAGMA query_only = 1") }
        let reply = try await server.chat(model: "samarinda-default")
        // The audit event cannot be written, so the answer is refused rather than given unrecorded:
        // 503 (the service cannot record now; retry), not a 500 that would read as a bug.
        #expect(reply.status == 503 && ["storage", "audit_unavailable"].contains(reply.errorCode), "\(reply.status) \(reply.text)")
        #expect(reply.errorMessage.contains("audit trail") && reply.errorMessage.contains("request"), "\(reply.text)")
        let tool = try await server.request("POST", "/v1/tools/umum.gema/gema", json: ["teks": "halo"])
        #expect(tool.status == 503 && tool.errorCode == "unavailable", "\(tool.status) \(tool.text)")
        #expect(!tool.text.contains("\"teks\":\"halo\""), "the result is withheld when its call cannot be audited")
        #expect(try await server.healthy())
        // Reads still work: the auditor's view of the trail.
        #expect(try server.platform.auditLog.count() >= acknowledged)

        try server.platform.database.withWriter { try $0.execute("PRAGMA query_only = 0") }
        #expect(try await server.chat(model: "samarinda-default").status == 200)
        #expect(try await server.request("POST", "/v1/tools/umum.gema/gema", json: ["teks": "halo"]).status == 200)
        #expect(try server.platform.auditLog.count() >= acknowledged + 1)
        #expect(try server.auditVerdict().ok)
        await server.stop()
    }
}
