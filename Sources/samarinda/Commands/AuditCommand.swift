import ArgumentParser
import Foundation
import SamarindaAudit
import SamarindaCore
import SamarindaRuntime

/// `samarinda audit …`: read, check, export and report on the tamper-evident audit trail.
/// On this machine the operator acts as admin; over HTTP only admin and auditor keys may.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read, verify, export and report on the tamper-evident audit trail.",
        subcommands: [Tail.self, Verify.self, Export.self, Checkpoint.self, Key.self, DigestText.self, Receipt.self, CheckReceipt.self, Report.self,
                      LookupKey.self, RotateKey.self]
    )

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the latest audit events, one readable line each.")
        @OptionGroup var options: ConfigOptions
        @Flag(name: .shortAndLong, help: "Keep printing new events as they are recorded (Ctrl-C to stop).") var follow = false
        @Option(help: "Only events of this department, e.g. disdukcapil.") var department: String?
        @Option(help: "Only events with this action, e.g. tool.call, model.call, auth.fail.") var action: String?
        @Option(help: "Only events with this outcome: ok, denied or error.") var outcome: String?
        @Option(help: ArgumentHelp("Only events holding this text anywhere, e.g. a digest from 'audit digest', a key id or a document id.", valueName: "text")) var containing: String?
        @Option(help: "How many events to show.") var limit = 50
        @Flag(help: "Print JSON lines instead of readable lines.") var json = false
        @Option(help: "Language of the verdict shown first: id (Bahasa Indonesia) or en.") var lang: VerdictLanguage = .id

        func validate() throws {
            if let outcome, !["ok", "denied", "error"].contains(outcome) { throw ValidationError("--outcome must be ok, denied or error") }
            if limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            try await onExistingTrail(options) { handle in
                let log = handle.platform.auditLog
                // Verdict before data: the events below are only as good as the trail they come from.
                let verdict = try log.verify()
                showVerdictFirst(verdict, lang: lang, toStandardError: json)
                var records = try log.tail(limit: limit, department: department, action: action, outcome: outcome, containing: containing)
                records.forEach(show)
                if verdict.status == .failed { throw ExitCode(1) }
                guard follow else { return }
                var last = try records.last?.seq ?? log.count()
                while true {
                    try await Task.sleep(for: .milliseconds(500))
                    records = try log.tail(limit: 1000, department: department, action: action, outcome: outcome, afterSeq: last, containing: containing)
                    records.forEach(show)
                    if let seq = records.last?.seq { last = seq }
                }
            }
        }

        func show(_ record: AuditRecord) {
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: (try? encoder.encode(AuditRecordJSON(record))) ?? Data(), as: UTF8.self))
            } else {
                print(readableLine(record))
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every hash, the chain and every signed checkpoint; exit 1 naming the first bad event.",
            discussion: "With --from-export, checks an export file instead of the database: an auditor needs only the file and the public key printed by 'samarinda audit key'.")
        @OptionGroup var options: ConfigOptions
        @Option(name: .customLong("from-export"), help: ArgumentHelp("Verify this export file (from 'audit export') instead of the database.", valueName: "file")) var exportFile: String?
        @Option(help: ArgumentHelp("The audit public key to trust (NAME+KEYID+KEY from 'audit key'); default: this machine's key.", valueName: "pubkey")) var key: String?
        @Option(name: .customLong("witness"), help: ArgumentHelp(
            "A checkpoint kept off this machine (the output of an earlier 'audit checkpoint'); the trail must still reproduce its root. Repeatable.",
            valueName: "file")) var witnesses: [String] = []

        @Option(help: "Language of the verdict: id (Bahasa Indonesia) or en.") var lang: VerdictLanguage = .id

        func run() async throws {
            let verdict = try await exiting(2, on: AuditError.self) { () async throws -> AuditVerdict in
                let held = try witnesses.map { try Witness(file: $0) }
                if let exportFile {
                    // An auditor off the machine has no database: do not open (or create) one.
                    let trusted = try key ?? AuditLog.localPublicKey(config: options.load())
                    return try AuditLog.verify(exportFile: exportFile, publicKey: trusted, witnesses: held)
                }
                return try await onExistingTrail(options) { handle in
                    if let key, try NoteVerifierKey(parsing: key) != handle.platform.auditLog.verifierKey {
                        printError("--key is not this trail's current signing key (\(handle.platform.auditLog.publicKey)); checking against --key anyway")
                    }
                    return try handle.platform.auditLog.verify(witnesses: held)
                }
            }
            // One rule for every case: verified on standard output with exit 0; anything else (a problem,
            // a witness that could not be checked, removed triggers) on standard error with exit 1.
            if verdict.status == .verified {
                print(verdict.paragraph(lang))
            } else {
                printError(verdict.paragraph(lang))
                throw ExitCode(1)
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export events and signed checkpoints as JSON lines that verify on their own with the public key.",
            discussion: "Writes a checkpoint first, so every exported event is covered by a signature.")
        @OptionGroup var options: ConfigOptions
        @Option(help: ArgumentHelp("Export events from this date on: YYYY-MM-DD (WITA) or an ISO 8601 time.", valueName: "date")) var since: String?
        @Option(help: "Export format; only jsonl.") var format = "jsonl"
        @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file, a device or FIFO, or '-' (default: standard output).", valueName: "file")) var output: String?

        func validate() throws {
            guard format == "jsonl" else { throw ValidationError("--format must be jsonl") }
            if let since, parseDate(since) == nil { throw ValidationError("--since '\(since)' is not a date: use YYYY-MM-DD or e.g. 2026-11-01T00:00:00+08:00") }
        }

        func run() async throws {
            let path = output ?? "-"
            let summary = try await onExistingTrail(options) { handle in
                try await handle.platform.auditLog.export(since: since.flatMap(parseDate), to: path, by: handle.operatorPrincipal)
            }
            let span = summary.firstTime.map { " " + AuditTime.wita($0) + " to " + AuditTime.wita(summary.lastTime ?? $0) } ?? ""
            FileHandle.standardError.write(Data("exported \(summary.events) events (seq \(summary.firstSeq)…\(summary.lastSeq)\(span)) and \(summary.checkpoints) signed checkpoints\(path == "-" ? "" : " to \(path)")\n".utf8))
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign a checkpoint of the whole trail now and print it (a C2SP signed note).")
        @OptionGroup var options: ConfigOptions
        @Option(name: .shortAndLong, help: ArgumentHelp("Write the checkpoint to this file (a witness to keep off this machine), a device or FIFO, or '-' (default: standard output).", valueName: "file")) var output: String?

        func run() async throws {
            let checkpoint = try await onExistingTrail(options) { try await $0.platform.auditLog.checkpoint() }
            try writeOutput(Data(checkpoint.note.utf8), to: output)
        }
    }

    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the audit trail's public key and its fingerprint, to give to the Inspektorat for 'audit verify --key'.",
            discussion: "The first line is the key; the fingerprint below it is for reading out or printing on the handover letter. Reads only: creates no database and no key.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let config = try options.load()
            let key = try await exiting(2, on: AuditError.self, saying: { "\($0.message) Nothing was created." }) {
                try NoteVerifierKey(parsing: AuditLog.localPublicKey(config: config))
            }
            print(key.description)
            print("fingerprint: \(key.fingerprint)")
            // After a rotation, the chain from the first key (read only when the database exists).
            if FileManager.default.fileExists(atPath: config.storage.path), let chain = try? AuditLog.storedKeyChain(databasePath: config.storage.path), chain.count > 1 {
                print("rotated: \(chain.count) keys, oldest first (each handed over to the next; 'audit verify' follows the chain):")
                chain.forEach { print("  \($0)") }
            }
        }
    }

    struct DigestText: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "digest",
            abstract: "Print the trail's keyed digest of a text, to find the events about it (prompts, queries, tool arguments).",
            discussion: """
                Events keep prompts, answers, search queries and tool arguments only as keyed digests \
                (hmac-sha256:…), so a value such as a NIK cannot be recovered from the trail by trying every \
                candidate. With the installation's key this prints the digest of a given text; match it against \
                'audit tail' or an export. Tool arguments are digested as compact JSON with sorted keys: pass \
                them with --json, e.g. samarinda audit digest --json '{"nik": "6472014501900003"}'. Each use is audited.
                """)
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The text (a NIK or other identifier, a prompt, a search query, or tool arguments with --json).") var text: String
        @Flag(help: "Read the text as JSON and digest its canonical form, as tool arguments are.") var json = false
        @Option(name: .customLong("from-export"), help: ArgumentHelp("Look the identifier up in this export instead (off the machine; needs --lookup-key and --key).", valueName: "file")) var exportFile: String?
        @Option(name: .customLong("lookup-key"), help: ArgumentHelp("A month's lookup key from 'audit lookup-key' (repeatable).", valueName: "key")) var lookupKeys: [String] = []
        @Option(help: ArgumentHelp("The audit public key the export must verify against.", valueName: "pubkey")) var key: String?
        @Option(help: "How many matching events to list.") var limit = 1000

        func run() async throws {
            if let exportFile { return try await lookUpInExport(exportFile) }
            try await onExistingTrail(options) { handle in
                let log = handle.platform.auditLog
                let digest: String
                do {
                    digest = try await log.lookUpDigest(of: text, json: json, by: handle.operatorPrincipal)
                } catch let error as AuditError where error.kind == .invalidArgument {
                    throw ValidationError("--json: \(error.message)")
                }
                print(digest)
                // The events that hold this exact text, and those that mention an identifier in it.
                var seen = Set<Int64>()
                var matches = try log.tail(limit: limit, containing: digest)
                matches.forEach { seen.insert($0.seq) }
                if let found = try? await log.findSubject(text, by: handle.operatorPrincipal, limit: limit) {
                    matches += found.filter { !seen.contains($0.seq) }
                }
                matches.sort { $0.seq < $1.seq }
                printError("\(matches.count) event(s) hold this text or mention an identifier in it\(matches.isEmpty ? "" : ":")")
                matches.forEach { printError(readableLine($0)) }
            }
        }

        func lookUpInExport(_ file: String) async throws {
            guard let key, !lookupKeys.isEmpty else {
                throw ValidationError("--from-export needs --key (the audit public key) and --lookup-key (the month's lookup key from the operator)")
            }
            try await exiting(2, on: AuditError.self) {
                let (verdict, records) = try AuditExport.verifiedRecords(exportFile: file, publicKey: key)
                if verdict.status == .failed { printError(verdict.paragraph(.id)) }
                let (found, missing) = try SubjectLookup.find(text, in: records, lookupKeys: lookupKeys, recognizer: Platform.identifierRecognizer)
                found.prefix(limit).forEach { print(readableLine($0)) }
                printError("\(found.count) event(s) in \(file) mention this identifier"
                           + (missing.isEmpty ? "" : "; months without a lookup key were not searched: \(missing.joined(separator: ", "))"))
                if verdict.status == .failed { throw ExitCode(1) }
            }
        }
    }

    struct Receipt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a receipt for one event: the event and the proof that it is in a signed checkpoint.",
            discussion: "Whoever receives it checks it with 'audit check-receipt FILE --key K' and the public key alone, without seeing any other event. Each receipt given is audited.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The event's sequence number (see 'audit tail').") var seq: Int64
        @Option(name: .shortAndLong, help: ArgumentHelp("Write the receipt to this file instead of standard output.", valueName: "file")) var output: String?

        func run() async throws {
            let receipt = try await onExistingTrail(options) { handle in
                try await handle.platform.auditLog.issueReceipt(seq: seq, to: handle.operatorPrincipal)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try writeOutput(try encoder.encode(receipt) + Data("\n".utf8), to: output)
            if let output, output != "-" {
                print("receipt for event \(seq) (tree size \(receipt.treeSize)) written to \(output)")
            }
        }
    }

    struct CheckReceipt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-receipt",
            abstract: "Check an event receipt with the audit public key alone (no database needed).")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The receipt file written by 'audit receipt'.") var file: String
        @Option(help: ArgumentHelp("The audit public key to trust (from 'audit key'); default: this machine's key.", valueName: "pubkey")) var key: String?

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                printError("cannot read the receipt '\(file)': check the path")
                throw ExitCode(2)
            }
            try await exiting(1, on: AuditError.self, saying: { "receipt NOT valid: \($0.message)" }) {
                let trusted = try key ?? AuditLog.localPublicKey(config: options.load())
                print(try AuditReceipt.check(data, publicKey: trusted).description)
            }
        }
    }

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Monthly transparency report per department: tool and model calls, tokens, denials, redactions (no personal data).",
            discussion: "Verifies the trail first and puts the verdict, key fingerprint, tree size and root above the numbers; exits 1 when it does not verify. With --from-export FILE --key K it works from an export alone, off the machine.")
        @OptionGroup var options: ConfigOptions
        @Option(help: ArgumentHelp("The month, YYYY-MM (WITA).", valueName: "month")) var month: String
        @Option(help: "markdown or json.") var format = "markdown"
        @Option(name: .shortAndLong, help: ArgumentHelp("Write the report to this file, a device or FIFO, or '-' (default: standard output).", valueName: "file")) var output: String?
        @Option(name: .customLong("from-export"), help: ArgumentHelp("Build the report from this export file (off the machine).", valueName: "file")) var exportFile: String?
        @Option(help: ArgumentHelp("The audit public key the export must verify against (with --from-export).", valueName: "pubkey")) var key: String?
        @Option(help: "Language of the verdict: id (Bahasa Indonesia) or en.") var lang: VerdictLanguage = .id

        func validate() throws {
            guard ["markdown", "json"].contains(format) else { throw ValidationError("--format must be markdown or json") }
            if exportFile != nil, key == nil { throw ValidationError("--from-export needs --key: the audit public key given to the Inspektorat ('samarinda audit key')") }
        }

        func run() async throws {
            let (verdict, report) = try await exiting(2, on: AuditError.self) { () async throws -> (AuditVerdict, TransparencyReport) in
                if let exportFile, let key {
                    let (verdict, records) = try AuditExport.verifiedRecords(exportFile: exportFile, publicKey: key)
                    var report = try TransparencyReport.make(month: month, events: records.map(\.event), config: try options.load())
                    report.verification = .init(verdict, lang: lang)
                    return (verdict, report)
                }
                return try await onExistingTrail(options) { handle in
                    let verdict = try handle.platform.auditLog.verify()
                    return (verdict, try handle.platform.auditLog.report(month: month, verdict: verdict, lang: lang))
                }
            }
            if verdict.status != .verified { printError(verdict.paragraph(lang)) }
            try writeOutput(Data(((format == "json" ? report.json : report.markdown) + "\n").utf8), to: output)
            if verdict.status != .verified { throw ExitCode(1) }
        }
    }

    struct LookupKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lookup-key",
            abstract: "Print one month's person-lookup key, to hand to the Inspektorat with that month's export (audited).",
            discussion: "With it and the export, 'audit digest NIK --from-export FILE --lookup-key K --key PUBKEY' finds the events that mention a given identifier, off the machine. Neither the key nor the export alone reveals anyone; together they let the holder test identifiers, so hand them over separately.")
        @OptionGroup var options: ConfigOptions
        @Option(help: ArgumentHelp("The month, YYYY-MM (WITA).", valueName: "month")) var month: String

        func run() async throws {
            try await onExistingTrail(options) { handle in
                print(try await exiting(2, on: AuditError.self) { try await handle.platform.auditLog.issueLookupKey(month: month, to: handle.operatorPrincipal) })
            }
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Retire the audit signing key: a new key takes over, and the old and new keys both sign the handover.",
            discussion: "Verification follows the chain from the key the Inspektorat holds, on the machine and from an export. Give the new key and its fingerprint to the Inspektorat. The old private key is deleted. Run it while the service is stopped, or restart the service after.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let (old, new) = try await onExistingTrail(options) { handle in
                let before = try handle.platform.auditLog.verify()
                guard before.problem == nil else {
                    printError("the trail does not verify, so its key is not rotated (a handover would vouch for it): \(before.paragraph(.en))")
                    throw ExitCode(1)
                }
                return try await handle.platform.auditLog.rotateKey(by: handle.operatorPrincipal)
            }
            print("the audit signing key was rotated: \(old) handed over to")
            print(new)
            print("fingerprint: \(try NoteVerifierKey(parsing: new).fingerprint)")
        }
    }
}

