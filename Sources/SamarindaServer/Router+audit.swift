import Foundation
import HTTPTypes
import Hummingbird
import SamarindaAudit
import SamarindaCore

extension SamarindaService {
    /// The audit trail for the Inspektorat (auditor) and city-wide admins: events with filters,
    /// verification with the last signed checkpoint, and the monthly transparency report.
    func addAuditRoutes(to router: Router<ServerContext>) {
        let audit = router.guarded("/v1/audit", by: .readAuditTrail, platform)
        let log = platform.auditLog
        audit.get { request, context in
            let q = request.uri.queryParameters
            let limit = try request.queryInt("limit", in: 1...1000, default: 100)
            var since: Date?
            if let from = q["from"].map(String.init), !from.isEmpty {
                guard let d = parseDay(from) else { throw APIError.badRequest("invalid_date", "from must be YYYY-MM-DD or an ISO 8601 time, e.g. 2026-11-01") }
                since = d
            }
            var until: Date?
            if let to = q["to"].map(String.init), !to.isEmpty {
                guard let d = parseDay(to) else { throw APIError.badRequest("invalid_date", "to must be YYYY-MM-DD or an ISO 8601 time, e.g. 2026-11-30") }
                until = d.addingTimeInterval(to.count == 10 ? 86_400 : 0)
            }
            if let outcome = q["outcome"].map(String.init), !outcome.isEmpty, !["ok", "denied", "error"].contains(outcome) {
                throw APIError.badRequest("invalid_outcome", "outcome must be ok, denied or error")
            }
            func param(_ name: String) -> String? { q[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
            var records: [AuditRecord]
            if let subject = param("subject") {
                // Every event that mentioned this identifier (a NIK…), whatever else it held; the lookup is audited.
                do {
                    records = try await log.findSubject(subject, by: try context.requirePrincipal(), limit: limit, requestID: context.requestID)
                } catch let error as AuditError where error.kind == .invalidArgument {
                    throw APIError.badRequest("invalid_subject", error.message)
                }
                records = records.filter { r in
                    (param("department").map { r.event.actor.department == $0 } ?? true) && (param("action").map { r.event.action == $0 } ?? true)
                        && (param("outcome").map { r.event.outcome.name == $0 } ?? true) && (since.map { r.event.timestamp >= $0 } ?? true)
                }
            } else {
                records = try log.tail(limit: limit, department: param("department"), action: param("action"),
                                       outcome: param("outcome"), since: since, containing: param("containing"))
            }
            if let until { records = records.filter { $0.event.timestamp < until } }
            let items = records.map(AuditRecordJSON.init)
            let data = try JSONEncoder.sorted.encode(AuditPage(object: "list", data: items, total: try log.count()))
            return jsonResponse(bytes: data)
        }
        audit.get("verify") { request, context in
            let verdict = try log.verify()
            let last = try log.checkpoints().last
            let lang = VerdictLanguage(rawValue: request.uri.queryParameters["lang"].map(String.init) ?? "id") ?? .id
            var body: [String: Any] = [
                "ok": verdict.ok, "status": verdict.status.rawValue, "events_checked": verdict.eventsChecked, "checkpoints_checked": verdict.checkpointsChecked,
                "tree_size": verdict.treeSize, "signed_size": verdict.signedSize, "unsigned_events": verdict.unsignedEvents,
                "public_key": log.publicKey, "fingerprint": verdict.keyFingerprint, "root": verdict.rootBase64,
                "missing_triggers": verdict.missingTriggers, "summary": verdict.paragraph(lang),
            ]
            if let problem = verdict.problem {
                body["problem"] = ["seq": problem.seq, "kind": problem.kind.rawValue, "detail": problem.detail, "explanation": problem.kind.explanation]
            }
            if let last { body["last_checkpoint"] = ["tree_size": last.treeSize, "note": last.note] }
            return try jsonResponse(body)
        }
        // The keyed digest of a text (tool arguments as canonical JSON with "json": true), so an auditor
        // can find the events about a NIK with GET /v1/audit?containing=<digest>. Each lookup is audited.
        audit.post("digest") { request, context in
            let principal = try context.requirePrincipal()
            struct Body: Decodable { let text: String; let json: Bool? }
            let body = try await request.decode(as: Body.self, context: context)
            do {
                let digest = try await log.lookUpDigest(of: body.text, json: body.json == true, by: principal, requestID: context.requestID)
                return try jsonResponse(["digest": digest])
            } catch let error as AuditError where error.kind == .invalidArgument {
                throw APIError.badRequest("invalid_json", "with \"json\": true, \(error.message)")
            }
        }
        audit.get("receipt/{seq}") { _, context in
            let principal = try context.requirePrincipal()
            guard let seq = context.parameters.get("seq", as: Int64.self) else {
                throw APIError.badRequest("invalid_seq", "the event number must be a whole number, e.g. /v1/audit/receipt/42")
            }
            let receipt: AuditReceipt
            do {
                receipt = try await log.issueReceipt(seq: seq, to: principal, requestID: context.requestID)
            } catch let error as AuditError where error.kind == .invalidArgument {
                throw APIError.notFound(error.message, code: "no_such_event")
            }
            let data = try JSONEncoder.sorted.encode(receipt)
            return jsonResponse(bytes: data)
        }
        audit.get("report") { request, context in
            let month = request.uri.queryParameters["month"].map(String.init) ?? currentMonth()
            let report: TransparencyReport
            do {
                // Verdict before data: the report carries the verification it was read under.
                report = try log.report(month: month, verdict: try log.verify())
            } catch let e as AuditError {
                throw APIError.badRequest("invalid_month", "\(e.message); use month=YYYY-MM, e.g. month=2026-11")
            }
            let format = request.uri.queryParameters["format"].map(String.init) ?? "json"
            guard ["json", "markdown", ""].contains(format) else {
                throw APIError.badRequest("invalid_request", "format must be json or markdown; got '\(format.prefix(40))'")
            }
            let verdictHeader = HTTPField.Name("X-Audit-Verdict")!
            let status = report.verification?.status ?? "failed"
            if format == "markdown" {
                return Response(status: .ok, headers: [.contentType: "text/markdown; charset=utf-8", verdictHeader: status], body: .init(byteBuffer: ByteBuffer(string: report.markdown)))
            }
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", verdictHeader: status], body: .init(byteBuffer: ByteBuffer(string: report.json)))
        }
        addAuditorSelfServiceRoutes(to: router)
    }

    /// What the Inspektorat fetches without asking the operator: the public key (with its readable
    /// fingerprint and the chain after rotations), a fresh signed checkpoint to keep as a witness, and
    /// the export. Taking a checkpoint or an export is recorded.
    func addAuditorSelfServiceRoutes(to router: Router<ServerContext>) {
        let audit = router.guarded("/v1/audit", by: .readAuditTrail, platform)
        let log = platform.auditLog
        audit.get("key") { _, context in
            let key = log.verifierKey
            return try jsonResponse(["key": key.description, "fingerprint": key.fingerprint, "chain": try log.keyChain()])
        }
        audit.get("checkpoint") { _, context in
            let principal = try context.requirePrincipal()
            let checkpoint = try await log.checkpoint()
            try await log.record(AuditEvent(actor: AuditActor(principal), action: "audit.checkpoint", target: "tree:\(checkpoint.treeSize)",
                                            requestID: context.requestID))
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: checkpoint.note)))
        }
        audit.get("export") { request, context in
            let principal = try context.requirePrincipal()
            var since: Date?
            if let text = request.uri.queryParameters["since"].map(String.init), !text.isEmpty {
                guard let d = parseDay(text) else { throw APIError.badRequest("invalid_date", "since must be YYYY-MM-DD or an ISO 8601 time, e.g. 2026-11-01") }
                since = d
            }
            // Written to a private temporary file first (atomic, complete), then sent.
            let dir = try TemporaryDirectory(prefix: "samarinda-export")
            let path = dir.path + "/trail.jsonl"
            _ = try await log.export(since: since, to: path, by: principal, requestID: context.requestID)
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return Response(status: .ok, headers: [.contentType: "application/x-ndjson", .contentDisposition: "attachment; filename=\"samarinda-audit.jsonl\""],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}

struct AuditPage: Encodable {
    let object: String
    let data: [AuditRecordJSON]
    let total: Int64
}

/// `YYYY-MM-DD` (midnight WITA, the city's time) or a full ISO 8601 time.
func parseDay(_ text: String) -> Date? {
    if let d = ISO8601DateFormatter().date(from: text) { return d }
    let f = DateFormatter()
    f.dateFormat = "yyyy-MM-dd"
    f.timeZone = TimeZone(identifier: "Asia/Makassar")
    f.locale = Locale(identifier: "en_US_POSIX")
    return f.date(from: text)
}

func currentMonth() -> String {
    let f = DateFormatter()
    f.dateFormat = "yyyy-MM"
    f.timeZone = TimeZone(identifier: "Asia/Makassar")
    return f.string(from: Date())
}
