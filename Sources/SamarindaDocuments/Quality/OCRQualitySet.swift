import Foundation
import SamarindaCore

/// The OCR quality set (issue 26): Indonesian letter pages rendered at test and bench time, never
/// downloaded. Text is laid out in a PDF, rasterised by poppler's `pdftoppm` with the fonts Debian
/// provides for the standard PDF fonts, and degraded here the way scanners and phones degrade pages:
/// lower resolution, speckle noise, skew and a stamp over the text. Each page is recognised by the same
/// `OCRText.recognize` ingestion uses, and compared with its text as character and word error rates.
public enum OCRQualitySet {
    /// A grey page: one byte per pixel, 0 black, 255 white.
    public struct GrayImage: Sendable {
        public var width: Int
        public var height: Int
        public var pixels: [UInt8]

        /// As a binary PGM (P5), which Tesseract (Leptonica) reads as it is.
        public var pgm: Data {
            var out = Data("P5\n\(width) \(height)\n255\n".utf8)
            out.append(contentsOf: pixels)
            return out
        }

        /// Speckle noise as a flatbed or fax leaves it: `fraction` of pixels flipped to black or white, and a
        /// little grain everywhere. Deterministic for a seed, so two runs measure the same pages.
        public func noisy(fraction: Double, seed: UInt64) -> GrayImage {
            var rng = SplitMix64(seed: seed)  // the same noise on every run
            var out = self
            for i in out.pixels.indices {
                let r = rng.unit()
                if r < fraction / 2 { out.pixels[i] = 0 } else if r < fraction { out.pixels[i] = 255 } else {
                    out.pixels[i] = UInt8(clamping: Int(out.pixels[i]) + Int(rng.unit() * 40) - 20)
                }
            }
            return out
        }

        /// Rotated by `degrees` about the centre (nearest neighbour, white outside), as a page laid crooked on the glass.
        public func skewed(degrees: Double) -> GrayImage {
            let a = degrees * .pi / 180
            let (c, s) = (cos(a), sin(a))
            let (cx, cy) = (Double(width) / 2, Double(height) / 2)
            var out = [UInt8](repeating: 255, count: pixels.count)
            for y in 0..<height {
                for x in 0..<width {
                    let dx = Double(x) - cx, dy = Double(y) - cy
                    let sx = Int((c * dx + s * dy + cx).rounded()), sy = Int((-s * dx + c * dy + cy).rounded())
                    if sx >= 0, sx < width, sy >= 0, sy < height { out[y * width + x] = pixels[sy * width + sx] }
                }
            }
            return GrayImage(width: width, height: height, pixels: out)
        }
    }

    /// One way a page reaches the city: its resolution and what happened to it on the way.
    public struct Condition: Sendable {
        public var name: String
        public var dpi: Int
        public var stamp: Bool = false
        public var noise: Double = 0
        public var skewDegrees: Double = 0
        /// The goal for this condition's character error rate (issue 26: 3 % clean at 300 dpi, 8 % noisy or skewed);
        /// nil for the combined worst case, which is measured and reported without a goal.
        public var maxCER: Double?
    }

    public static let conditions: [Condition] = [
        Condition(name: "clean 300 dpi", dpi: 300, maxCER: 0.03),
        Condition(name: "clean 200 dpi", dpi: 200, maxCER: 0.03),
        Condition(name: "noisy 300 dpi", dpi: 300, noise: 0.02, maxCER: 0.08),
        Condition(name: "skewed 2° 300 dpi", dpi: 300, skewDegrees: 2, maxCER: 0.08),
        Condition(name: "stamped 300 dpi", dpi: 300, stamp: true, maxCER: 0.08),
        Condition(name: "noisy, skewed 1.5°, stamped 200 dpi (worst case, no goal)", dpi: 200, stamp: true, noise: 0.01, skewDegrees: -1.5, maxCER: nil),
    ]

