import Foundation
import SamarindaAudit
import SamarindaCore

private let auditUsage = "audit tail [N] [--department D] [--action A] | audit verify | audit report [YYYY-MM]"

extension ConsoleCommand {
    static let audit = ConsoleCommand(
        name: "audit", usage: auditUsage,
        summary: "read, verify and summarise the audit trail",
        help: "verify recomputes every hash, the chain and every signed checkpoint, and names the first bad event; it fails (exit 1 with -c) exactly when 'samarinda audit verify' does.",
        complete: { console, index, words in
            switch index {
            case 0: return ["tail", "verify", "report"]
            case 1 where words.first == "tail": return ["--department", "--action"]
            case 2 where words.dropFirst().first == "--department": return console.backend.platform?.config.departments.map(\.id) ?? []
            default: return []
            }
        }
    ) { console, args in
        guard let sub = args.words.first else { throw ConsoleError("usage: \(auditUsage)") }
        var options: [String: String] = [:]
        var positional: [String] = []
        var words = args.words.dropFirst().makeIterator()
        while let w = words.next() {
            if w.hasPrefix("--") {
                guard let v = words.next() else { throw ConsoleError("\(w) needs a value") }
                options[String(w.dropFirst(2))] = v
            } else {
                positional.append(w)
            }
        }
        switch sub {
        case "tail":
            let limit = positional.first.flatMap(Int.init) ?? 20
            let rows: [[String]]
            switch console.backend {
            case .local(let p):
                rows = try p.auditLog.tail(limit: limit, department: options["department"], action: options["action"]).map { r in
                    let e = r.event
                    return [String(r.seq), shortDate(e.timestamp), e.actor.displayName, e.actor.department, e.action, e.target, e.outcome.code.map { "\(e.outcome.name):\($0)" } ?? e.outcome.name]
                }
            case .remote(let r):
                var path = "/v1/audit?limit=\(limit)"
                for (k, v) in options { path += "&\(k)=\(v.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? v)" }
                let page = try await r.call("GET", path) as? [String: Any]
                rows = (page?["data"] as? [[String: Any]] ?? []).map { e in
                    [String(describing: e["seq"] ?? ""), e["time"] as? String ?? "", e["principal"] as? String ?? "", e["department"] as? String ?? "",
                     e["action"] as? String ?? "", e["target"] as? String ?? "", e["outcome"] as? String ?? ""]
                }
            }
            if rows.isEmpty { return .ok("No audit events match.") }
            return .ok(console.style.fit(TextTable(["SEQ", "TIME (WITA)", "PRINCIPAL", "DEPT", "ACTION", "TARGET", "OUTCOME"], rows).render(),
                                         hint: "use 'audit tail N' with a smaller N or filter with --department/--action"))
        case "verify":
            switch console.backend {
            case .local(let p):
                let verdict = try p.auditLog.verify()
                return verdict.status == .verified ? .ok(console.style.ok(verdict.description)) : .failure(console.style.error(verdict.description))
            case .remote(let r):
                let v = try await r.call("GET", "/v1/audit/verify") as? [String: Any] ?? [:]
                let summary = v["summary"] as? String ?? ""
                return (v["ok"] as? Bool) == true ? .ok(console.style.ok(summary)) : .failure(console.style.error(summary))
            }
        case "report":
            let month = positional.first ?? currentMonthWITA()
            switch console.backend {
            case .local(let p):
                // Verdict before data, as 'samarinda audit report' does: a report of an unverified trail fails.
                let verdict = try p.auditLog.verify()
                let markdown: String
                do { markdown = try p.auditLog.report(month: month, verdict: verdict).markdown } catch let e as AuditError { throw ConsoleError("\(e.message); use audit report YYYY-MM") }
                return verdict.status == .verified ? .ok(markdown) : .failure(markdown)
            case .remote(let r):
                let report = try await r.call("GET", "/v1/audit/report?month=\(month)")
                let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
                return .ok(String(decoding: data, as: UTF8.self))
            }
        default:
            throw ConsoleError("unknown audit command '\(sub)'; usage: \(auditUsage)")
        }
    }
}

func currentMonthWITA() -> String {
    let f = DateFormatter()
    f.dateFormat = "yyyy-MM"
    f.timeZone = TimeZone(identifier: "Asia/Makassar")
    return f.string(from: Date())
}
