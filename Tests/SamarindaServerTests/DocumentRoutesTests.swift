import Foundation
import Testing
import SamarindaCore

@Suite(.serialized) struct DocumentRoutesTests {
    func multipart(_ fields: [String: String], file: (name: String, content: String)) -> (Data, String) {
        let boundary = "samarinda-\(UUID().uuidString)"
        var body = ""
        for (k, v) in fields { body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(k)\"\r\n\r\n\(v)\r\n" }
        body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(file.name)\"\r\nContent-Type: text/plain\r\n\r\n\(file.content)\r\n--\(boundary)--\r\n"
        return (Data(body.utf8), "multipart/form-data; boundary=\(boundary)")
    }

    @Test func deptAdminUploadsStaffOfAnotherDepartmentNeverSeesIt() async throws {
        let server = try await TestServer()
        let memo = "MEMO INTERNAL\n\nPasal 1\nTarget penerimaan retribusi parkir triwulan IV dinaikkan sepuluh persen.\n"
        let (body, type) = multipart(["collection": "bapenda-internal", "classification": "terbatas", "title": "Memo target retribusi"],
                                     file: ("memo.txt", memo))
        let upload = try await server.request("POST", "/v1/documents", key: server.key("deptadmin-bapenda"), body: body, headers: ["Content-Type": type])
        #expect(upload.status == 201, "\(upload.text)")
        #expect(upload.json["outcome"] as? String == "added")
        let id = try #require(upload.json["document_id"] as? Int)
        // Staff cannot upload.
        let staffUpload = try await server.request("POST", "/v1/documents", key: server.key("staff-bapenda"), body: body, headers: ["Content-Type": type])
        #expect(staffUpload.status == 403)
        // The same department's staff finds it; another department's staff does not, in results, counts or fetch.
        let own = try await server.request("GET", "/v1/search?q=retribusi%20parkir", key: server.key("staff-bapenda"))
        #expect((own.json["data"] as? [[String: Any]])?.contains { $0["document_id"] as? Int == id } == true, "\(own.text)")
        let other = try await server.request("GET", "/v1/search?q=retribusi%20parkir", key: server.key("staff-dinkes"))
        #expect(other.status == 200)
        #expect((other.json["data"] as? [[String: Any]])?.isEmpty == true)
        #expect(!other.text.contains("Target penerimaan"))
        let fetch = try await server.request("GET", "/v1/documents/\(id)", key: server.key("staff-dinkes"))
        #expect(fetch.status == 404)
        let list = try await server.request("GET", "/v1/documents", key: server.key("staff-dinkes"))
        #expect(!(list.text.contains("Memo target retribusi")))
        // Admin sees it, with its chunks and section.
        let adminFetch = try await server.request("GET", "/v1/documents/\(id)", key: server.key("admin"))
        #expect(adminFetch.status == 200)
        #expect(adminFetch.json["title"] as? String == "Memo target retribusi")
        #expect((adminFetch.json["chunks"] as? [[String: Any]])?.contains { ($0["section"] as? String)?.hasSuffix("Pasal 1") == true } == true, "\(adminFetch.text)")
        // Re-uploading the same bytes is a no-op.
        let again = try await server.request("POST", "/v1/documents", key: server.key("deptadmin-bapenda"), body: body, headers: ["Content-Type": type])
        #expect(again.json["outcome"] as? String == "unchanged")
        // Staff cannot remove; the department admin can, and it is gone.
        #expect(try await server.request("DELETE", "/v1/documents/\(id)", key: server.key("staff-bapenda")).status == 403)
        #expect(try await server.request("DELETE", "/v1/documents/\(id)", key: server.key("deptadmin-bapenda")).status == 200)
        let after = try await server.request("GET", "/v1/search?q=retribusi%20parkir", key: server.key("admin"))
        #expect((after.json["data"] as? [[String: Any]])?.isEmpty == true)
        #expect(try await server.auditEvents(action: "docs.search").count == 3)
        await server.stop()
    }

    @Test func jsonUploadAndBadUploads() async throws {
        let server = try await TestServer()
        let ok = try await server.request("POST", "/v1/documents", key: server.key("deptadmin-bapenda"), json: [
            "filename": "sop.md", "content": "# SOP PBB\n\n## Pembayaran\nBayar PBB-P2 di bank persepsi.", "collection": "bapenda-publik", "classification": "biasa"])
        #expect(ok.status == 201, "\(ok.text)")
        let rahasia = try await server.request("POST", "/v1/documents", key: server.key("deptadmin-bapenda"), json: [
            "filename": "x.txt", "content": "x", "classification": "sangat_rahasia"])
        #expect(rahasia.status == 403)
        let badLevel = try await server.request("POST", "/v1/documents", key: server.key("deptadmin-bapenda"), json: [
            "filename": "x.txt", "content": "x", "classification": "secret"])
        #expect(badLevel.errorCode == "invalid_classification")
        let unsupported = try await server.request("POST", "/v1/documents", key: server.key("deptadmin-bapenda"), json: [
            "filename": "virus.exe", "content_base64": Data([0x4D, 0x5A, 0x90]).base64EncodedString(), "classification": "biasa"])
        #expect(unsupported.status == 422, "\(unsupported.text)")
        #expect((unsupported.json["error"] as? [String: Any])?["message"] as? String ?? "" != "")
        let noQuery = try await server.request("GET", "/v1/search", key: server.key("staff-bapenda"))
        #expect(noQuery.errorCode == "missing_query")
        #expect(try await server.request("GET", "/v1/search?q=pbb", key: server.key("auditor")).status == 403)
        await server.stop()
    }
}
