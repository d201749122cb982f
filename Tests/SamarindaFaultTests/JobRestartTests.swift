import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SamarindaCore
import SamarindaDocuments
import Testing

/// Issue 26: a scanned PDF uploaded to the real `samarinda serve` runs as a background job; the service is
/// killed (SIGKILL) while the job reads its pages, started again, and the job resumes and finishes: the
/// document is searchable and cited by page, the job says it was resumed, and the audit trail verifies.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tesseract") && FileManager.default.isExecutableFile(atPath: "/usr/bin/pdftoppm"),
                "tesseract-ocr / poppler-utils are not installed"))
struct JobRestartTests {
    static func serve(_ config: String, port: Int) throws -> Process {
        let p = Process()
        p.executableURL = SamarindaBinary.url
        p.arguments = ["serve", "--config", config, "--listen", "127.0.0.1:\(port)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    static func call(_ method: String, _ url: String, key: String, json: Any? = nil) async throws -> (Int, [String: Any]) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.timeoutInterval = 30
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:])
    }

    static func waitUp(_ port: Int) async throws {
        for _ in 0..<200 {
            if let (status, _) = try? await call("GET", "http://127.0.0.1:\(port)/healthz", key: ""), status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw DocumentsError(.unavailable, "the service did not start on port \(port)")
    }

    @Test func aScanJobSurvivesAKilledServiceAndTheTrailVerifies() async throws {
        let dir = try TemporaryDirectory(prefix: "samarinda-jobs")
        let config = dir.path + "/samarinda.toml"
        try """
            [storage]
            path = "\(dir.path)/data/samarinda.db"
            [plugins]
            dir = "\(dir.path)/Plugins"
            [documents]
            seed_dir = ""
            [server]
            max_body_bytes = 67108864
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let created = try SamarindaBinary.run(["keys", "create", "--name", "loket", "--department", "bapenda", "--role", "dept_admin", "--config", config])
        let key = try #require(created.output.split(whereSeparator: \.isNewline).map(String.init).first { !$0.contains(" ") }, "\(created.output)")

        // Six scanned pages (image only), each a letter of the quality set, so OCR takes a few seconds per page.
        let texts = (0..<6).map { OCRQualitySet.pages[$0 % OCRQualitySet.pages.count] + ["Lampiran halaman \($0 + 1) berkas retribusi."] }
        let images = try OCRQualitySet.render(pdf: OCRQualitySet.textPDF(pages: texts), dpi: 120, scratch: dir.path)
        let pdf = OCRQualitySet.scannedPDF(images)

        let port = Int.random(in: 20000...60000)
        var server = try Self.serve(config, port: port)
        try await Self.waitUp(port)
        let base = "http://127.0.0.1:\(port)"
        let (status, accepted) = try await Self.call("POST", base + "/v1/documents", key: key, json: [
            "filename": "retribusi.pdf", "content_base64": pdf.base64EncodedString(), "classification": "biasa"])
        #expect(status == 202, "\(accepted)")
        let id = try #require(accepted["id"] as? String)

        // Kill the service once the job has recognised a page and before it is done.
        var seen: [String: Any] = [:]
        for _ in 0..<600 {
            (_, seen) = try await Self.call("GET", base + "/v1/jobs/\(id)", key: key)
            if ((seen["pages"] as? [String: Any])?["done"] as? Int ?? 0) >= 1 || seen["status"] as? String == "done" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(seen["status"] as? String == "running", "killed mid-way: \(seen)")
        #expect((seen["pages"] as? [String: Any])?["total"] as? Int == 6, "\(seen)")
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()

        let port2 = Int.random(in: 20000...60000)
        server = try Self.serve(config, port: port2)
        defer { server.terminate(); server.waitUntilExit() }
        try await Self.waitUp(port2)
        var job: [String: Any] = [:]
        for _ in 0..<1200 {
            (_, job) = try await Self.call("GET", "http://127.0.0.1:\(port2)/v1/jobs/\(id)", key: key)
            if ["done", "failed"].contains(job["status"] as? String ?? "") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(job["status"] as? String == "done", "\(job)")
        #expect(job["resumed"] as? Int == 1, "\(job)")
        let result = try #require((job["results"] as? [[String: Any]])?.first, "\(job)")
        #expect(result["outcome"] as? String == "added", "\(result)")
        let (_, search) = try await Self.call("GET", "http://127.0.0.1:\(port2)/v1/search?q=lampiran%20halaman%206%20retribusi", key: key)
        let hit = try #require((search["data"] as? [[String: Any]])?.first, "\(search)")
        #expect((hit["section"] as? String ?? "").hasPrefix("Halaman "), "\(hit)")
        server.terminate()
        server.waitUntilExit()

        let verify = try SamarindaBinary.run(["audit", "verify", "--config", config])
        #expect(verify.status == 0, "\(verify.output)")
        let trail = try SamarindaBinary.run(["audit", "tail", "--limit", "200", "--json", "--config", config])
        for action in ["job.start", "job.resume", "job.finish"] { #expect(trail.output.contains(action), "\(action) missing") }
    }
}
