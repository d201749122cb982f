import Foundation
import SamarindaCore
import SamarindaDocuments
import Testing

extension TestServer {
    /// Polls `GET /v1/jobs/{id}` as `key` until the job is done or failed (at most `seconds`); returns its last answer.
    func waitForJob(_ id: String, key: String, seconds: Double = 120) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let reply = try await request("GET", "/v1/jobs/\(id)", key: key)
            #expect(reply.status == 200, "\(reply.text)")
            let status = reply.json["status"] as? String
            if status == "done" || status == "failed" || Date() > deadline { return reply.json }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

/// Issue 26: background ingestion jobs over real HTTP and SQLite. An OCR upload or one sent with
/// `Prefer: respond-async` answers 202 with a job; only its owner reads it; start and end are audited.
@Suite struct JobRoutesTests {
    @Test func anAsyncUploadIsAJobOnlyItsOwnerMayFollow() async throws {
        let server = try await TestServer()
        let owner = server.key("deptadmin-bapenda")
        let upload = try await server.request("POST", "/v1/documents", key: owner, json: [
            "filename": "jadwal.txt", "content": "Jadwal pelayanan pajak bumi dan bangunan di kantor kelurahan.", "classification": "biasa"],
            headers: ["Prefer": "respond-async"])
        #expect(upload.status == 202, "\(upload.text)")
        let id = try #require(upload.json["id"] as? String)
        #expect(upload.json["url"] as? String == "/v1/jobs/\(id)")
        #expect(["queued", "running", "done"].contains(upload.json["status"] as? String ?? ""), "\(upload.text)")
        let job = try await server.waitForJob(id, key: owner)
        #expect(job["status"] as? String == "done", "\(job)")
        #expect((job["files"] as? [String: Any])?["done"] as? Int == 1)
        let result = try #require((job["results"] as? [[String: Any]])?.first)
        #expect(result["outcome"] as? String == "added" && result["document_id"] is Int, "\(result)")
        let hits = try await server.request("GET", "/v1/search?q=pajak%20bumi", key: server.key("staff-bapenda"))
        #expect((hits.json["data"] as? [[String: Any]])?.isEmpty == false, "\(hits.text)")

        // Nobody else reads the job: another department's admin, even the city admin, gets not-found; an auditor is refused.
        for other in ["admin", "staff-bapenda", "staff-dinkes"] {
            let r = try await server.request("GET", "/v1/jobs/\(id)", key: server.key(other))
            #expect(r.status == 404 && r.errorCode == "not_found", "\(other): \(r.status) \(r.text)")
        }
        let auditor = try await server.request("GET", "/v1/jobs/\(id)", key: server.key("auditor"))
        #expect(auditor.status == 403, "\(auditor.text)")
        #expect(try await server.request("GET", "/v1/jobs/\(id)").status == 401)
        #expect(try await server.request("GET", "/v1/jobs/job_nosuchjob", key: owner).status == 404)
        #expect(try await server.request("GET", "/v1/jobs/%27%20OR%201%3D1", key: owner).status == 404)

        let start = try await server.auditEvents(action: "job.start")
        let finish = try await server.auditEvents(action: "job.finish")
        #expect(start.contains { $0.target == "job:\(id)" }, "\(start.map(\.raw))")
        let done = try #require(finish.first { $0.target == "job:\(id)" })
        #expect(done.outcome == "ok" && done.fields["files"] == "1" && done.fields["documents"] == String(result["document_id"] as? Int ?? 0), "\(done.raw)")
        #expect(try server.platform.auditLog.verify().ok)
        await server.stop()
    }

    /// An image is always a job; a hostile one (a TIFF bomb) fails as a job with the reason, audited as job.fail.
    @Test func aRefusedScanFailsItsJobWithTheReason() async throws {
        let server = try await TestServer()
        let owner = server.key("deptadmin-bapenda")
        var tiff: [UInt8] = [0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0, 2, 0]
        for tag: UInt16 in [256, 257] { tiff += [UInt8(tag & 0xFF), UInt8(tag >> 8), 4, 0, 1, 0, 0, 0, 0xA0, 0x86, 0x01, 0x00] }
        tiff += [0, 0, 0, 0]
        let upload = try await server.request("POST", "/v1/documents", key: owner, json: [
            "filename": "bom.tif", "content_base64": Data(tiff).base64EncodedString(), "classification": "biasa"])
        #expect(upload.status == 202, "\(upload.text)")
        let id = try #require(upload.json["id"] as? String)
        let job = try await server.waitForJob(id, key: owner)
        #expect(job["status"] as? String == "failed", "\(job)")
        #expect((job["error"] as? String ?? "").contains("100000×100000"), "\(job)")
        #expect((job["results"] as? [[String: Any]])?.first?["code"] as? String == "too_large", "\(job)")
        let failed = try await server.auditEvents(action: "job.fail")
        #expect(failed.contains { $0.target == "job:\(id)" && $0.outcome == "error" }, "\(failed.map(\.raw))")
        await server.stop()
    }

    /// A job submitted by a platform that stopped before running it is run by the next one to open the database.
    @Test func aQueuedJobIsRunByTheNextRunner() async throws {
        let server = try await TestServer()
        let principal = Principal(id: "key:x", name: "x", department: "bapenda", role: .deptAdmin, clearance: .terbatas)
        let job = try server.platform.jobs.submit(data: Data("Pengumuman pelayanan samsat keliling.".utf8), sourceName: "samsat.txt",
                                                  collection: "bapenda", classification: .biasa, department: "bapenda", title: nil, by: principal)
        // Another runner claimed it and died at once (its process id does not exist), mid-way.
        _ = try server.platform.database.write { c in
            try c.run("UPDATE ingest_jobs SET status = 'running', runner = ?, heartbeat_at = ? WHERE id = ?",
                      [.text("\(ProcessInfo.processInfo.hostName):999999"), .real(Date().timeIntervalSince1970), .text(job.id)])
        }
        let finished = try #require(await server.platform.jobs.run(job.id))
        #expect(finished.status == .done && finished.resumed == 1, "\(finished)")
        #expect(finished.items.first?.outcome == "added")
        #expect(await server.platform.jobs.run(job.id) == nil, "a finished job is not run again")
        #expect(try server.platform.jobs.job(id: job.id, for: principal).status == .done)
        #expect(throws: DocumentsError.self) { try server.platform.jobs.job(id: job.id, for: Principal.localOperator()) }
        let resumed = try await server.auditEvents(action: "job.resume")
        #expect(resumed.contains { $0.target == "job:\(job.id)" })
        await server.stop()
    }
}
