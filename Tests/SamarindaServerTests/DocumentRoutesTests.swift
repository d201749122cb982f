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
        // The JSON form's fields are read one by one: a wrong type names the field, and nothing is stored.
        let numberCollection = try await server.request("POST", "/v1/documents", key: server.key("deptadmin-bapenda"), json: [
            "filename": "x.txt", "content": "x", "collection": 5])
        #expect(numberCollection.status == 400)
        #expect(numberCollection.errorCode == "invalid_json")
        #expect(numberCollection.text.contains("'collection' must be a string"), "\(numberCollection.text)")
        let noName = try await server.request("POST", "/v1/documents", key: server.key("deptadmin-bapenda"), json: ["content": "x"])
        #expect(noName.errorCode == "invalid_json")
        #expect(noName.text.contains("'filename' is missing"), "\(noName.text)")
        let noContent = try await server.request("POST", "/v1/documents", key: server.key("deptadmin-bapenda"), json: ["filename": "x.txt"])
        #expect(noContent.errorCode == "missing_content")
        let notObject = try await server.request("POST", "/v1/documents", key: server.key("deptadmin-bapenda"),
                                                 body: Data("[1, 2]".utf8), headers: ["Content-Type": "application/json"])
        #expect(notObject.errorCode == "invalid_json")
        let garbage = try await server.request("POST", "/v1/documents", key: server.key("deptadmin-bapenda"),
                                               body: Data("{\"filename\": ".utf8), headers: ["Content-Type": "application/json"])
        #expect(garbage.errorCode == "invalid_json")
        let listed = try await server.request("GET", "/v1/documents", key: server.key("deptadmin-bapenda"))
        #expect(!listed.text.contains("x.txt"), "a refused upload was stored: \(listed.text)")
        let noQuery = try await server.request("GET", "/v1/search", key: server.key("staff-bapenda"))
        #expect(noQuery.errorCode == "missing_query")
        #expect(try await server.request("GET", "/v1/search?q=pbb", key: server.key("auditor")).status == 403)
        await server.stop()
    }

    /// Issue 15, item 6 over HTTP: a department admin cleared for rahasia uploads a file named like a
    /// sangat_rahasia document of the same collection.
    @Test func uploadBesideAHiddenVersionNeitherReplacesNorRevealsIt() async throws {
        let server = try await TestServer()
        let secret = "NOTA SANGAT RAHASIA\n\nPasal 1\nPemeriksaan wajib pajak hotel dimulai bulan depan.\n"
        let hidden = try await server.request("POST", "/v1/documents", key: server.key("admin"), json: [
            "filename": "nota.txt", "content": secret, "collection": "bapenda-internal", "classification": "sangat_rahasia", "department": "bapenda"])
        #expect(hidden.status == 201, "\(hidden.text)")
        let hiddenID = try #require(hidden.json["document_id"] as? Int)
        let headKey = server.key("deptadmin-bapenda")

        // Identical bytes: not "unchanged" with the hidden id.
        let guess = try await server.request("POST", "/v1/documents", key: headKey, json: [
            "filename": "nota.txt", "content": secret, "collection": "bapenda-internal", "classification": "rahasia"])
        #expect(guess.status == 201, "\(guess.text)")
        #expect(guess.json["outcome"] as? String == "added")
        #expect(guess.json["previous_id"] == nil)
        #expect(guess.json["document_id"] as? Int != hiddenID)
        // A changed file replaces only the uploader's own version.
        let changed = try await server.request("POST", "/v1/documents", key: headKey, json: [
            "filename": "nota.txt", "content": "NOTA\n\nJadwal rapat.\n", "collection": "bapenda-internal", "classification": "rahasia"])
        #expect(changed.json["outcome"] as? String == "replaced")
        #expect(changed.json["previous_id"] as? Int == guess.json["document_id"] as? Int)
        let ownID = try #require(changed.json["document_id"] as? Int)

        // The hidden version cannot be fetched or removed, exactly like a missing one.
        let fetch = try await server.request("GET", "/v1/documents/\(hiddenID)", key: headKey)
        #expect(fetch.status == 404)
        let remove = try await server.request("DELETE", "/v1/documents/\(hiddenID)", key: headKey)
        #expect(remove.status == 404 && remove.errorCode == "not_found", "\(remove.text)")
        // Removing its own version leaves the hidden one searchable for those cleared for it.
        #expect(try await server.request("DELETE", "/v1/documents/\(ownID)?versions=all", key: headKey).status == 200)
        let adminSearch = try await server.request("GET", "/v1/search?q=pemeriksaan%20wajib%20pajak%20hotel", key: server.key("admin"))
        #expect((adminSearch.json["data"] as? [[String: Any]])?.first?["document_id"] as? Int == hiddenID, "\(adminSearch.text)")
        let badVersions = try await server.request("DELETE", "/v1/documents/\(hiddenID)?versions=semua", key: server.key("admin"))
        #expect(badVersions.status == 400 && badVersions.errorCode == "invalid_versions")
        #expect(try server.platform.auditLog.verify().ok)
        await server.stop()
    }

    /// Issue 15, item 5 over HTTP: hostile uploads get 413/422 in the one error shape, and the service stays up.
    @Test func hostileUploadsAreRefusedWithTheirLimit() async throws {
        let server = try await TestServer(configText: "[server]\nmax_body_bytes = 4194304")
        let key = server.key("deptadmin-bapenda")
        // A ZIP bomb: 80 MiB of XML deflated into well under the 4 MiB body limit.
        let bomb = try TemporaryDirectory(prefix: "samarinda-bomb")
        let bombPath = bomb.path + "/bom.docx"
        try HostileFiles.deflatedDocx(at: bombPath, documentXMLBytes: 80 * 1024 * 1024)
        let bombData = try Data(contentsOf: URL(fileURLWithPath: bombPath))
        #expect(bombData.count < 4 * 1024 * 1024)
        let refused = try await server.request("POST", "/v1/documents", key: key, json: [
            "filename": "bom.docx", "content_base64": bombData.base64EncodedString(), "classification": "biasa"])
        #expect(refused.status == 413, "\(refused.text)")
        #expect(refused.errorCode == "too_large")
        #expect(refused.text.contains("64 MiB"), "\(refused.text)")
        // Deeply nested XML: 422 naming the depth.
        let deep = HostileFiles.storedDocx(xml: String(repeating: "<w:sdt>", count: 3000) + String(repeating: "</w:sdt>", count: 3000))
        let nested = try await server.request("POST", "/v1/documents", key: key, json: [
            "filename": "dalam.docx", "content_base64": deep.base64EncodedString(), "classification": "biasa"])
        #expect(nested.status == 422 && nested.errorCode == "unreadable", "\(nested.text)")
        #expect(nested.text.contains("deeper than 256"))
        // A body over max_body_bytes is refused before it is read.
        let huge = try await server.request("POST", "/v1/documents", key: key, json: [
            "filename": "besar.txt", "content": String(repeating: "a", count: 5 * 1024 * 1024), "classification": "biasa"])
        #expect(huge.status == 413, "\(huge.status)")
        let health = try await server.request("GET", "/healthz")
        #expect(health.status == 200)
        let list = try await server.request("GET", "/v1/documents", key: key)
        #expect((list.json["data"] as? [[String: Any]])?.isEmpty == true, "\(list.text)")
        await server.stop()
    }
}

