import Foundation
import SamarindaCore
import Testing
@testable import SamarindaDocuments

/// Issue 26: scanned PDFs and images are read by OCR (Tesseract, ind+eng), pages rendered by poppler,
/// in separate processes under limits; each recognised page keeps its confidence and is cited by page.
@Suite(.enabled(if: OCRText.tesseract() != nil && OCRText.pdftoppm() != nil, "tesseract-ocr / poppler-utils are not installed"))
struct OCRTests {
    static let letter = ["SURAT EDARAN KECAMATAN SAMARINDA ULU", "Pelayanan akta kelahiran dibuka setiap hari kerja.",
                         "Pemohon membawa kartu keluarga dan surat keterangan lahir.", "Tidak dipungut biaya."]

    enum ScanPage {
        case text([String])
        case image(width: Int, height: Int, gray: Data)
    }

    /// Renders `lines` as a page image the way a scanner would (pdftoppm on a one-page text PDF), as raw grey pixels.
    static func scan(_ lines: [String], dpi: Int = 200, in folder: TemporaryDirectory) throws -> (Int, Int, Data) {
        let pdf = folder.path + "/teks-\(UUID().uuidString.prefix(6)).pdf"
        try Fixtures.pdf(lines: lines).write(to: URL(fileURLWithPath: pdf))
        let out = pdf + "-scan"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: OCRText.pdftoppm()!)
        p.arguments = ["-r", String(dpi), "-gray", "-singlefile", pdf, out]
        try p.run()
        p.waitUntilExit()
        let pgm = try Data(contentsOf: URL(fileURLWithPath: out + ".pgm"))
        // "P5\nW H\n255\n" then W×H bytes.
        let header = pgm.prefix(64).split(separator: 0x0A, maxSplits: 3, omittingEmptySubsequences: false)
        let size = String(decoding: header[1], as: UTF8.self).split(separator: " ").compactMap { Int($0) }
        let pixels = pgm.suffix(size[0] * size[1])
        return (size[0], size[1], Data(pixels))
    }

    static func png(_ lines: [String], in folder: TemporaryDirectory) throws -> Data {
        let pdf = folder.path + "/foto.pdf"
        try Fixtures.pdf(lines: lines).write(to: URL(fileURLWithPath: pdf))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: OCRText.pdftoppm()!)
        p.arguments = ["-r", "200", "-gray", "-png", "-singlefile", pdf, folder.path + "/foto"]
        try p.run()
        p.waitUntilExit()
        return try Data(contentsOf: URL(fileURLWithPath: folder.path + "/foto.png"))
    }

    /// A PDF whose pages are text or grey images (an image-only page is what a scanner writes).
    static func pdf(_ pages: [ScanPage]) -> Data {
        var objects: [Data] = [Data("<< /Type /Catalog /Pages 2 0 R >>".utf8), Data(),
                               Data("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".utf8)]
        var kids: [String] = []
        for page in pages {
            let content: String
            var resources = "/Font << /F1 3 0 R >>"
            switch page {
            case .text(let lines):
                content = "BT /F1 11 Tf 14 TL 56 780 Td\n" + lines.map { "(\($0)) Tj T*\n" }.joined() + "ET\n"
            case .image(let w, let h, let gray):
                var image = Data("<< /Type /XObject /Subtype /Image /Width \(w) /Height \(h) /ColorSpace /DeviceGray /BitsPerComponent 8 /Length \(gray.count) >>\nstream\n".utf8)
                image.append(gray)
                image.append(Data("\nendstream".utf8))
                objects.append(image)
                resources += " /XObject << /Im1 \(objects.count) 0 R >>"
                content = "q 595 0 0 842 0 0 cm /Im1 Do Q\n"
            }
            objects.append(Data("<< /Length \(content.utf8.count) >>\nstream\n\(content)endstream".utf8))
            let contents = objects.count
            objects.append(Data("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents \(contents) 0 R /Resources << \(resources) >> >>".utf8))
            kids.append("\(objects.count) 0 R")
        }
        objects[1] = Data("<< /Type /Pages /Kids [\(kids.joined(separator: " "))] /Count \(pages.count) >>".utf8)
        var out = Data("%PDF-1.4\n".utf8)
        var offsets: [Int] = []
        for (i, body) in objects.enumerated() {
            offsets.append(out.count)
            out.append(Data("\(i + 1) 0 obj\n".utf8))
            out.append(body)
            out.append(Data("\nendobj\n".utf8))
        }
        let xref = out.count
        var tail = "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for o in offsets { tail += String(format: "%010d 00000 n \n", o) }
        tail += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        out.append(Data(tail.utf8))
        return out
    }

    @Test func scannedPDFIsRecognisedSearchableAndCitedByPage() async throws {
        let f = try StoreFixture()
        let (w, h, gray) = try Self.scan(Self.letter, in: f.folder)
        let result = await f.store.ingest(data: Self.pdf([.image(width: w, height: h, gray: gray)]), sourceName: "surat-edaran.pdf",
                                          collection: "surat", classification: .biasa, department: "public", by: People.admin)
        #expect(result.outcome == .added, "\(result.outcome)")
        let id = try #require(result.documentID)
        let (record, chunks, _) = try await f.store.document(id: id, for: People.admin)
        #expect(chunks.allSatisfy { $0.section.hasPrefix("Halaman 1") }, "\(chunks.map(\.section))")
        #expect(chunks.map(\.text).joined().contains("kartu keluarga"), "\(chunks.map(\.text))")
        #expect(record.pages.count == 1)
        #expect(record.pages.first?.ocr == true)
        #expect((record.pages.first?.confidence ?? 0) > 70, "\(record.pages)")
        #expect(record.pages.first?.lowConfidence == false)
        let hits = try await f.store.search(query: "akta kelahiran kartu keluarga", principal: People.admin)
        #expect(hits.first?.documentID == id)
        #expect(hits.first?.section.hasPrefix("Halaman 1") == true)
        #expect(f.audit.events.last { $0.action == "docs.ingest" }?.fields["ocr_pages"] == "1")
    }

    @Test func mixedPDFKeepsItsTextPagesAndRecognisesTheScannedOne() async throws {
        let f = try StoreFixture()
        let (w, h, gray) = try Self.scan(["Lampiran: jadwal pelayanan keliling di kelurahan Sidodadi."], in: f.folder)
        let data = Self.pdf([.text(["NOTA DINAS", "BAB I", "Pasal 1", "Pelayanan keliling dimulai bulan Januari."]), .image(width: w, height: h, gray: gray)])
        let result = await f.store.ingest(data: data, sourceName: "nota.pdf", collection: "surat", classification: .biasa, department: "public", by: People.admin)
        let id = try #require(result.documentID, "\(result.outcome)")
        let (record, chunks, _) = try await f.store.document(id: id, for: People.admin)
        #expect(chunks.contains { $0.section == "BAB I > Pasal 1" && $0.text.contains("bulan Januari") }, "\(chunks.map(\.section))")
        #expect(chunks.contains { $0.section.hasPrefix("Halaman 2") && $0.text.contains("Sidodadi") }, "\(chunks.map { ($0.section, $0.text) })")
        #expect(record.pages.map(\.page) == [2], "only the scanned page went through OCR")
    }

    @Test func photographedFormAsPNGIsRecognised() async throws {
        let f = try StoreFixture()
        let png = try Self.png(["FORMULIR PERMOHONAN KTP-EL", "Nama pemohon dan alamat sesuai kartu keluarga."], in: f.folder)
        let result = await f.store.ingest(data: png, sourceName: "formulir.png", collection: "surat", classification: .biasa, department: "public", by: People.admin)
        let id = try #require(result.documentID, "\(result.outcome)")
        #expect(try await f.store.search(query: "formulir permohonan", principal: People.admin).first?.documentID == id)
    }

    /// A PNG whose header declares 100,000 × 100,000 pixels: refused before any decoder runs.
    @Test func imageBombIsRefusedFromItsHeader() async throws {
        let f = try StoreFixture()
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])
        png.append(contentsOf: [0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x86, 0xA0, 8, 0, 0, 0, 0])
        let result = await f.store.ingest(data: png, sourceName: "bom.png", collection: "surat", classification: .biasa, department: "public", by: People.admin)
        #expect(result.failure == .tooLarge)
        if case .skipped(let reason) = result.outcome { #expect(reason.contains("100000×100000"), "\(reason)") }
        // The same for a JPEG's frame header.
        let jpeg = Data([0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0xEA, 0x60, 0xEA, 0x60, 0x01, 0x01, 0x11, 0x00])
        let j = await f.store.ingest(data: jpeg, sourceName: "bom.jpg", collection: "surat", classification: .biasa, department: "public", by: People.admin)
        #expect(j.failure == .tooLarge, "\(j.outcome)")
    }

    /// A classic TIFF: one IFD per page with ImageWidth/ImageLength (`long`: LONG or SHORT values), chained.
    static func tiff(pages: [(Int, Int)], littleEndian: Bool = true, long: Bool = true, loop: Bool = false) -> Data {
        func u16(_ v: Int) -> [UInt8] { littleEndian ? [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] : [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func u32(_ v: Int) -> [UInt8] { let b = (0..<4).map { UInt8(v >> (8 * $0) & 0xFF) }; return littleEndian ? b : b.reversed() }
        var out: [UInt8] = littleEndian ? [0x49, 0x49, 0x2A, 0x00] : [0x4D, 0x4D, 0x00, 0x2A]
        out += u32(8)
        for (i, (w, h)) in pages.enumerated() {
            out += u16(2)
            for (tag, v) in [(256, w), (257, h)] { out += u16(tag) + u16(long ? 4 : 3) + u32(1) + (long ? u32(v) : u16(v) + [0, 0]) }
            let next = loop ? 8 : (i == pages.count - 1 ? 0 : out.count + 4)
            out += u32(next)
        }
        return Data(out)
    }

    /// Issue 26 (d): a TIFF's size is read from its header before any decoder runs: a decompression bomb (little- or
    /// big-endian, SHORT or LONG sides, one hostile page among small ones), a TIFF renamed .png, a looping or truncated
    /// IFD chain, BigTIFF and more pages than the OCR limit are all refused; nothing reaches Tesseract.
    @Test func hostileTIFFsAreRefusedFromTheirHeader() async throws {
        var limits = IngestLimits()
        limits.maxOCRPages = 3
        let f = try StoreFixture(limits: limits)
        func ingest(_ data: Data, _ name: String) async -> IngestFileResult {
            await f.store.ingest(data: data, sourceName: name, collection: "surat", classification: .biasa, department: "public", by: People.admin)
        }
        let bombs: [(Data, String)] = [
            (Self.tiff(pages: [(100_000, 100_000)]), "100000×100000"),
            (Self.tiff(pages: [(4_294_967_295, 4_294_967_295)], littleEndian: false), "4294967295×4294967295"),
            (Self.tiff(pages: [(65_535, 65_535)], long: false), "65535×65535"),
            (Self.tiff(pages: [(100, 100), (200, 200), (50_000, 50_000)]), "50000×50000"),
        ]
        for (name, (data, size)) in zip(["bom.tif", "bom-be.tiff", "bom-short.tif", "bom-page3.tif"], bombs) {
            let result = await ingest(data, name)
            #expect(result.failure == .tooLarge, "\(name): \(result.outcome)")
            if case .skipped(let reason) = result.outcome { #expect(reason.contains(size), "\(name): \(reason)") }
        }
        // The name does not decide: a TIFF bomb called .png or .jpg is read as the TIFF it is.
        for name in ["foto.png", "foto.jpg"] {
            #expect(await ingest(Self.tiff(pages: [(100_000, 100_000)]), name).failure == .tooLarge, "\(name)")
        }
        let pages = await ingest(Self.tiff(pages: Array(repeating: (10, 10), count: 4)), "tebal.tif")
        #expect(pages.failure == .tooLarge)
        if case .skipped(let reason) = pages.outcome { #expect(reason.contains("4 pages, more than the 3"), "\(reason)") }
        let looping = await ingest(Self.tiff(pages: [(10, 10)], loop: true), "putar.tif")
        #expect(looping.failure == .unreadable, "\(looping.outcome)")
        let truncated = await ingest(Self.tiff(pages: [(10, 10)]).prefix(20), "potong.tif")
        #expect(truncated.failure == .unreadable, "\(truncated.outcome)")
        let big = await ingest(Data([0x49, 0x49, 0x2B, 0x00, 8, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0]), "besar.tif")
        #expect(big.failure == .unreadable)
        if case .skipped(let reason) = big.outcome { #expect(reason.contains("BigTIFF"), "\(reason)") }
        // Bytes that are no image at all, named as one.
        #expect(await ingest(Data("bukan gambar".utf8), "foto.png").failure == .unreadable)
        #expect(try f.store.list(for: People.admin).isEmpty)
    }

    /// A real TIFF written by Tesseract's own text2image is measured from its header and read.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/text2image")))
    func realTIFFIsMeasuredAndRecognised() async throws {
        let f = try StoreFixture()
        let folder = f.folder.path
        try "SURAT KETERANGAN DOMISILI\nKelurahan Sidodadi Samarinda".write(toFile: folder + "/teks.txt", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/text2image")
        p.arguments = ["--text", folder + "/teks.txt", "--outputbase", folder + "/halaman", "--font", "DejaVu Sans",
                       "--fonts_dir", "/usr/share/fonts", "--ptsize", "14", "--resolution", "300", "--degrade_image=false"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/halaman.tif"))
        let frames = try OCRText.imageFrames(data)
        #expect(frames.count == 1 && frames[0].0 > 1000, "\(frames)")
        let result = await f.store.ingest(data: data, sourceName: "domisili.tif", collection: "surat", classification: .biasa, department: "public", by: People.admin)
        let id = try #require(result.documentID, "\(result.outcome)")
        #expect(try await f.store.search(query: "keterangan domisili", principal: People.admin).first?.documentID == id)
    }

    @Test func scannedPDFWithMorePagesThanTheOCRLimitIsRefused() async throws {
        var limits = IngestLimits()
        limits.maxOCRPages = 2
        let f = try StoreFixture(limits: limits)
        let blank = ScanPage.image(width: 8, height: 8, gray: Data(repeating: 255, count: 64))
        let result = await f.store.ingest(data: Self.pdf([blank, blank, blank]), sourceName: "tebal.pdf", collection: "surat",
                                          classification: .biasa, department: "public", by: People.admin)
        #expect(result.failure == .tooLarge)
        if case .skipped(let reason) = result.outcome { #expect(reason.contains("3 scanned pages, more than the 2"), "\(reason)") }
    }
}

@Suite struct OCROutputTests {
    @Test func tsvBecomesParagraphsAndALengthWeightedConfidence() {
        let tsv = """
            level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext
            1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t
            5\t1\t1\t1\t1\t1\t0\t0\t10\t10\t90\tSurat
            5\t1\t1\t1\t1\t2\t0\t0\t10\t10\t90\tEdaran
            5\t1\t1\t1\t2\t1\t0\t0\t10\t10\t30\tNo
            5\t1\t2\t1\t1\t1\t0\t0\t10\t10\t60\tPasal
            """
        let page = OCRText.parseTSV(tsv)
        #expect(page.text == "Surat Edaran\nNo\n\nPasal")
        // (5·90 + 6·90 + 2·30 + 5·60) / 18
        #expect(abs(page.confidence - 75) < 0.01, "\(page.confidence)")
        let info = ExtractedText.PageInfo(page: 1, ocr: true, confidence: 54)
        #expect(info.lowConfidence)
    }

    /// Without Indonesian language data (tesseract-ocr-ind), a scan is refused with a message naming the packages.
    @Test func missingLanguageDataIsRefusedNamingThePackages() throws {
        let folder = try TemporaryDirectory(prefix: "samarinda-tess")
        let tool = folder.path + "/tesseract"
        try "#!/bin/sh\nprintf 'List of available languages (2):\\neng\\nosd\\n'\n".write(toFile: tool, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: tool)
        let error = #expect(throws: DocumentsError.self) { try OCRText.requireTesseract(limits: .default, candidate: tool) }
        #expect(error?.kind == .extractor)
        #expect(error?.message.contains("tesseract-ocr and tesseract-ocr-ind") == true, "\(String(describing: error))")
        // The installed one has both.
        if let installed = OCRText.tesseract() { #expect(try OCRText.requireTesseract(limits: .default, candidate: installed) == installed) }
    }
}
