import Foundation
import Synchronization

/// Reads the text of a PDF through poppler's `pdftotext` (installed by Scripts/setup).
/// We run it as a subprocess rather than linking libpoppler: a malformed or hostile PDF can
/// crash or hang the parser, and in a child process that costs one file, not the server.
/// The child runs under limits (address space, CPU time, wall clock), reads at most
/// `maxPDFPages + 1` pages, and its output is read only up to `maxExtractedBytes`: past any
/// of them it is killed and the file refused.
enum PDFText {
    /// The `pdftotext` on PATH (or the usual Debian location), if installed.
    static func executable(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let dirs = (environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        return dirs.map { $0 + "/pdftotext" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The PDF's text layer, page by page, and the pages (1-based) without a usable one (scans).
    static func textPages(path: String, limits: IngestLimits, tool: String? = nil) throws -> (text: String, pages: [String], scanned: [Int]) {
        guard let tool = tool ?? executable() else {
            throw DocumentsError(.extractor, "cannot read PDF files because 'pdftotext' is not installed; install poppler-utils (Scripts/setup does) and retry")
        }
        let output = try runLimited(tool: tool, arguments: [
            // Reading order (not -layout): paragraphs come out as runs of lines, which the chunker joins;
            // -layout would pad columns with spaces and interleave multi-column pages.
            "-q", "-enc", "UTF-8", "-eol", "unix",
            // One page more than allowed, so an over-long PDF is recognised without reading all of it.
            "-l", String(limits.maxPDFPages + 1),
            path, "-",
        ], limits: limits)
        // pdftotext ends every page with a form feed.
        let pageCount = output.reduce(0) { $1 == 0x0C ? $0 + 1 : $0 }
        if pageCount > limits.maxPDFPages {
            throw DocumentsError(.tooLarge, "the PDF has more than \(limits.maxPDFPages) pages; split it into parts and ingest each")
        }
        let text = String(decoding: output, as: UTF8.self)
        var pageTexts = text.split(separator: "\u{0C}", omittingEmptySubsequences: false).map(String.init)
        if pageTexts.last?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == true, pageTexts.count > 1 { pageTexts.removeLast() }
        let scanned = pageTexts.indices.filter { i in pageTexts[i].unicodeScalars.filter { !$0.properties.isWhitespace }.count < 20 }.map { $0 + 1 }
        return (text, pageTexts, scanned)
    }

    /// `tool` replaces the installed pdftotext (tests run a misbehaving stand-in). `progress` hears each page read by OCR.
    static func extract(path: String, limits: IngestLimits = .default, tool: String? = nil, progress: PageProgress? = nil) throws -> ExtractedText {
        let (text, pageTexts, scanned) = try textPages(path: path, limits: limits, tool: tool)
        // Pages without a usable text layer (scans) are recognised by OCR; text pages stay as they are.
        let allScanned = scanned.count == pageTexts.count
        let ocrInstalled = OCRText.tesseract() != nil
        if scanned.isEmpty || (!allScanned && !ocrInstalled) {
            let extracted = blocksFromPlainText(text, markdown: false)
            if extracted.isEmpty { throw DocumentsError(.empty, "the PDF holds no text") }
            return extracted
        }
        let recognized = Dictionary(uniqueKeysWithValues: try OCRText.pdfPages(path: path, pages: scanned, limits: limits, progress: progress).map { ($0.0, $0.1) })
        var blocks: [ExtractedText.Block] = []
        var pages: [ExtractedText.PageInfo] = []
        var title: String?
        var run: [String] = []
        func flushText() {
            guard !run.isEmpty else { return }
            let part = blocksFromPlainText(run.joined(separator: "\n"), markdown: false)
            if title == nil, blocks.isEmpty { title = part.title }
            blocks += part.blocks
            run.removeAll()
        }
        for (i, pageText) in pageTexts.enumerated() {
            guard let page = recognized[i + 1] else { run.append(pageText); continue }
            flushText()
            let part = OCRText.recognizedText([(i + 1, page)])
            blocks += part.blocks
            pages += part.pages
        }
        flushText()
        let extracted = ExtractedText(title: title, blocks: blocks, pages: pages)
        if extracted.isEmpty { throw DocumentsError(.empty, "no text was recognised in the scanned PDF") }
        return extracted
    }

    /// Runs `tool` under `ulimit -v` (address space) and `ulimit -t` (CPU seconds), kills it at the
    /// wall-clock limit or as soon as its output passes `maxExtractedBytes`, and returns its output.
    static func runLimited(tool: String, arguments: [String], limits: IngestLimits) throws -> Data {
        let name = (tool as NSString).lastPathComponent
        let process = Process()
        // The shell sets the limits on itself and then becomes the tool (exec), so the limits, the pid
        // we kill and the exit status are the tool's own. Foundation's Process cannot set rlimits.
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -v \(limits.extractorMemoryBytes / 1024) && ulimit -t \(limits.extractorSeconds) && exec \"$0\" \"$@\"",
                             tool] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw DocumentsError(.extractor, "cannot start \(name): \(error.localizedDescription)")
        }
        let pid = process.processIdentifier
        let timedOut = Atomic<Bool>(false)
        let timer = DispatchSource.makeTimerSource()
        timer.schedule(deadline: .now() + .seconds(limits.extractorSeconds))
        timer.setEventHandler {
            timedOut.store(true, ordering: .relaxed)
            kill(pid, SIGKILL)
        }
        timer.resume()
        // Error output is drained beside stdout (so a chatty tool cannot block on a full pipe), keeping its start.
        let stderrText = Mutex(Data())
        let stderrDone = DispatchSemaphore(value: 0)
        let errHandle = err.fileHandleForReading
        DispatchQueue.global().async {
            while let chunk = try? errHandle.read(upToCount: 16_384), !chunk.isEmpty {
                stderrText.withLock { if $0.count < 4096 { $0.append(chunk.prefix(4096 - $0.count)) } }
            }
            stderrDone.signal()
        }
        var output = Data()
        var overflow = false
        let handle = out.fileHandleForReading
        while let chunk = try? handle.read(upToCount: 65_536), !chunk.isEmpty {
            if output.count + chunk.count > limits.maxExtractedBytes {
                overflow = true
                kill(pid, SIGKILL)
                break
            }
            output.append(chunk)
        }
        process.waitUntilExit()
        timer.cancel()
        try? handle.close()
        stderrDone.wait()
        if overflow {
            throw DocumentsError(.tooLarge, "the PDF's text is larger than \(IngestLimits.mib(limits.maxExtractedBytes)); split the file")
        }
        if timedOut.load(ordering: .relaxed) {
            throw DocumentsError(.tooLarge, "\(name) did not finish within \(limits.extractorSeconds) s; the PDF is too complex or damaged")
        }
        if process.terminationReason == .uncaughtSignal {
            // SIGXCPU is the CPU limit; SIGKILL/SIGSEGV/SIGABRT usually the memory limit or a damaged file.
            if process.terminationStatus == SIGXCPU {
                throw DocumentsError(.tooLarge, "\(name) used more than \(limits.extractorSeconds) s of CPU time; the PDF is too complex or damaged")
            }
            throw DocumentsError(.unreadable, "\(name) crashed on this file (signal \(process.terminationStatus)), perhaps at its \(IngestLimits.mib(limits.extractorMemoryBytes)) memory limit; the PDF may be damaged")
        }
        guard process.terminationStatus == 0 else {
            let message = String(decoding: stderrText.withLock { $0 }, as: UTF8.self).split(separator: "\n").first.map(String.init)
                ?? "exit status \(process.terminationStatus)"
            throw DocumentsError(.unreadable, "the file cannot be read (\(name): \(message)); is it damaged?")
        }
        return output
    }
}
