import Foundation
import SamarindaDocuments

/// OCR quality and speed (issue 26): the rendered Indonesian page set (`OCRQualitySet`), per condition,
/// character and word error rates against the text the pages were rendered from, and pages per minute
/// of recognition (Tesseract `ind+eng`, one process per page, as ingestion runs it) on this machine.
let ocrBenchmarks: [Benchmark] = [
    Benchmark(name: "ocr.quality") { ctx in
        var out: [Measurement] = []
        var pages = 0
        var seconds = 0.0
        let conditions = ctx.quick ? OCRQualitySet.conditions.filter { $0.name.hasPrefix("clean 300") || $0.name.hasPrefix("noisy 300") } : OCRQualitySet.conditions
        for condition in conditions {
            let r = try OCRQualitySet.measure(condition, scratch: ctx.scratch)
            pages += r.pages
            seconds += r.seconds
            out.append(Measurement(name: "CER, \(condition.name) (\(r.pages) pages, \(r.characters) characters)", value: r.cer * 100, unit: "%",
                                   goal: condition.maxCER.map { "≤ \(Int($0 * 100)) %" }, met: condition.maxCER.map { r.cer <= $0 }))
            out.append(Measurement(name: "WER, \(condition.name) (\(r.words) words)", value: r.wer * 100, unit: "%"))
        }
        out.append(Measurement(name: "OCR pages per minute (\(pages) pages, one tesseract process per page)", value: Double(pages) / seconds * 60, unit: "pages/min"))
        return out
    },
]
