import Foundation
import SamarindaCore
import Testing
import ZIPFoundation
@testable import SamarindaDocuments

/// Issue 15, item 5: what an upload may cost to read is bounded by what the extractors actually
/// produce, not by what the file declares. Each hostile file is built here, in the test.
@Suite struct UploadLimitsTests {
    static let docxXMLHead = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#
    static let docxXMLTail = "</w:body></w:document>"

    /// A real ZIP bomb: about 100 KiB on disk, `word/document.xml` inflating to 100 MiB of one paragraph.
    @Test func zipBombDocxIsRefusedAtTheInflatedBound() async throws {
        let f = try StoreFixture()
        let path = f.folder.path + "/bom.docx"
        let inflated = 100 * 1024 * 1024
        try Fixtures.deflatedDocx(at: path, documentXMLBytes: inflated)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size < 1024 * 1024, "the bomb is small on disk (\(size) bytes)")
        let result = await f.store.ingestFile(path: path, sourceName: "bom.docx", collection: "c", classification: .biasa, department: "public", by: People.admin)
        #expect(result.failure == .tooLarge)
        guard case .skipped(let reason) = result.outcome else { Issue.record("a zip bomb was ingested"); return }
        #expect(reason.contains("inflates to more than 64 MiB"), "\(reason)")
        #expect(try f.documentCount() == 0)
    }

    /// The same bomb with sizes in its headers rewritten to 100 bytes: the bound holds on the bytes the inflater produced.
    @Test func zipBombWithLyingHeadersIsRefusedByTheBytesActuallyProduced() async throws {
        var limits = IngestLimits()
        limits.maxExtractedBytes = 1024 * 1024
        let f = try StoreFixture(limits: limits)
        let path = f.folder.path + "/bohong.docx"
        try Fixtures.deflatedDocx(at: path, documentXMLBytes: 8 * 1024 * 1024)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let patched = Fixtures.patchDeclaredSizes(&bytes, entry: "word/document.xml", to: 100)
        #expect(patched == 2, "the local and central headers both lie")
        // ZIPFoundation now believes the entry is 100 bytes.
        let archive = try Archive(data: bytes, accessMode: .read)
        #expect(archive["word/document.xml"]?.uncompressedSize == 100)
        let result = await f.store.ingest(data: bytes, sourceName: "bohong.docx", collection: "c", classification: .biasa, department: "public", by: People.admin)
        #expect(result.failure == .tooLarge, "\(result.outcome)")
        #expect(try f.documentCount() == 0)
    }

    @Test func archiveWithTooManyEntriesIsRefused() async throws {
        var limits = IngestLimits()
        limits.maxArchiveEntries = 50
        let f = try StoreFixture(limits: limits)
        var entries = (0..<60).map { ("word/media/kosong\($0).xml", Data("<a/>".utf8)) }
        entries.append(("word/document.xml", Data((Self.docxXMLHead + "<w:p><w:r><w:t>Isi</w:t></w:r></w:p>" + Self.docxXMLTail).utf8)))
        let zip = Fixtures.storedZip(entries)
        let result = await f.store.ingest(data: zip, sourceName: "banyak.docx", collection: "c", classification: .biasa, department: "public", by: People.admin)
        #expect(result.failure == .tooLarge)
        #expect(reasonOf(result).contains("more than 50 entries"), "\(reasonOf(result))")
        // The same file within the limit is read.
        let fine = await f.store.ingest(data: Fixtures.storedZip(Array(entries.suffix(10))), sourceName: "sedikit.docx", collection: "c",
                                        classification: .biasa, department: "public", by: People.admin)
        #expect(fine.outcome == .added, "\(fine.outcome)")
    }

    @Test func deeplyNestedXMLIsRefusedWithItsDepth() async throws {
        let f = try StoreFixture()
        let depth = 5_000
        let xml = Self.docxXMLHead + String(repeating: "<w:sdt>", count: depth) + "<w:p><w:r><w:t>dalam</w:t></w:r></w:p>"
            + String(repeating: "</w:sdt>", count: depth) + Self.docxXMLTail
        let result = await f.store.ingest(data: Fixtures.storedZip([("word/document.xml", Data(xml.utf8))]), sourceName: "dalam.docx",
                                          collection: "c", classification: .biasa, department: "public", by: People.admin)
        #expect(result.failure == .unreadable)
        #expect(reasonOf(result).contains("deeper than 256 levels"), "\(reasonOf(result))")
        // 200 levels (under the limit) are read.
        let shallow = Self.docxXMLHead + String(repeating: "<w:sdt>", count: 200) + "<w:p><w:r><w:t>dangkal</w:t></w:r></w:p>"
            + String(repeating: "</w:sdt>", count: 200) + Self.docxXMLTail
        let ok = await f.store.ingest(data: Fixtures.storedZip([("word/document.xml", Data(shallow.utf8))]), sourceName: "dangkal.docx",
                                      collection: "c", classification: .biasa, department: "public", by: People.admin)
        #expect(ok.outcome == .added, "\(ok.outcome)")
    }

    /// "Billion laughs": ten levels of entities, each ten of the one before.
    @Test func entityExpansionAndExternalEntitiesAreRefused() async throws {
        let f = try StoreFixture()
        var dtd = "<!DOCTYPE w:document [<!ENTITY lol0 \"lol\">"
        for n in 1...9 { dtd += "<!ENTITY lol\(n) \"" + String(repeating: "&lol\(n - 1);", count: 10) + "\">" }
        dtd += "]>"
        let laughs = #"<?xml version="1.0"?>"# + dtd + #"<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"#
        let external = #"<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><w:document xmlns:w="x"><w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>"#
        for (name, xml) in [("tawa.docx", laughs), ("xxe.docx", external)] {
            let result = await f.store.ingest(data: Fixtures.storedZip([("word/document.xml", Data(xml.utf8))]), sourceName: name,
                                              collection: "c", classification: .biasa, department: "public", by: People.admin)
            #expect(result.failure == .unreadable, "\(name)")
            #expect(reasonOf(result).contains("DTD"), "\(name): \(reasonOf(result))")
        }
        // A DTD hidden in UTF-16 is refused too.
        var utf16 = Data([0xFF, 0xFE])
        utf16.append(laughs.data(using: .utf16LittleEndian)!)
        let hidden = await f.store.ingest(data: Fixtures.storedZip([("word/document.xml", utf16)]), sourceName: "utf16.docx",
                                          collection: "c", classification: .biasa, department: "public", by: People.admin)
        #expect(reasonOf(hidden).contains("not valid UTF-8"), "\(reasonOf(hidden))")
        #expect(try f.documentCount() == 0)
    }

    /// Scripts/fuzz (docx): a byte that is not UTF-8 inside an attribute name trapped Foundation's XMLParser,
    /// which would have taken the service down with one upload. Now it is refused before parsing.
    @Test func invalidUTF8InsideATagIsRefusedNotACrash() async throws {
        let f = try StoreFixture()
        var xml = Data((Self.docxXMLHead + "<w:p><w:r><w:t xml:s").utf8)
        xml.append(contentsOf: [0xED, 0x6C])
        xml.append(contentsOf: Array(":space=\"preserve\">teks</w:t></w:r></w:p>".utf8) + Array(Self.docxXMLTail.utf8))
        let result = await f.store.ingest(data: Fixtures.storedZip([("word/document.xml", xml)]), sourceName: "rusak.docx",
                                          collection: "c", classification: .biasa, department: "public", by: People.admin)
        #expect(result.failure == .unreadable)
        #expect(reasonOf(result).contains("not valid UTF-8"), "\(reasonOf(result))")
    }

    @Test(arguments: ["besar.txt", "besar.md", "besar.html"])
    func textLargerThanTheBoundIsRefused(name: String) async throws {
        var limits = IngestLimits()
        limits.maxExtractedBytes = 1024 * 1024
        let f = try StoreFixture(limits: limits)
        let text = String(repeating: "Pelayanan perizinan dilakukan secara daring.\n", count: 50_000)
        let result = await f.store.ingest(data: Data(text.utf8), sourceName: name, collection: "c", classification: .biasa, department: "public", by: People.admin)
        #expect(result.failure == .tooLarge)
        #expect(reasonOf(result).contains("larger than 1 MiB"), "\(reasonOf(result))")
        let small = await f.store.ingest(data: Data(text.prefix(10_000).utf8), sourceName: "kecil-" + name, collection: "c", classification: .biasa,
                                         department: "public", by: People.admin)
        #expect(small.outcome == .added)
    }

    @Test(.enabled(if: PDFText.executable() != nil, "pdftotext (poppler-utils) is not installed"))
    func pdfWithMorePagesThanTheLimitIsRefused() async throws {
        var limits = IngestLimits()
        limits.maxPDFPages = 5
        let f = try StoreFixture(limits: limits)
        let pages = (1...6).map { ["Halaman \($0) tentang retribusi daerah."] }
        let long = await f.store.ingest(data: Fixtures.pdf(pages: pages), sourceName: "panjang.pdf", collection: "c", classification: .biasa,
                                        department: "public", by: People.admin)
        #expect(long.failure == .tooLarge)
        #expect(reasonOf(long).contains("more than 5 pages"), "\(reasonOf(long))")
        let fits = await f.store.ingest(data: Fixtures.pdf(pages: Array(pages.prefix(5))), sourceName: "pas.pdf", collection: "c",
                                        classification: .biasa, department: "public", by: People.admin)
        #expect(fits.outcome == .added, "\(fits.outcome)")
        #expect(try f.documentCount() == 1)
    }

    /// pdftotext stand-ins that misbehave: one that never finishes, one whose output never ends.
    @Test func extractorThatHangsIsKilledAtItsTimeLimit() throws {
        let folder = try TemporaryDirectory(prefix: "samarinda-hang")
        let tool = folder.path + "/pdftotext"
        try "#!/bin/sh\nexec sleep 600\n".write(toFile: tool, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: tool)
        var limits = IngestLimits()
        limits.extractorSeconds = 1
        let error = #expect(throws: DocumentsError.self) { try PDFText.extract(path: tool, limits: limits, tool: tool) }
        #expect(error?.kind == .tooLarge)
        #expect(error?.message.contains("did not finish within 1 s") == true, "\(String(describing: error))")
    }

    @Test func extractorOutputIsReadOnlyUpToTheBound() throws {
        var limits = IngestLimits()
        limits.maxExtractedBytes = 2 * 1024 * 1024
        // `yes` writes a line forever: unbounded output from a real child process.
        let folder = try TemporaryDirectory(prefix: "samarinda-yes")
        let tool = folder.path + "/pdftotext"
        try "#!/bin/sh\nexec yes 'baris teks tanpa akhir'\n".write(toFile: tool, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: tool)
        let error = #expect(throws: DocumentsError.self) { try PDFText.extract(path: "/dev/null", limits: limits, tool: tool) }
        #expect(error?.kind == .tooLarge)
        #expect(error?.message.contains("larger than 2 MiB") == true, "\(String(describing: error))")
    }

    @Test func extractorRunsUnderAMemoryLimit() throws {
        var limits = IngestLimits()
        limits.extractorMemoryBytes = 64 * 1024 * 1024
        // A stand-in that reports its own address-space limit (ulimit -v, in KiB).
        let folder = try TemporaryDirectory(prefix: "samarinda-ulimit")
        let tool = folder.path + "/pdftotext"
        try "#!/bin/sh\nprintf 'Batas memori proses ini %s KiB\\f' \"$(ulimit -v)\"\n".write(toFile: tool, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: tool)
        let text = try PDFText.extract(path: "/dev/null", limits: limits, tool: tool)
        #expect(text.blocks.first == .paragraph("Batas memori proses ini 65536 KiB"), "\(text.blocks)")
    }

    func reasonOf(_ r: IngestFileResult) -> String {
        if case .skipped(let reason) = r.outcome { return reason }
        return "(not skipped: \(r.outcome))"
    }
}