    /// Letters and notices in the register the city writes (ASCII only: the standard PDF font's encoding).
    public static let pages: [[String]] = [
        ["PEMERINTAH KOTA SAMARINDA", "KECAMATAN SAMARINDA ULU", "SURAT KETERANGAN DOMISILI", "Nomor: 470/123/SU/2024",
         "Yang bertanda tangan di bawah ini Camat Samarinda Ulu", "menerangkan bahwa warga tersebut benar berdomisili",
         "di Jalan Juanda RT 12 Kelurahan Air Hitam.", "Surat keterangan ini dibuat untuk keperluan",
         "pengurusan kartu keluarga dan akta kelahiran.", "Demikian surat ini dibuat untuk dipergunakan sebagaimana mestinya."],
        ["NOTA DINAS", "Kepada: Kepala Dinas Kependudukan dan Pencatatan Sipil", "Dari: Sekretaris Daerah Kota Samarinda",
         "Perihal: Pelayanan administrasi kependudukan keliling", "Dalam rangka mendekatkan pelayanan kepada masyarakat,",
         "pelayanan perekaman KTP elektronik dilaksanakan di", "setiap kelurahan pada hari Sabtu mulai bulan Januari.",
         "Pemohon membawa fotokopi kartu keluarga dan surat pengantar RT.", "Atas perhatian dan kerja samanya diucapkan terima kasih."],
        ["PENGUMUMAN", "Nomor: 800/45/DPMPTSP/2024", "Permohonan Persetujuan Bangunan Gedung dan Nomor Induk Berusaha",
         "dilayani secara daring melalui sistem perizinan terpadu.", "Persyaratan yang harus dilengkapi oleh pemohon:",
         "1. Fotokopi kartu tanda penduduk elektronik pemohon;", "2. Bukti pembayaran pajak bumi dan bangunan tahun berjalan;",
         "3. Gambar rencana teknis bangunan yang ditandatangani.", "Pelayanan tidak dipungut biaya apa pun."],
    ]