/// Runs `body` on the trail already here, for an audit command that reads (or adds to) it: never creates
/// a database or a signing key (a mistyped --config must not produce an empty trail that "verifies").
/// Closes the trail whether `body` returns or throws (`CLIPlatform.run`).
func onExistingTrail<T>(_ options: ConfigOptions, _ body: (PlatformHandle) async throws -> T) async throws -> T {
    let config = try options.load()
    for (what, path) in [("database", config.storage.path), ("audit signing key", AuditLog.keyPath(config: config))]
    where !FileManager.default.fileExists(atPath: path) {
        printError("no audit trail here: the \(what) '\(path)' does not exist, and nothing was created. Run this where the platform runs or pass --config; off the machine, use --from-export FILE --key PUBKEY.")
        throw ExitCode(2)
    }
    return try await CLIPlatform.run(config: config, body)
}

/// The verdict above the data: first on standard output before readable lines (on standard error
/// when standard output carries JSON); a failure is also said on standard error, for scripts.
func showVerdictFirst(_ verdict: AuditVerdict, lang: VerdictLanguage, toStandardError: Bool) {
    let warning = verdict.status == .failed ? (lang == .id ? "PERINGATAN: " : "WARNING: ") : ""
    let text = warning + verdict.paragraph(lang)
    if toStandardError {
        printError(text)
        return
    }
    print(text)
    print("")
    if verdict.status == .failed {
        printError(lang == .id ? "PERINGATAN: jejak audit GAGAL diverifikasi (lihat di atas); data di bawahnya tidak dapat dipercaya"
                               : "WARNING: the audit trail FAILED verification (see above); the data below cannot be trusted")
    }
}

