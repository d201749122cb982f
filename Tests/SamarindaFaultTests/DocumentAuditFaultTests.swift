import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SamarindaCore
import SamarindaDocuments
import Testing

/// Issue 15, item 13: a document ingest or removal is committed only together with its audit event.
/// When the trail cannot record, nothing is ingested or removed, the caller is told so (503 over HTTP,
/// an error and exit 1 on the CLI), and after recovery it works.
@Suite(.serialized) struct DocumentAuditFaultTests {
    static let memo = "MEMO PELAYANAN\n\nPasal 1\nLoket kependudukan buka pukul tujuh pagi.\n"

    func upload(_ server: FaultServer, key: String, name: String, content: String) async throws -> FaultServer.Reply {
        try await send(server, "POST", "/v1/documents", key: key, json: [
            "filename": name, "content": content, "collection": "disdukcapil-umum", "classification": "biasa"])
    }

    func send(_ server: FaultServer, _ method: String, _ path: String, key: String, json: Any? = nil) async throws -> FaultServer.Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 20
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return FaultServer.Reply(status: (response as! HTTPURLResponse).statusCode, body: data)
    }

    func documents(_ server: FaultServer) throws -> [(id: Int64, status: String, chunks: Int)] {
        try server.platform.database.read { c in
            try c.query("SELECT id, status, (SELECT count(*) FROM doc_chunks ch WHERE ch.document_id = d.id) FROM doc_documents d ORDER BY id") {
                ($0.int64(0), $0.text(1), $0.int(2))
            }
        }
    }

    @Test func readOnlyDatabaseRefusesIngestAndRemoveWith503AndRecovers() async throws {
        let server = try await FaultServer()
        await server.start()
        let head = try await server.platform.keys.create(name: "kepala", department: "disdukcapil", role: .deptAdmin).key
        let first = try await upload(server, key: head, name: "memo.txt", content: Self.memo)
        #expect(first.status == 201, "\(first.text)")
        let firstID = try #require(first.json["document_id"] as? Int)
        let before = try documents(server)
        let events = try server.platform.auditLog.count()

        try server.platform.database.withWriter { try $0.execute("PRAGMA query_only = 1") }
        let ingest = try await upload(server, key: head, name: "jadwal.txt", content: "JADWAL\n\nLoket tutup pukul empat sore.\n")
        #expect(ingest.status == 503 && ingest.errorCode == "audit_unavailable", "\(ingest.status) \(ingest.text)")
        #expect(ingest.errorMessage.contains("audit trail could not record") && ingest.errorMessage.contains("nothing was changed"), "\(ingest.text)")
        let remove = try await send(server, "DELETE", "/v1/documents/\(firstID)", key: head)
        #expect(remove.status == 503 && remove.errorCode == "audit_unavailable", "\(remove.status) \(remove.text)")
        // Nothing was ingested or removed, and nothing unaudited is in the trail.
        #expect(try documents(server).map(\.status) == before.map(\.status))
        #expect(try documents(server).map(\.chunks) == before.map(\.chunks))
        #expect(try server.platform.auditLog.count() == events)
        #expect(try await server.healthy())

        try server.platform.database.withWriter { try $0.execute("PRAGMA query_only = 0") }
        let again = try await upload(server, key: head, name: "jadwal.txt", content: "JADWAL\n\nLoket tutup pukul empat sore.\n")
        #expect(again.status == 201 && again.json["outcome"] as? String == "added", "\(again.text)")
        #expect(try await send(server, "DELETE", "/v1/documents/\(firstID)", key: head).status == 200)
        let ingested = try server.platform.auditLog.tail(limit: 100, action: "docs.ingest").map(\.event)
        #expect(ingested.contains { $0.target == "document:\(again.json["document_id"] as? Int ?? -1)" && $0.outcome == .ok })
        #expect(try server.platform.auditLog.tail(limit: 100, action: "docs.remove").map(\.event).contains { $0.target == "document:\(firstID)" })
        #expect(try server.auditVerdict().ok)
        await server.stop()
    }

    /// The database still takes writes but the trail cannot record (it is closed): the change is rolled back.
    @Test func closedTrailRollsTheChangeBack() async throws {
        let server = try await FaultServer()
        let store = server.platform.documents
        let added = await store.ingest(data: Data(Self.memo.utf8), sourceName: "memo.txt", collection: "umum", classification: .biasa,
                                       department: "public", by: .system)
        let id = try #require(added.documentID)
        let before = try documents(server)
        try await server.platform.auditLog.close()

        let refused = await store.ingest(data: Data("# Baru\n\nIsi baru.\n".utf8), sourceName: "baru.md", collection: "umum",
                                         classification: .biasa, by: .system)
        #expect(refused.failure == .unavailable)
        guard case .skipped(let reason) = refused.outcome else { Issue.record("ingested without its audit event"); return }
        #expect(reason.contains("audit trail could not record"), "\(reason)")
        let replaced = await store.ingest(data: Data((Self.memo + "Revisi.\n").utf8), sourceName: "memo.txt", collection: "umum",
                                          classification: .biasa, by: .system)
        #expect(replaced.failure == .unavailable, "\(replaced.outcome)")
        let removal = await #expect(throws: DocumentsError.self) { try await store.remove(id: id, by: .system) }
        // document(id:) is audited too, so the removal stops there or at its own commit: either way nothing is removed.
        #expect(removal?.kind == .unavailable, "\(String(describing: removal))")
        #expect(try documents(server).map(\.status) == before.map(\.status))
        #expect(try documents(server).map(\.chunks) == before.map(\.chunks))
        await server.stop()
    }

    /// The CLI on a data folder whose disk fills: a clear error, exit 1, nothing half-ingested; after space returns it works.
    @Test func cliIngestOnAFullDiskFailsClearlyAndRecovers() async throws {
        let dir = try TemporaryDirectory(prefix: "samarinda-clifull")
        let data = dir.path + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        guard shell("mount -t tmpfs -o size=32m samarinda-clifull \(data)") == 0 else {
            // Not root (no mount): the HTTP and store tests above cover the same path.
            return
        }
        defer { shell("umount -l \(data)") }
        let configPath = dir.path + "/samarinda.toml"
        try """
            [storage]
            path = "\(data)/samarinda.db"
            [plugins]
            dir = "\(dir.path)/Plugins"
            [documents]
            seed_dir = ""
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        func ingest(_ file: String) throws -> (status: Int32, output: String) {
            try SamarindaBinary.run(["docs", "ingest", file, "--collection", "umum", "--classification", "biasa", "--department", "public",
                                     "--config", configPath])
        }
        let small = dir.path + "/memo.txt"
        try Self.memo.write(toFile: small, atomically: true, encoding: .utf8)
        let ok = try ingest(small)
        #expect(ok.status == 0, "\(ok.output)")
        // A 3 MiB document, then fill the disk leaving 256 KiB: enough to open, not to ingest it.
        let big = dir.path + "/besar.md"
        let paragraph = "Pelayanan administrasi kependudukan dilaksanakan di kecamatan dengan membawa dokumen asli. "
        try ("# Besar\n\n" + (0..<30_000).map { "\(paragraph)\($0)." }.joined(separator: "\n\n")).write(toFile: big, atomically: true, encoding: .utf8)
        shell("dd if=/dev/zero of=\(data)/filler bs=64k 2>/dev/null; truncate -s -256K \(data)/filler")
        let full = try ingest(big)
        #expect(full.status == 1, "\(full.output)")
        #expect(full.output.contains("audit trail could not record this change, so nothing was changed"), "\(full.output)")
        let count = try Self.count("\(data)/samarinda.db")
        #expect(count == 1, "nothing half-ingested")

        try FileManager.default.removeItem(atPath: data + "/filler")
        let after = try ingest(big)
        #expect(after.status == 0, "\(after.output)")
        #expect(after.output.contains("added"), "\(after.output)")
        let verify = try SamarindaBinary.run(["audit", "verify", "--config", configPath])
        #expect(verify.status == 0, "\(verify.output)")
    }

    static func count(_ path: String) throws -> Int {
        let database = try Database(path: path)
        return try database.read { c in try c.queryFirst("SELECT count(*) FROM doc_documents WHERE status = 'current'") { $0.int(0) } ?? 0 }
    }
}