    /// A text PDF, one page per entry, in Helvetica 11 pt (poppler renders it with a Debian font); with
    /// `stamp`, a grey ring with "DISETUJUI" over the upper right of the text, as a rubber stamp would be.
    public static func textPDF(pages: [[String]], stamp: Bool = false) -> Data {
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "(", with: "\\(").replacingOccurrences(of: ")", with: "\\)")
        }
        var objects = ["<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
                       "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"]
        var kids: [String] = []
        for lines in pages {
            var content = "BT /F1 11 Tf 16 TL 56 780 Td\n" + lines.map { "(\(escape($0))) Tj T*\n" }.joined() + "ET\n"
            if stamp {
                // Two grey rings (a circle of four Bézier arcs each) and the word, tilted, over the letter's upper right.
                func ring(_ r: Double) -> String {
                    let k = 0.5523 * r
                    return "\(r) 0 m \(r) \(k) \(k) \(r) 0 \(r) c \(-k) \(r) \(-r) \(k) \(-r) 0 c \(-r) \(-k) \(-k) \(-r) 0 \(-r) c \(k) \(-r) \(r) \(-k) \(r) 0 c S\n"
                }
                content += "q 0.55 G 0.55 g 2.5 w 0.966 0.259 -0.259 0.966 430 690 cm\n" + ring(58) + ring(50)
                content += "BT /F2 13 Tf -38 -5 Td (DISETUJUI) Tj ET Q\n"
            }
            objects.append("<< /Length \(content.utf8.count) >>\nstream\n\(content)endstream")
            objects.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents \(objects.count) 0 R /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>")
            kids.append("\(objects.count) 0 R")
        }
        objects[1] = "<< /Type /Pages /Kids [\(kids.joined(separator: " "))] /Count \(pages.count) >>"
        return assemble(objects.map { Data($0.utf8) })
    }

    /// An image-only PDF, one grey image per page, as a scanner writes it (no text layer).
    public static func scannedPDF(_ images: [GrayImage]) -> Data {
        var objects: [Data] = [Data("<< /Type /Catalog /Pages 2 0 R >>".utf8), Data()]
        var kids: [String] = []
        for image in images {
            var stream = Data("<< /Type /XObject /Subtype /Image /Width \(image.width) /Height \(image.height) /ColorSpace /DeviceGray /BitsPerComponent 8 /Length \(image.pixels.count) >>\nstream\n".utf8)
            stream.append(contentsOf: image.pixels)
            stream.append(Data("\nendstream".utf8))
            objects.append(stream)
            let content = "q 595 0 0 842 0 0 cm /Im1 Do Q\n"
            objects.append(Data("<< /Length \(content.utf8.count) >>\nstream\n\(content)endstream".utf8))
            objects.append(Data("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents \(objects.count) 0 R /Resources << /XObject << /Im1 \(objects.count - 1) 0 R >> >> >>".utf8))
            kids.append("\(objects.count) 0 R")
        }
        objects[1] = Data("<< /Type /Pages /Kids [\(kids.joined(separator: " "))] /Count \(images.count) >>".utf8)
        return assemble(objects)
    }

    static func assemble(_ objects: [Data]) -> Data {
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

    /// Every page of `pdf` rasterised by pdftoppm at `dpi`, in grey.
    public static func render(pdf: Data, dpi: Int, scratch: String) throws -> [GrayImage] {
        guard let pdftoppm = OCRText.pdftoppm() else {
            throw DocumentsError(.extractor, "rendering pages needs 'pdftoppm' from poppler-utils; install it (Scripts/setup does)")
        }
        let base = scratch + "/render-\(UUID().uuidString.prefix(8))"
        try pdf.write(to: URL(fileURLWithPath: base + ".pdf"))
        _ = try PDFText.runLimited(tool: pdftoppm, arguments: ["-r", String(dpi), "-gray", base + ".pdf", base], limits: .default)
        let files = try FileManager.default.contentsOfDirectory(atPath: scratch).filter { $0.hasPrefix((base as NSString).lastPathComponent + "-") && $0.hasSuffix(".pgm") }.sorted()
        return try files.map { name in
            let pgm = try Data(contentsOf: URL(fileURLWithPath: scratch + "/" + name))
            try? FileManager.default.removeItem(atPath: scratch + "/" + name)
            // "P5\nW H\n255\n" then W×H bytes.
            let header = pgm.prefix(64).split(separator: 0x0A, maxSplits: 3, omittingEmptySubsequences: false)
            let size = String(decoding: header[1], as: UTF8.self).split(separator: " ").compactMap { Int($0) }
            return GrayImage(width: size[0], height: size[1], pixels: [UInt8](pgm.suffix(size[0] * size[1])))
        }
    }

    /// The pages of `condition`, degraded, with the text each holds.
    public static func pages(_ condition: Condition, texts: [[String]] = pages, scratch: String) throws -> [(image: GrayImage, text: String)] {
        let images = try render(pdf: textPDF(pages: texts, stamp: condition.stamp), dpi: condition.dpi, scratch: scratch)
        return zip(images, texts).enumerated().map { n, pair in
            var image = pair.0
            if condition.skewDegrees != 0 { image = image.skewed(degrees: condition.skewDegrees) }
            if condition.noise > 0 { image = image.noisy(fraction: condition.noise, seed: UInt64(n + 1)) }
            return (image, pair.1.joined(separator: "\n"))
        }
    }

    /// What one condition measured: edits over reference length, for characters and for words.
    public struct Result: Sendable {
        public var condition: Condition
        public var pages: Int
        public var characterErrors = 0, characters = 0, wordErrors = 0, words = 0
        public var seconds = 0.0
        public var cer: Double { characters == 0 ? 0 : Double(characterErrors) / Double(characters) }
        public var wer: Double { words == 0 ? 0 : Double(wordErrors) / Double(words) }
    }

    /// Recognises every page of `condition` with the installed Tesseract (as ingestion does) and scores it.
    /// The stamp's own word is not in the reference: recognising it counts against the page, as it would for a clerk.
    public static func measure(_ condition: Condition, texts: [[String]] = pages, scratch: String, limits: IngestLimits = .default) throws -> Result {
        let tool = try OCRText.requireTesseract(limits: limits)
        var result = Result(condition: condition, pages: 0)
        for (n, page) in try pages(condition, texts: texts, scratch: scratch).enumerated() {
            let path = scratch + "/page-\(n).pgm"
            try page.image.pgm.write(to: URL(fileURLWithPath: path))
            let start = Date()
            let recognized = try OCRText.recognize(imagePath: path, tool: tool, limits: limits)
            result.seconds += Date().timeIntervalSince(start)
            try? FileManager.default.removeItem(atPath: path)
            let (ref, hyp) = (normalized(page.text), normalized(recognized.text))
            result.characterErrors += editDistance(Array(ref), Array(hyp))
            result.characters += ref.count
            let (rw, hw) = (ref.split(separator: " ").map(String.init), hyp.split(separator: " ").map(String.init))
            result.wordErrors += editDistance(rw, hw)
            result.words += rw.count
            result.pages += 1
        }
        return result
    }

    /// Whitespace (line breaks, runs of spaces) folded to single spaces: layout is not what is measured.
    static func normalized(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Levenshtein distance (insertions, deletions, substitutions), two rows.
    static func editDistance<T: Equatable>(_ a: [T], _ b: [T]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
