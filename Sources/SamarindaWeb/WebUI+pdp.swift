import Foundation
import HTTPTypes
import Hummingbird
import SamarindaCore
import SamarindaPDP
import SamarindaServer

/// The data protection officer's pages (UU 27/2022): the record of processing, data subject requests
/// and incidents with their notices. Plain forms, rendered on the server; the work is `PDPService`'s.
extension WebUI {
    func addPDPRoutes(to router: Router<ServerContext>) {
        router.get("/pdp") { request, context in
            try self.page(request, context, access: .dpoOnly, active: "pdp") { p in try self.pdpHome(p) }
        }
        router.post("/pdp/requests") { request, context in
            let form = try await self.requireForm(request, context: context)
            // The work runs only for a DPO; `page` then renders it (or refuses everyone else).
            var outcome: Result<AccessReport, PDPError>?
            if let principal = context.principal, PageAccess.dpoOnly.allows(principal.role) {
                do {
                    let subject = try DataSubject(subject: form["subject"] ?? "", name: form["name"], phone: form["phone"])
                    let kind = RequestKind(rawValue: form["kind"] ?? "access") ?? .access
                    outcome = .success(try await self.platform.pdp.openRequest(subject, kind: kind, by: principal))
                } catch let e as PDPError { outcome = .failure(e) }
            }
            return try self.page(request, context, access: .dpoOnly, active: "pdp") { p in
                switch outcome {
                case .success(let report): return self.render(p, "pdp_request", self.requestData(report, p, fresh: true))
                case .failure(let e): return try self.pdpHome(p, requestError: e.message, status: .badRequest)
                case nil: return try self.pdpHome(p)
                }
            }
        }
        router.get("/pdp/requests/{id}") { request, context in
            try self.page(request, context, access: .dpoOnly, active: "pdp") { p in
                guard let id = Int64(context.parameters.get("id") ?? ""), let report = try? self.platform.pdp.request(id: id) else {
                    return self.render(p, "refused", ["title": p.t["pdp_not_found"] ?? "", "message": p.t["pdp_not_found"] ?? ""], status: .notFound, active: "pdp")
                }
                return self.render(p, "pdp_request", self.requestData(report, p, fresh: false))
            }
        }
        router.post("/pdp/incidents") { request, context in
            let form = try await self.requireForm(request, context: context)
            var outcome: Result<Incident, PDPError>?
            if let principal = context.principal, PageAccess.dpoOnly.allows(principal.role) {
                do {
                    let discovered = try (form["discovered"]?.nilIfBlank).map(PDPService.parseTime)
                    outcome = .success(try await self.platform.pdp.openIncident(description: form["description"] ?? "", measures: form["measures"],
                                                                                discovered: discovered, since: nil, by: principal))
                } catch let e as PDPError { outcome = .failure(e) }
            }
            return try self.page(request, context, access: .dpoOnly, active: "pdp") { p in
                switch outcome {
                case .success(let incident): return Response.seeOther("/pdp/incidents/\(incident.id)")
                case .failure(let e): return try self.pdpHome(p, incidentError: e.message, status: .badRequest)
                case nil: return try self.pdpHome(p)
                }
            }
        }
        // Viewing an incident is not producing its notices: the page shows the incident, and the notices
        // are produced (and recorded as `pdp.incident.notice`) only by the explicit POST below.
        router.get("/pdp/incidents/{id}") { request, context in
            try self.page(request, context, access: .dpoOnly, active: "pdp") { p in
                guard let id = Int64(context.parameters.get("id") ?? ""), let incident = try? self.platform.pdp.incident(id: id) else {
                    return self.render(p, "refused", ["title": p.t["pdp_not_found"] ?? "", "message": p.t["pdp_not_found"] ?? ""], status: .notFound, active: "pdp")
                }
                return self.render(p, "pdp_incident", self.incidentData(incident, []))
            }
        }
        router.post("/pdp/incidents/{id}/notice") { request, context in
            _ = try await self.requireForm(request, context: context)
            // Producing the notices is audited, so it happens only for a DPO (`page` refuses everyone else).
            var found: (Incident, [BreachNotice])?
            if let principal = context.principal, PageAccess.dpoOnly.allows(principal.role), let id = Int64(context.parameters.get("id") ?? ""),
               let incident = try? self.platform.pdp.incident(id: id) {
                found = (incident, try await self.platform.pdp.notices(incident: id, by: principal))
            }
            return try self.page(request, context, access: .dpoOnly, active: "pdp") { p in
                guard let (incident, notices) = found else {
                    return self.render(p, "refused", ["title": p.t["pdp_not_found"] ?? "", "message": p.t["pdp_not_found"] ?? ""], status: .notFound, active: "pdp")
                }
                return self.render(p, "pdp_incident", self.incidentData(incident, notices))
            }
        }
        router.post("/pdp/incidents/{id}/close") { request, context in
            _ = try await self.requireForm(request, context: context)
            let id = Int64(context.parameters.get("id") ?? "") ?? -1
            if let principal = context.principal, PageAccess.dpoOnly.allows(principal.role) {
                _ = try? await self.platform.pdp.closeIncident(id: id, by: principal)
            }
            return try self.page(request, context, access: .dpoOnly, active: "pdp") { _ in Response.seeOther("/pdp/incidents/\(id)") }
        }
    }

