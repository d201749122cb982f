import ArgumentParser
import Foundation
import SamarindaCore
import SamarindaPDP

/// `samarinda pdp …`: the data protection officer's tools (UU 27/2022), see docs/PDP.md.
struct PdpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pdp",
        abstract: "Personal data protection (UU 27/2022): record of processing, data subject requests, retention, breach notices.",
        subcommands: [Register.self, Request.self, Retention.self, Incident.self]
    )

    /// Prints `value` as indented JSON with sorted keys.
    static func printJSON(_ value: some Encodable) throws {
        print(String(decoding: try SnakeCaseJSON.encoder(pretty: true).encode(value), as: UTF8.self))
    }

    /// Runs `body` on an opened platform, turning the module's errors into one line and exit 1
    /// (exit 2 for bad arguments).
    static func run(_ options: ConfigOptions, _ body: (PDPService, Principal) async throws -> Void) async throws {
        try await CLIPlatform.run(options) { handle in
            do {
                try await body(handle.platform.pdp, handle.operatorPrincipal)
            } catch let e as PDPError {
                printError(e.message)
                throw ExitCode(e.kind == .invalidArgument ? 2 : 1)
            }
        }
    }

    /// A `pdp` subcommand that works out one result as the operator (`PdpCommand.run`) and prints it:
    /// as JSON with `--json`, else for a person (`printText`).
    protocol ResultCommand: AsyncParsableCommand {
        associatedtype Output: Encodable
        var options: ConfigOptions { get }
        var json: Bool { get }
        func result(_ pdp: PDPService, by principal: Principal) async throws -> Output
        func printText(_ output: Output)
    }

    struct Register: ResultCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the record of processing activities (Pasal 31), generated from plugin manifests, providers, collections and config.")
        @OptionGroup var options: ConfigOptions
        @Flag(help: "Print JSON instead of Markdown.") var json = false

        func result(_ pdp: PDPService, by _: Principal) throws -> ProcessingRegister { try pdp.register() }
        func printText(_ register: ProcessingRegister) { print(register.markdown) }
    }

    struct Request: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Data subject requests: access, erasure, restriction (answered within 3 × 24 hours).",
            subcommands: [Open.self, List.self, Show.self, Lift.self])

        struct Open: ResultCommand {
            static let configuration = CommandConfiguration(
                abstract: "Find everything held about a person and print the access report; with --erase or --restrict, act on it.",
                discussion: """
                    Looks in conversations, document chunks (every version), plugin key/values and the audit trail \
                    (through keyed digests of the identifiers). Numbers match only as a whole: a look-alike with one \
                    digit more or another digit is somebody else. The request is kept with the subject masked and \
                    without content; the lookup, erasure or restriction is an audit event.
                    """)
            @OptionGroup var options: ConfigOptions
            @Option(help: "Who the request is about: an identifier with or without its label (\"NIK 6472…\"), a telephone number or a full name.")
            var subject: String
            @Option(help: "The person's full name, looked for as whole words.") var name: String?
            @Option(help: "The person's telephone number, in any usual form.") var phone: String?
            @Flag(help: "Erase what is found from conversations, documents (chunks, index, embeddings) and plugin values.") var erase = false
            @Flag(help: "Withhold what is found from search, model context, documents, conversations and plugins, keeping it ('pdp request lift ID' puts it back).") var restrict = false
            @Flag(help: "Print the report as JSON.") var json = false

            func validate() throws {
                if erase && restrict { throw ValidationError("give --erase or --restrict, not both") }
            }

            func result(_ pdp: PDPService, by principal: Principal) async throws -> AccessReport {
                let person = try DataSubject(subject: subject, name: name, phone: phone)
                return try await pdp.openRequest(person, kind: erase ? .erase : restrict ? .restrict : .access, by: principal)
            }

            func printText(_ report: AccessReport) { print(report.markdown) }
        }

        struct List: ResultCommand {
            static let configuration = CommandConfiguration(abstract: "List data subject requests with their status and due time.")
            @OptionGroup var options: ConfigOptions
            @Flag(help: "Print JSON instead of a table.") var json = false

            func result(_ pdp: PDPService, by _: Principal) throws -> [AccessReport] {
                try pdp.requests().map { r in var r = r; r.items = []; return r }
            }

            func printText(_ requests: [AccessReport]) {
                if requests.isEmpty { return print("No data subject requests yet. Open one with: samarinda pdp request open --subject \"NIK …\"") }
                print(TextTable(["ID", "KIND", "STATUS", "SUBJECT", "OPENED", "DUE", "COMPLETED", "ITEMS"],
                                requests.map { [String($0.requestID), $0.kind, $0.status, $0.subject, $0.openedAt, $0.dueAt, $0.completedAt ?? "-",
                                                String($0.counts.values.reduce(0, +))] }).render())
            }
        }

        struct Show: ResultCommand {
            static let configuration = CommandConfiguration(abstract: "Show one request's report (locations, purposes, providers; never content).")
            @OptionGroup var options: ConfigOptions
            @Argument(help: "The request id (see 'pdp request list').") var id: Int64
            @Flag(help: "Print JSON instead of Markdown.") var json = false

            func result(_ pdp: PDPService, by _: Principal) throws -> AccessReport { try pdp.request(id: id) }
            func printText(_ report: AccessReport) { print(report.markdown) }
        }

        struct Lift: ResultCommand {
            static let configuration = CommandConfiguration(
                abstract: "Lift a restriction: put back exactly what that --restrict request withheld (search, documents, conversations, plugin values).")
            @OptionGroup var options: ConfigOptions
            @Argument(help: "The id of the restriction request (see 'pdp request list').") var id: Int64
            @Flag(help: "Print JSON.") var json = false

            func result(_ pdp: PDPService, by principal: Principal) async throws -> LiftReport {
                try await pdp.liftRestriction(request: id, by: principal)
            }

            func printText(_ lifted: LiftReport) {
                let counts = lifted.restored.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                print("restriction of request #\(id) lifted at \(lifted.liftedAt); put back: \(counts)")
                for line in lifted.notRestored { print("not put back: \(line)") }
            }
        }
    }

    struct Retention: ResultCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what [retention] makes due now (a dry run), or delete it with --apply (each deletion audited).")
        @OptionGroup var options: ConfigOptions
        @Flag(help: "Delete what is due instead of listing it.") var apply = false
        @Flag(help: "Print JSON instead of a table.") var json = false

        func result(_ pdp: PDPService, by principal: Principal) async throws -> [RetentionItem] {
            apply ? try await pdp.applyRetention(by: principal) : try pdp.retentionPlan()
        }

        func printText(_ items: [RetentionItem]) {
            if items.isEmpty { return print(apply ? "Nothing was due: nothing deleted." : "Nothing is due under [retention].") }
            print(TextTable(["KIND", "WHERE", "SINCE", "DUE SINCE"], items.map { [$0.kind.rawValue, $0.location, $0.since, $0.dueSince] }).render())
            print(apply ? "deleted \(items.count) item(s); each is a pdp.retention.delete audit event" : "dry run: \(items.count) item(s) due; run with --apply to delete them")
        }
    }

    struct Incident: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Personal data breaches: record one (3 × 24 h clock), list them, print the written notices (Pasal 46).",
            subcommands: [Open.self, List.self, Notice.self, Close.self])

        struct Open: ResultCommand {
            static let configuration = CommandConfiguration(
                abstract: "Record a breach; the audit trail between --since and discovery gives departments, data categories and subjects.")
            @OptionGroup var options: ConfigOptions
            @Option(help: "What happened and how (becomes 'bagaimana data pribadi terungkap' in the notices).") var description: String
            @Option(help: "When it was discovered (default now), e.g. 2026-11-30T08:00:00+08:00 or \"2026-11-30 08:00\" (WITA).") var discovered: String?
            @Option(help: "Start of the window the trail is read for (default 30 days before discovery).") var since: String?
            @Option(help: "Handling and recovery measures taken (Pasal 46 ayat 2 huruf c).") var measures: String?
            @Option(name: .customLong("department"), help: "Limit the assessment to this department (repeatable).") var departments: [String] = []
            @Flag(help: "Print JSON.") var json = false

            func result(_ pdp: PDPService, by principal: Principal) async throws -> SamarindaPDP.Incident {
                try await pdp.openIncident(description: description, measures: measures,
                                           discovered: try discovered.map(PDPService.parseTime), since: try since.map(PDPService.parseTime),
                                           departments: departments, by: principal)
            }

            func printText(_ incident: SamarindaPDP.Incident) {
                let a = incident.assessment
                print("incident #\(incident.id) opened; discovered \(incident.discoveredAt); notices due by \(incident.dueAt)")
                print("departments: \(a.departments.isEmpty ? "-" : a.departments.joined(separator: ", "))")
                print("data categories: \(a.categories.isEmpty ? "-" : a.categories.joined(separator: ", "))")
                print("subjects: \(a.subjects)\(a.subjectsEstimated ? " (at most; estimated from redaction counts)" : "") in \(a.events) event(s)")
                print("next: samarinda pdp incident notice \(incident.id)")
            }
        }

        struct List: ResultCommand {
            static let configuration = CommandConfiguration(abstract: "List incidents with their status and notice deadline.")
            @OptionGroup var options: ConfigOptions
            @Flag(help: "Print JSON instead of a table.") var json = false

            func result(_ pdp: PDPService, by _: Principal) throws -> [SamarindaPDP.Incident] { try pdp.incidents() }

            func printText(_ incidents: [SamarindaPDP.Incident]) {
                if incidents.isEmpty { return print("No incidents recorded.") }
                print(TextTable(["ID", "STATUS", "DISCOVERED", "DUE", "SUBJECTS", "DEPARTMENTS", "DESCRIPTION"],
                                incidents.map { [String($0.id), $0.status, $0.discoveredAt, $0.dueAt, String($0.assessment.subjects),
                                                 $0.assessment.departments.joined(separator: ","), String($0.description.prefix(60))] }).render())
            }
        }

        struct Notice: ResultCommand {
            static let configuration = CommandConfiguration(abstract: "Print the written notices in Bahasa Indonesia: to the data subjects and to the authority.")
            @OptionGroup var options: ConfigOptions
            @Argument(help: "The incident id (see 'pdp incident list').") var id: Int64
            @Flag(help: "Print JSON (each notice's fields and text).") var json = false

            func result(_ pdp: PDPService, by principal: Principal) async throws -> [BreachNotice] {
                try await pdp.notices(incident: id, by: principal)
            }

            func printText(_ notices: [BreachNotice]) { print(notices.map(\.text).joined(separator: "\n---\n\n")) }
        }

        struct Close: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Close an incident once its notices went out and handling is done.")
            @OptionGroup var options: ConfigOptions
            @Argument(help: "The incident id.") var id: Int64

            func run() async throws {
                try await PdpCommand.run(options) { pdp, principal in
                    let incident = try await pdp.closeIncident(id: id, by: principal)
                    print("incident #\(incident.id) \(incident.status) at \(incident.closedAt ?? "-")")
                }
            }
        }
    }
}

extension PdpCommand.ResultCommand {
    func run() async throws {
        try await PdpCommand.run(options) { pdp, principal in
            let output = try await result(pdp, by: principal)
            if json { try PdpCommand.printJSON(output) } else { printText(output) }
        }
    }
}
