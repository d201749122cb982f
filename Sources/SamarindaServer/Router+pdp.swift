import Foundation
import HTTPTypes
import Hummingbird
import SamarindaCore
import SamarindaPDP

extension SamarindaService {
    /// The data protection officer's desk over HTTP (UU 27/2022; docs/PDP.md, "The DPO API"): the record
    /// of processing, data subject requests (access, erasure, restriction, lifting) and breach incidents
    /// with their notices. Every route asks the one policy for `runDataProtection`: a refusal is a 403
    /// with its `access.deny` event. The work, and its audit events, are `PDPService`'s, as for the CLI
    /// and the web desk.
    func addPDPRoutes(to router: Router<ServerContext>) {
        let dpo = router.guarded("/v1/pdp", by: .runDataProtection, platform)
        let pdp = platform.pdp
        dpo.get("register") { _, context in
            return try Self.pdpJSON(try pdp.register())
        }
        dpo.post("requests") { request, context in
            let principal = try context.requirePrincipal()
            struct Body: Decodable { let subject: String; let name: String?; let phone: String?; let kind: String? }
            let body = try await request.decode(as: Body.self, context: context)
            guard let kind = RequestKind(rawValue: body.kind ?? "access") else {
                throw APIError.badRequest("invalid_kind", "kind must be access, erase or restrict; got '\(String(body.kind?.prefix(40) ?? ""))'")
            }
            let subject = try DataSubject(subject: body.subject, name: body.name, phone: body.phone)
            // The answer holds the content found, once, for the subject's copy; the request is kept without it.
            return try Self.pdpJSON(try await pdp.openRequest(subject, kind: kind, by: principal), status: .created)
        }
        dpo.get("requests") { _, context in
            let requests = try pdp.requests().map { r in var r = r; r.items = []; return r }
            return try Self.pdpJSON(PDPList(data: requests))
        }
        dpo.get("requests/{id}") { _, context in
            return try Self.pdpJSON(try pdp.request(id: try Self.pdpID(context, "request")))
        }
        dpo.post("requests/{id}/lift") { _, context in
            let principal = try context.requirePrincipal()
            return try Self.pdpJSON(try await pdp.liftRestriction(request: try Self.pdpID(context, "request"), by: principal))
        }
        dpo.post("incidents") { request, context in
            let principal = try context.requirePrincipal()
            struct Body: Decodable { let description: String; let measures: String?; let discovered: String?; let since: String?; let departments: [String]? }
            let body = try await request.decode(as: Body.self, context: context)
            let incident = try await pdp.openIncident(description: body.description, measures: body.measures,
                                                      discovered: try body.discovered.flatMap { $0.isEmpty ? nil : $0 }.map(PDPService.parseTime),
                                                      since: try body.since.flatMap { $0.isEmpty ? nil : $0 }.map(PDPService.parseTime),
                                                      departments: body.departments ?? [], by: principal)
            return try Self.pdpJSON(incident, status: .created)
        }
        dpo.get("incidents") { _, context in
            return try Self.pdpJSON(PDPList(data: try pdp.incidents()))
        }
        dpo.get("incidents/{id}") { _, context in
            return try Self.pdpJSON(try pdp.incident(id: try Self.pdpID(context, "incident")))
        }
        // Producing the written notices is the explicit act the trail records (`pdp.incident.notice`).
        dpo.get("incidents/{id}/notice") { _, context in
            let principal = try context.requirePrincipal()
            return try Self.pdpJSON(PDPList(data: try await pdp.notices(incident: try Self.pdpID(context, "incident"), by: principal)))
        }
        dpo.post("incidents/{id}/close") { _, context in
            let principal = try context.requirePrincipal()
            return try Self.pdpJSON(try await pdp.closeIncident(id: try Self.pdpID(context, "incident"), by: principal))
        }
    }

    struct PDPList<T: Encodable>: Encodable {
        var object = "list"
        let data: [T]
    }

    private static func pdpID(_ context: ServerContext, _ what: String) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self), id > 0 else {
            throw APIError.badRequest("invalid_id", "the \(what) id is a whole number, e.g. /v1/pdp/\(what)s/3")
        }
        return id
    }

    private static func pdpJSON(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        jsonResponse(bytes: try SnakeCaseJSON.encoder().encode(value), status: status)
    }
}
