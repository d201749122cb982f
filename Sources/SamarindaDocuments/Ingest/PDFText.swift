import Foundation

/// Reads the text of a PDF through poppler's `pdftotext` (installed by Scripts/setup).
/// We run it as a subprocess rather than linking libpoppler: a malformed or hostile PDF can
/// crash or hang the parser, and in a child process that costs one file, not the server.
enum PDFText {
    static let timeoutSeconds: Double = 60

    /// The `pdftotext` on PATH (or the usual Debian location), if installed.
    static func executable(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let dirs = (environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        return dirs.map { $0 + "/pdftotext" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func extract(path: String, fileName: String) throws -> ExtractedText {
        guard let tool = executable() else {
            throw DocumentsError(.extractor, "cannot read PDF files because 'pdftotext' is not installed; install poppler-utils (Scripts/setup does) and retry")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        // Reading order (not -layout): paragraphs come out as runs of lines, which the chunker joins;
        // -layout would pad columns with spaces and interleave multi-column pages.
        process.arguments = ["-q", "-enc", "UTF-8", "-eol", "unix", path, "-"]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw DocumentsError(.extractor, "cannot start pdftotext: \(error.localizedDescription)")
        }
        let deadline = DispatchTime.now() + timeoutSeconds
        let timer = DispatchSource.makeTimerSource()
        timer.schedule(deadline: deadline)
        timer.setEventHandler { if process.isRunning { process.terminate() } }
        timer.resume()
        // Read stdout before waiting, so a large PDF cannot fill the pipe and deadlock us.
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        timer.cancel()
        if process.terminationReason == .uncaughtSignal {
            throw DocumentsError(.extractor, "pdftotext did not finish within \(Int(timeoutSeconds)) s or crashed; the PDF may be damaged")
        }
        guard process.terminationStatus == 0 else {
            let message = String(decoding: stderrData, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "exit status \(process.terminationStatus)"
            throw DocumentsError(.unreadable, "not a readable PDF (pdftotext: \(message))")
        }
        let text = String(decoding: stdoutData, as: UTF8.self)
        let extracted = blocksFromPlainText(text, markdown: false)
        if extracted.isEmpty {
            throw DocumentsError(.empty, "the PDF has no text layer (a scan?); run OCR on it first, then ingest the result")
        }
        return extracted
    }
}