    func pdpHome(_ p: PageRequest, requestError: String? = nil, incidentError: String? = nil, status: HTTPResponse.Status = .ok) throws -> Response {
        let pdp = platform.pdp
        let register = try pdp.register()
        let now = Date()
        let requests = try pdp.requests().map { r -> [String: Any] in
            ["id": r.requestID, "kind": r.kind, "status": r.status, "subject": r.subject, "opened": r.openedAt, "due": r.dueAt,
             "items": r.counts.values.reduce(0, +)]
        }
        let incidents = try pdp.incidents().map { i -> [String: Any] in
            let overdue = i.status == "open" && (ISO8601DateFormatter().date(from: i.dueAt).map { $0 < now } ?? false)
            return ["id": i.id, "status": i.status, "discovered": i.discoveredAt, "due": i.dueAt, "subjects": i.assessment.subjects,
                    "description": String(i.description.prefix(80)), "overdue": overdue]
        }
        let activities = register.activities.map { a -> [String: Any] in
            ["tool": a.tool, "department": a.department, "purpose": a.purpose ?? "—",
             "data": a.personalData.map { a.specificData.contains($0) ? "\($0) (spesifik)" : $0 }.joined(separator: ", "),
             "basis": a.legalBasis ?? "—", "retention": a.retention ?? "—", "recipients": a.recipients.joined(separator: ", ")]
        }
        let providers = register.providers.map { ["name": $0.name, "kind": $0.kind, "external": $0.external, "level": $0.maxClassification,
                                                  "hosts": $0.hosts.joined(separator: ", ")] as [String: Any] }
        let collections = register.collections.map { ["name": $0.name, "department": $0.department, "documents": $0.documents,
                                                      "level": $0.highestClassification, "retention": $0.retention] as [String: Any] }
        return render(p, "pdp", ["title": p.t["pdp_title"] ?? "", "requests": requests, "incidents": incidents, "activities": activities,
                                 "providers": providers, "collections": collections, "warnings": register.warnings, "has_warnings": !register.warnings.isEmpty,
                                 "conversation_retention": register.conversationRetention, "controller": register.controller,
                                 "request_error": requestError, "incident_error": incidentError], status: status, active: "pdp")
    }

    func requestData(_ r: AccessReport, _ p: PageRequest, fresh: Bool) -> [String: Any?] {
        ["title": (p.t["pdp_request_title"] ?? "") + " #\(r.requestID)", "id": r.requestID, "kind": r.kind, "status": r.status,
         "subject": r.subject, "opened": r.openedAt, "due": r.dueAt, "completed": r.completedAt, "earliest": r.earliest ?? "—",
         "purposes": r.purposes, "providers": r.providers.isEmpty ? "—" : r.providers.joined(separator: ", "), "fresh": fresh,
         "count": r.items.count, "empty": r.items.isEmpty,
         "items": r.items.map { i -> [String: Any] in
             ["kind": i.kind.rawValue, "location": i.location, "department": i.department.isEmpty ? "—" : i.department, "since": i.since,
              "purpose": i.purpose, "action": i.action ?? "—", "content": i.content ?? ""]
         }]
    }

    func incidentData(_ i: Incident, _ notices: [BreachNotice]) -> [String: Any?] {
        ["title": "Insiden #\(i.id)", "id": i.id, "status": i.status, "open": i.status == "open", "description": i.description,
         "measures": i.measures, "discovered": i.discoveredAt, "due": i.dueAt, "window": i.windowStart, "closed": i.closedAt,
         "departments": i.assessment.departments.isEmpty ? "—" : i.assessment.departments.joined(separator: ", "),
         "categories": i.assessment.categories.isEmpty ? "—" : i.assessment.categories.joined(separator: ", "),
         "subjects": i.assessment.subjects, "estimated": i.assessment.subjectsEstimated, "events": i.assessment.events,
         "notices": notices.map { ["recipient": $0.recipient, "text": $0.text] }]
    }
}

extension String {
    var nilIfBlank: String? { trimmingCharacters(in: .whitespaces).isEmpty ? nil : self }
}