extension DocumentRoutesTests {
    /// Issue 26 over HTTP: a photographed form (PNG) is read by OCR; the document view lists its page with its confidence.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tesseract") && FileManager.default.isExecutableFile(atPath: "/usr/bin/pdftoppm"),
                   "tesseract-ocr / poppler-utils are not installed"))
    func photographedFormIsRecognisedAndItsPageConfidenceShown() async throws {
        let server = try await TestServer()
        let folder = try TemporaryDirectory(prefix: "samarinda-form")
        let stream = "BT /F1 12 Tf 16 TL 56 780 Td (FORMULIR PENDAFTARAN USAHA MIKRO) Tj T* (Nama usaha dan alamat lengkap pemohon.) Tj T* ET\n"
        var pdf = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (i, body) in ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
                          "<< /Length \(stream.utf8.count) >>\nstream\n\(stream)endstream",
                          "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"].enumerated() {
            offsets.append(pdf.utf8.count)
            pdf += "\(i + 1) 0 obj\n\(body)\nendobj\n"
        }
        let xref = pdf.utf8.count
        pdf += "xref\n0 6\n0000000000 65535 f \n" + offsets.map { String(format: "%010d 00000 n \n", $0) }.joined()
        pdf += "trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        try pdf.write(toFile: folder.path + "/f.pdf", atomically: true, encoding: .utf8)
        let render = Process()
        render.executableURL = URL(fileURLWithPath: "/usr/bin/pdftoppm")
        render.arguments = ["-r", "200", "-gray", "-png", "-singlefile", folder.path + "/f.pdf", folder.path + "/foto"]
        try render.run()
        render.waitUntilExit()
        let png = try Data(contentsOf: URL(fileURLWithPath: folder.path + "/foto.png"))
        let upload = try await server.request("POST", "/v1/documents", key: server.key("deptadmin-bapenda"), json: [
            "filename": "formulir.png", "content_base64": png.base64EncodedString(), "classification": "biasa"])
        // OCR runs as a background job: 202 with the job, followed at its URL until done.
        #expect(upload.status == 202, "\(upload.text)")
        let jobID = try #require(upload.json["id"] as? String, "\(upload.text)")
        #expect(upload.headers["location"] == "/v1/jobs/\(jobID)")
        let job = try await server.waitForJob(jobID, key: server.key("deptadmin-bapenda"))
        #expect(job["status"] as? String == "done", "\(job)")
        let id = try #require((job["results"] as? [[String: Any]])?.first?["document_id"] as? Int, "\(job)")
        let view = try await server.request("GET", "/v1/documents/\(id)", key: server.key("staff-bapenda"))
        let pages = try #require(view.json["pages"] as? [[String: Any]], "\(view.text)")
        #expect(pages.first?["page"] as? Int == 1)
        #expect(pages.first?["low_confidence"] as? Bool == false)
        #expect((pages.first?["confidence"] as? Double ?? 0) > 70)
        let search = try await server.request("GET", "/v1/search?q=formulir%20pendaftaran%20usaha", key: server.key("staff-bapenda"))
        #expect((search.json["data"] as? [[String: Any]])?.first?["section"] as? String == "Halaman 1", "\(search.text)")
        await server.stop()
    }
}