extension VerdictLanguage: ExpressibleByArgument {}

/// `#12  2026-11-03 10:22:01 WITA  disdukcapil  key:3f9a (staff)  tool.call  disdukcapil.syarat/cek_syarat  ok  12ms  n=1`
func readableLine(_ record: AuditRecord) -> String {
    let e = record.event
    var outcome = e.outcome.name
    if let code = e.outcome.code, !code.isEmpty { outcome += "(\(code))" }
    let ms = e.durationMicros >= 1000 ? "\(e.durationMicros / 1000)ms" : "\(e.durationMicros)µs"
    let fields = e.fields.keys.sorted().map { key -> String in
        let value = e.fields[key]!.replacingOccurrences(of: "\n", with: "\\n")
        return "\(key)=\(value.count > 40 ? String(value.prefix(40)) + "…" : value)"
    }.joined(separator: " ")
    return ["#\(record.seq)", AuditTime.wita(e.timestamp), e.actor.department.isEmpty ? "-" : e.actor.department,
            "\(e.actor.displayName) (\(e.actor.role.isEmpty ? "-" : e.actor.role))", e.action, e.target.isEmpty ? "-" : e.target,
            outcome, ms, e.classification.name, fields].filter { !$0.isEmpty }.joined(separator: "  ")
}

/// Writes a command's output to the file the person named (`nil` or `-`: standard output) through
/// `OutputFile`, which writes devices and FIFOs directly and regular files atomically; a failure exits 1 saying why.
func writeOutput(_ data: Data, to path: String?) throws {
    do {
        try OutputFile.write(data, to: path ?? "-", mode: 0o600)
    } catch let error as OutputFileError {
        printError(error.message)
        throw ExitCode(1)
    }
}

/// YYYY-MM-DD (midnight WITA) or a full ISO 8601 time.
func parseDate(_ text: String) -> Date? {
    let iso = ISO8601DateFormatter()
    if let d = iso.date(from: text) { return d }
    let day = DateFormatter()
    day.dateFormat = "yyyy-MM-dd"
    day.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
    day.locale = Locale(identifier: "en_US_POSIX")
    return day.date(from: text)
}
