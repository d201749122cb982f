import Foundation
import SamarindaCore
import SamarindaDocuments

/// The upload extractors as fuzz targets (issue 15): what a department admin uploads is untrusted.
/// `docx` takes a whole archive when the input starts like a ZIP, else the text of `word/document.xml`;
/// `pdf` writes the input to a file and runs the real pdftotext under the ingest limits; `html` and
/// `md` read text. Each result also goes through the chunker, as at ingest.
extension FuzzTargets {
    static let extractorTargets = ["docx", "html", "pdf", "md"]

    /// Tighter than the service's limits, so one input stays fast while every bound is still crossed.
    static var fuzzLimits: IngestLimits {
        var limits = IngestLimits()
        limits.maxExtractedBytes = 4 * 1024 * 1024
        limits.maxPDFPages = 50
        limits.extractorSeconds = 5
        limits.extractorMemoryBytes = 512 * 1024 * 1024
        // OCR takes seconds a page: a mutated PDF without text is refused rather than recognised.
        limits.maxOCRPages = 0
        return limits
    }

    static func extractorSeeds(_ name: String) -> [String] {
        switch name {
        case "docx":
            return [#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr><w:r><w:t>SOP Pelayanan</w:t></w:r></w:p><w:p><w:pPr><w:outlineLvl w:val="1"/></w:pPr><w:r><w:t xml:space="preserve">Persyaratan </w:t></w:r><w:r><w:tab/><w:t>umum</w:t><w:br/></w:r></w:p><w:p><w:r><w:t>Pasal 5</w:t></w:r></w:p><w:p><w:r><w:t>Pemohon &amp; kuasa.</w:t></w:r></w:p></w:body></w:document>"#]
        case "html":
            return ["<html><head><title>Izin &amp; Layanan</title><script>x()</script></head><body><h1>Izin</h1><p>Pembuka&nbsp;teks &#x41; &#65;.</p><!-- c --><h2>Pasal 3</h2><ul><li>satu<br>dua</li></ul><style>p{}</style></body></html>"]
        case "md":
            return ["# Judul\n\nPengantar.\n\n## Pasal 4\n\nIsi pasal.\n\n```\n# bukan judul\n```\n\nBAB II\nKETENTUAN\n\u{0C}### Bagian Kesatu\n"]
        default:
            return [minimalPDF(lines: ["Standar Pelayanan", "BAB I", "Pasal 2", "Isi pasal dua."])]
        }
    }

    static func runExtractor(_ name: String, _ bytes: [UInt8]) {
        let data = Data(bytes)
        let extracted: ExtractedText?
        switch name {
        case "docx":
            extracted = bytes.starts(with: [0x50, 0x4B])
                ? try? DocumentExtractor.extract(data: data, format: .docx, limits: fuzzLimits)
                : try? DocumentExtractor.extractDocxDocumentXML(data, limits: fuzzLimits)
        case "html":
            extracted = try? DocumentExtractor.extract(data: data, format: .html, limits: fuzzLimits)
        case "md":
            extracted = try? DocumentExtractor.extract(data: data, format: .markdown, limits: fuzzLimits)
        default:
            extracted = try? DocumentExtractor.extract(data: data, format: .pdf, limits: fuzzLimits)
        }
        if let extracted { _ = Chunker(chunkChars: 400, overlapChars: 80).chunks(extracted) }
    }

    /// A one-page PDF 1.4 with a correct cross-reference table (ASCII lines in Helvetica).
    static func minimalPDF(lines: [String]) -> String {
        var stream = "BT /F1 11 Tf 14 TL 56 780 Td\n"
        for line in lines { stream += "(\(line)) Tj T*\n" }
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
        return out
    }
}