/// Hostile .docx files built in the test (see also SamarindaDocumentsTests' fixtures).
enum HostileFiles {
    static let head = #"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#

    /// `word/document.xml` of `documentXMLBytes` bytes (one paragraph of spaces), deflated as it is generated.
    static func deflatedDocx(at path: String, documentXMLBytes total: Int) throws {
        // Written with the zip tool's own deflate through a pipe, so this test target needs no ZIP library.
        let folder = (path as NSString).deletingLastPathComponent + "/word"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let xmlPath = folder + "/document.xml"
        FileManager.default.createFile(atPath: xmlPath, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: xmlPath))
        let head = Data((Self.head + "<w:p><w:r><w:t>").utf8)
        let tail = Data("</w:t></w:r></w:p></w:body></w:document>".utf8)
        try handle.write(contentsOf: head)
        let filler = Data(repeating: 0x20, count: 1 << 20)
        var left = total - head.count - tail.count
        while left > 0 {
            try handle.write(contentsOf: filler.prefix(left))
            left -= filler.count
        }
        try handle.write(contentsOf: tail)
        try handle.close()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED); z.write(sys.argv[2],'word/document.xml'); z.close()",
                             path, xmlPath]
        try process.run()
        process.waitUntilExit()
        try FileManager.default.removeItem(atPath: xmlPath)
    }

    /// A .docx holding `xml` inside the body, stored (not compressed), via python3's zipfile.
    static func storedDocx(xml: String) -> Data {
        let folder = try! TemporaryDirectory(prefix: "samarinda-docx")
        let path = folder.path + "/x.docx"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],'w'); z.writestr('word/document.xml', sys.argv[2]); z.close()",
                             path, head + xml + "</w:body></w:document>"]
        try? process.run()
        process.waitUntilExit()
        return (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
    }
}
