import Foundation
import SamarindaCore
import Testing
@testable import SamarindaDocuments

/// Issue 26: the OCR quality set. Pages are rendered from known Indonesian text and degraded; recognition is
/// scored by character and word error rate. Here one page clean and one noisy, at 300 dpi (the bench runs
/// every page and condition: `Scripts/bench --filter ocr`).
@Suite(.enabled(if: OCRText.tesseract() != nil && OCRText.pdftoppm() != nil, "tesseract-ocr / poppler-utils are not installed"))
struct OCRQualityTests {
    @Test func cleanAndDegradedPagesMeetTheirErrorRates() throws {
        let scratch = try TemporaryDirectory(prefix: "samarinda-ocrq")
        for condition in OCRQualitySet.conditions where condition.name == "clean 300 dpi" || condition.name == "noisy 300 dpi" {
            let r = try OCRQualitySet.measure(condition, texts: [OCRQualitySet.pages[0]], scratch: scratch.path)
            #expect(r.pages == 1 && r.characters > 300, "\(condition.name): \(r)")
            #expect(r.cer <= condition.maxCER ?? 0, "\(condition.name): CER \(r.cer), WER \(r.wer)")
        }
    }

    /// The degradations really degrade (a skew moves ink, noise flips pixels), and are the same on every run.
    @Test func degradationsChangeThePageDeterministically() throws {
        let scratch = try TemporaryDirectory(prefix: "samarinda-ocrq")
        let page = try #require(try OCRQualitySet.render(pdf: OCRQualitySet.textPDF(pages: [["Surat Edaran"]], stamp: true), dpi: 100, scratch: scratch.path).first)
        #expect(page.width == 827 && page.height == 1170, "A4 at 100 dpi: \(page.width)×\(page.height)")
        #expect(page.pixels.contains { $0 < 128 }, "ink on the page")
        let noisy = page.noisy(fraction: 0.02, seed: 1)
        #expect(noisy.pixels == page.noisy(fraction: 0.02, seed: 1).pixels)
        let flipped = zip(noisy.pixels, page.pixels).filter { abs(Int($0) - Int($1)) > 100 }.count
        #expect(flipped > page.pixels.count / 200, "about 2 % of pixels flipped: \(flipped)")
        #expect(page.skewed(degrees: 2).pixels != page.pixels)
        #expect(page.skewed(degrees: 0).pixels == page.pixels)
    }

    @Test func errorRatesCountEditsOverTheReference() {
        #expect(OCRQualitySet.editDistance(Array("akta kelahiran"), Array("akte kelahiran")) == 1)
        #expect(OCRQualitySet.editDistance(Array("pasal"), Array("")) == 5)
        #expect(OCRQualitySet.editDistance(["surat", "edaran", "camat"], ["surat", "camat"]) == 1)
        #expect(OCRQualitySet.normalized(" Surat\n\n edaran  ") == "Surat edaran")
    }
}
