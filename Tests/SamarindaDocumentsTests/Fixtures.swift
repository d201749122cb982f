import Foundation
import SamarindaCore
import SamarindaRuntime
import ZIPFoundation
@testable import SamarindaDocuments

/// A document store on a real SQLite file in a fresh folder, with an in-memory audit sink to inspect.
struct StoreFixture {
    let folder: TemporaryDirectory
    let database: Database
    let audit: MemoryAuditSink
    let store: DocumentStore

    init(shares: [String: [String]] = [:], chunkChars: Int = 1200, overlapChars: Int = 200, embedder: (any EmbeddingService)? = nil,
         limits: IngestLimits = .default) throws {
        folder = try TemporaryDirectory(prefix: "samarinda-docs-test")
        database = try Database(path: folder.path + "/test.db")
        try database.migrate([DocumentStore.migrations])
        audit = MemoryAuditSink()
        var config = DocumentsConfig()
        config.shares = shares
        config.chunkChars = chunkChars
        config.overlapChars = overlapChars
        store = DocumentStore(database: database, config: config, audit: audit, policy: Policy(), embedder: embedder, limits: limits)
    }

    /// Writes `text` to a file named `name` in the fixture's folder and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        try write(name, Data(text.utf8))
    }

    func write(_ name: String, _ data: Data) throws -> String {
        let path = folder.path + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }
}

enum People {
    static let admin = Principal(id: "key:admin", name: "admin kota", department: "diskominfo", role: .admin, clearance: .sangatRahasia)
    static let dinkesStaff = Principal(id: "key:dinkes", name: "staf dinkes", department: "dinkes", role: .staff, clearance: .terbatas)
    static let bapendaStaff = Principal(id: "key:bapenda", name: "staf bapenda", department: "bapenda", role: .staff, clearance: .terbatas)
    static let bapendaHead = Principal(id: "key:bapenda-kepala", name: "kepala bapenda", department: "bapenda", role: .deptAdmin, clearance: .rahasia)
    static let auditor = Principal(id: "key:inspektorat", name: "auditor", department: "inspektorat", role: .auditor, clearance: .rahasia)
}

enum Fixtures {
    /// A minimal, valid PDF 1.4 with one page showing `lines` in Helvetica (ASCII only), built by hand
    /// with a correct cross-reference table so that pdftotext reads it without repair.
    static func pdf(lines: [String]) -> Data {
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "(", with: "\\(").replacingOccurrences(of: ")", with: "\\)")
        }
        var stream = "BT /F1 11 Tf 14 TL 56 780 Td\n"
        for line in lines { stream += "(\(escape(line))) Tj T*\n" }
        stream += "ET\n"
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            "<< /Length \(stream.utf8.count) >>\nstream\n\(stream)endstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        ]
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

    /// A .docx (WordprocessingML in a ZIP) whose paragraphs carry the given styles ("Heading1", "Title", nil).
    static func docx(paragraphs: [(style: String?, text: String)], at path: String) throws {
        func xmlEscape(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        var body = ""
        for p in paragraphs {
            body += "<w:p>"
            if let style = p.style { body += "<w:pPr><w:pStyle w:val=\"\(style)\"/></w:pPr>" }
            // Split the text over two runs, as Word does, to check that runs are joined.
            let half = p.text.index(p.text.startIndex, offsetBy: p.text.count / 2)
            body += "<w:r><w:t xml:space=\"preserve\">\(xmlEscape(String(p.text[..<half])))</w:t></w:r>"
            body += "<w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">\(xmlEscape(String(p.text[half...])))</w:t></w:r></w:p>"
        }
        let document = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>\(body)</w:body></w:document>
            """
        let contentTypes = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
            <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
            <Default Extension="xml" ContentType="application/xml"/>
            <Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
            </Types>
            """
        let rels = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
            <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
            </Relationships>
            """
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        for (name, text) in [("[Content_Types].xml", contentTypes), ("_rels/.rels", rels), ("word/document.xml", document)] {
            let data = Data(text.utf8)
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
    }

    static let perwali = """
        PERATURAN WALI KOTA SAMARINDA TENTANG STANDAR PELAYANAN PERIZINAN

        BAB I
        KETENTUAN UMUM

        Pasal 1
        Dalam peraturan ini yang dimaksud dengan pelayanan perizinan adalah kegiatan penerbitan izin oleh perangkat daerah.

        BAB II
        PERSYARATAN DAN PROSEDUR

        Pasal 4
        Pemohon mengisi formulir dan melampirkan salinan KTP-el.

        Pasal 5
        Pengajuan permohonan dilakukan secara daring melalui laman resmi, dan berkas yang lengkap diperiksa oleh petugas dalam tiga hari kerja.

        BAB III
        BIAYA

        Pasal 7
        Pelayanan ini tidak dipungut biaya.
        """
}