extension StoreFixture {
    func documentCount() throws -> Int {
        try database.read { c in try c.queryFirst("SELECT count(*) FROM doc_documents") { $0.int(0) } ?? 0 }
    }
}

extension Fixtures {
    /// A .docx whose `word/document.xml` is one paragraph of `documentXMLBytes` bytes (mostly spaces), deflated
    /// as it is generated, so the test never holds the inflated text.
    static func deflatedDocx(at path: String, documentXMLBytes: Int) throws {
        let head = Data((UploadLimitsTests.docxXMLHead + "<w:p><w:r><w:t>").utf8)
        let tail = Data(("</w:t></w:r></w:p>" + UploadLimitsTests.docxXMLTail).utf8)
        let filler = Data(repeating: 0x20, count: 1 << 16)
        let total = documentXMLBytes
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        try archive.addEntry(with: "word/document.xml", type: .file, uncompressedSize: Int64(total), compressionMethod: .deflate) { position, size in
            var out = Data()
            var p = Int(position)
            while out.count < size {
                if p < head.count {
                    out.append(head[p..<min(head.count, p + size - out.count)])
                } else if p >= total - tail.count {
                    let i = p - (total - tail.count)
                    out.append(tail[i..<min(tail.count, i + size - out.count)])
                } else {
                    out.append(filler.prefix(min(filler.count, size - out.count, total - tail.count - p)))
                }
                p = Int(position) + out.count
            }
            return out
        }
    }

