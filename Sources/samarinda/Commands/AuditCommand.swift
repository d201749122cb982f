import ArgumentParser
import Foundation
import SamarindaAudit
import SamarindaCore

/// `samarinda audit …`: read, check, export and report on the tamper-evident audit trail.
/// On this machine the operator acts as admin; over HTTP only admin and auditor keys may.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read, verify, export and report on the tamper-evident audit trail.",
        subcommands: [Tail.self, Verify.self, Export.self, Checkpoint.self, Key.self, DigestText.self, Receipt.self, CheckReceipt.self, Report.self]
    )

    struct Tail: PlatformCommand {
        static let configuration = CommandConfiguration(abstract: "Show the latest audit events, one readable line each.")
        @OptionGroup var options: ConfigOptions
        @Flag(name: .shortAndLong, help: "Keep printing new events as they are recorded (Ctrl-C to stop).") var follow = false
        @Option(help: "Only events of this department, e.g. disdukcapil.") var department: String?
        @Option(help: "Only events with this action, e.g. tool.call, model.call, auth.fail.") var action: String?
        @Option(help: "Only events with this outcome: ok, denied or error.") var outcome: String?
        @Option(help: ArgumentHelp("Only events holding this text anywhere, e.g. a digest from 'audit digest', a key id or a document id.", valueName: "text")) var containing: String?
        @Option(help: "How many events to show.") var limit = 50
        @Flag(help: "Print JSON lines instead of readable lines.") var json = false

        func validate() throws {
            if let outcome, !["ok", "denied", "error"].contains(outcome) { throw ValidationError("--outcome must be ok, denied or error") }
            if limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run(on handle: PlatformHandle) async throws {
            let log = handle.platform.auditLog
            var records = try log.tail(limit: limit, department: department, action: action, outcome: outcome, containing: containing)
            records.forEach(show)
            if follow {
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

        func run() async throws {
            let verdict: AuditVerdict
            do {
                let held = try witnesses.map { try Witness(file: $0) }
                if let exportFile {
                    // An auditor off the machine has no database: do not open (or create) one.
                    let trusted = try key ?? AuditLog.localPublicKey(config: options.load())
                    verdict = try AuditLog.verify(exportFile: exportFile, publicKey: trusted, witnesses: held)
                } else {
                    verdict = try await CLIPlatform.run(options) { handle in
                        if let key, try NoteVerifierKey(parsing: key) != handle.platform.auditLog.verifierKey {
                            printError("--key is not this trail's signing key (\(handle.platform.auditLog.publicKey)); checking against --key anyway")
                        }
                        return try handle.platform.auditLog.verify(witnesses: held)
                    }
                }
            } catch let error as AuditError {
                printError(error.message)
                throw ExitCode(2)
            }
            if verdict.ok {
                print(verdict.description)
                if !verdict.uncheckedWitnesses.isEmpty {
                    printError("not checked: \(verdict.uncheckedWitnesses.joined(separator: ", ")) — older than the export's first event; export from the beginning ('audit export' without --since)")
                    throw ExitCode(1)
                }
            } else {
                printError(verdict.description)
                throw ExitCode(1)
            }
        }
    }

    struct Export: PlatformCommand {
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

        func run(on handle: PlatformHandle) async throws {
            let path = output ?? "-"
            do {
                let summary = try await handle.platform.auditLog.export(since: since.flatMap(parseDate), to: path)
                FileHandle.standardError.write(Data("exported \(summary.events) events (seq \(summary.firstSeq)…\(summary.lastSeq)) and \(summary.checkpoints) signed checkpoints\(path == "-" ? "" : " to \(path)")\n".utf8))
            } catch let error as AuditError {
                printError(error.message)
                throw ExitCode(1)
            }
        }
    }

    struct Checkpoint: PlatformCommand {
        static let configuration = CommandConfiguration(abstract: "Sign a checkpoint of the whole trail now and print it (a C2SP signed note).")
        @OptionGroup var options: ConfigOptions
        @Option(name: .shortAndLong, help: ArgumentHelp("Write the checkpoint to this file (a witness to keep off this machine), a device or FIFO, or '-' (default: standard output).", valueName: "file")) var output: String?

        func run(on handle: PlatformHandle) async throws {
            let checkpoint = try await handle.platform.auditLog.checkpoint()
            try writeOutput(Data(checkpoint.note.utf8), to: output)
        }
    }

    struct Key: PlatformCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the audit trail's public key, to give to the Inspektorat for 'audit verify --key'.")
        @OptionGroup var options: ConfigOptions

        func run(on handle: PlatformHandle) async throws {
            print(handle.platform.auditLog.publicKey)
        }
    }

    struct DigestText: PlatformCommand {
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
        @Argument(help: "The text (a prompt, a search query, or tool arguments with --json).") var text: String
        @Flag(help: "Read the text as JSON and digest its canonical form, as tool arguments are.") var json = false

        func run(on handle: PlatformHandle) async throws {
            do {
                print(try await handle.platform.auditLog.lookUpDigest(of: text, json: json, by: handle.operatorPrincipal))
            } catch let error as AuditError where error.kind == .invalidArgument {
                throw ValidationError("--json: \(error.message)")
            }
        }
    }

    struct Receipt: PlatformCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a receipt for one event: the event and the proof that it is in a signed checkpoint.",
            discussion: "Whoever receives it checks it with 'audit check-receipt FILE --key K' and the public key alone, without seeing any other event. Each receipt given is audited.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The event's sequence number (see 'audit tail').") var seq: Int64
        @Option(name: .shortAndLong, help: ArgumentHelp("Write the receipt to this file instead of standard output.", valueName: "file")) var output: String?

        func run(on handle: PlatformHandle) async throws {
            do {
                let receipt = try await handle.platform.auditLog.issueReceipt(seq: seq, to: handle.operatorPrincipal)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                let data = try encoder.encode(receipt)
                try writeOutput(data + Data("\n".utf8), to: output)
                if let output, output != "-" {
                    print("receipt for event \(seq) (tree size \(receipt.treeSize)) written to \(output)")
                }
            } catch let error as AuditError {
                printError(error.message)
                throw ExitCode(1)
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
            do {
                let trusted = try key ?? AuditLog.localPublicKey(config: options.load())
                print(try AuditReceipt.check(data, publicKey: trusted).description)
            } catch let error as AuditError {
                printError("receipt NOT valid: \(error.message)")
                throw ExitCode(1)
            }
        }
    }

    struct Report: PlatformCommand {
        static let configuration = CommandConfiguration(
            abstract: "Monthly transparency report per department: tool and model calls, tokens, denials, redactions (no personal data).")
        @OptionGroup var options: ConfigOptions
        @Option(help: ArgumentHelp("The month, YYYY-MM (WITA).", valueName: "month")) var month: String
        @Option(help: "markdown or json.") var format = "markdown"
        @Option(name: .shortAndLong, help: ArgumentHelp("Write the report to this file, a device or FIFO, or '-' (default: standard output).", valueName: "file")) var output: String?

        func validate() throws {
            guard ["markdown", "json"].contains(format) else { throw ValidationError("--format must be markdown or json") }
        }

        func run(on handle: PlatformHandle) async throws {
            do {
                let report = try handle.platform.auditLog.report(month: month)
                try writeOutput(Data(((format == "json" ? report.json : report.markdown) + "\n").utf8), to: output)
            } catch let error as AuditError {
                printError(error.message)
                throw ExitCode(2)
            }
        }
    }
}

/// `#12  2026-11-03 10:22:01  disdukcapil  key:3f9a (staff)  tool.call  disdukcapil.syarat/cek_syarat  ok  12ms  n=1`
func readableLine(_ record: AuditRecord) -> String {
    let e = record.event
    let time = DateFormatter()
    time.dateFormat = "yyyy-MM-dd HH:mm:ss"
    time.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
    var outcome = e.outcome.name
    if let code = e.outcome.code, !code.isEmpty { outcome += "(\(code))" }
    let ms = e.durationMicros >= 1000 ? "\(e.durationMicros / 1000)ms" : "\(e.durationMicros)µs"
    let fields = e.fields.keys.sorted().map { key -> String in
        let value = e.fields[key]!.replacingOccurrences(of: "\n", with: "\\n")
        return "\(key)=\(value.count > 40 ? String(value.prefix(40)) + "…" : value)"
    }.joined(separator: " ")
    return ["#\(record.seq)", time.string(from: e.timestamp), e.actor.department.isEmpty ? "-" : e.actor.department,
            "\(e.actor.principalID) (\(e.actor.role.isEmpty ? "-" : e.actor.role))", e.action, e.target.isEmpty ? "-" : e.target,
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