    /// Rewrites the uncompressed size of `entry` in its local and central headers; returns how many were rewritten.
    static func patchDeclaredSizes(_ zip: inout Data, entry: String, to size: UInt32) -> Int {
        let name = Array(entry.utf8)
        let bytes = [UInt8](zip)
        var patched = 0
        func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
        var i = 0
        while i + 46 < bytes.count {
            if bytes[i] == 0x50, bytes[i + 1] == 0x4B, bytes[i + 2] == 0x03, bytes[i + 3] == 0x04,
               Array(bytes[(i + 30)..<min(bytes.count, i + 30 + name.count)]) == name {
                zip.replaceSubrange((i + 22)..<(i + 26), with: le32(size)); patched += 1
            }
            if bytes[i] == 0x50, bytes[i + 1] == 0x4B, bytes[i + 2] == 0x01, bytes[i + 3] == 0x02,
               Array(bytes[(i + 46)..<min(bytes.count, i + 46 + name.count)]) == name {
                zip.replaceSubrange((i + 24)..<(i + 28), with: le32(size)); patched += 1
            }
            i += 1
        }
        return patched
    }

    /// A ZIP of stored (uncompressed) entries, written by hand so a test can make thousands of entries
    /// or odd contents quickly (ZIPFoundation rewrites the central directory on every added entry).
    static func storedZip(_ entries: [(String, Data)]) -> Data {
        var out = Data()
        var central = Data()
        func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
        for (name, data) in entries {
            let crc = data.crc32(checksum: 0)
            let nameBytes = Array(name.utf8)
            let offset = UInt32(out.count)
            out += [0x50, 0x4B, 0x03, 0x04] + u16(20) + u16(0) + u16(0) + u16(0) + u16(0x21) + u32(crc)
                + u32(UInt32(data.count)) + u32(UInt32(data.count)) + u16(nameBytes.count) + u16(0) + nameBytes
            out += data
            central += [0x50, 0x4B, 0x01, 0x02] + u16(20) + u16(20) + u16(0) + u16(0) + u16(0) + u16(0x21) + u32(crc)
                + u32(UInt32(data.count)) + u32(UInt32(data.count)) + u16(nameBytes.count) + u16(0) + u16(0) + u16(0) + u16(0)
                + u32(0) + u32(offset) + nameBytes
        }
        let centralOffset = UInt32(out.count)
        out += central
        out += [0x50, 0x4B, 0x05, 0x06] + u16(0) + u16(0) + u16(entries.count) + u16(entries.count) + u32(UInt32(central.count))
            + u32(centralOffset) + u16(0)
        return out
    }

    /// A PDF with one page per element of `pages`, each showing its lines in Helvetica (ASCII only).
    static func pdf(pages: [[String]]) -> Data {
        var objects = ["<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
        var kids: [String] = []
        for lines in pages {
            var stream = "BT /F1 11 Tf 14 TL 56 780 Td\n"
            for line in lines { stream += "(\(line)) Tj T*\n" }
            stream += "ET\n"
            objects.append("<< /Length \(stream.utf8.count) >>\nstream\n\(stream)endstream")
            let contents = objects.count
            objects.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents \(contents) 0 R /Resources << /Font << /F1 3 0 R >> >> >>")
            kids.append("\(objects.count) 0 R")
        }
        objects[1] = "<< /Type /Pages /Kids [\(kids.joined(separator: " "))] /Count \(pages.count) >>"
        var out = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (i, body) in objects.enumerated() {
            offsets.append(out.utf8.count)
            out += "\(i + 1) 0 obj\n\(body)\nendobj\n"
        }
        let xref = out.utf8.count
        out += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for o in offsets { out += String(format: "%010d 00000 n \n", o) }
        out += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Data(out.utf8)
    }
}
