import Foundation
import HTTPTypes
import Hummingbird
import SamarindaCore
import SamarindaDocuments
import SamarindaRuntime
import SamarindaServer

/// Who may open which page: each kind of page asks the platform's policy one question (the
/// API asks the same again on every call the page makes).
enum PageAccess {
    case anySignedIn, notAuditor, documentAdmins, auditorOnly
    /// The data protection officer's pages (and the city-wide admin's).
    case dpoOnly

    /// The policy question this page asks (nil: any signed-in user may open it).
    var action: AccessAction? {
        switch self {
        case .anySignedIn: nil
        case .notAuditor: .chat(classification: nil)
        case .documentAdmins: .fileDocument(classification: nil)
        case .auditorOnly: .openAuditorView
        case .dpoOnly: .runDataProtection
        }
    }

    /// Whether a principal of `role` may open the page (for navigation links; these questions depend on the role only).
    func allows(_ role: Role) -> Bool {
        guard let action else { return true }
        return Policy().decide(action, for: Principal(id: "nav", name: "nav", department: "", role: role, clearance: .sangatRahasia)).allowed
    }
}

struct PageRequest {
    let request: Request
    let context: ServerContext
    let principal: Principal
    let session: WebSession
    let lang: String
    var t: [String: String]
}

extension WebUI {
    public func addRoutes(to router: Router<ServerContext>) {
        addSignInRoutes(to: router)
        addChatRoutes(to: router)
        addPDPRoutes(to: router)
        router.get("/") { request, context in
            guard let principal = context.principal else { return Response.seeOther( "/signin") }
            return Response.seeOther( principal.role == .auditor ? "/audit" : principal.role == .dpo ? "/pdp" : "/chat")
        }
        router.get("/static/{file}") { request, context in
            guard let name = context.parameters.get("file"), let asset = self.views.assets[name] else {
                throw APIError.notFound("no such asset")
            }
            return Response(status: .ok, headers: [.contentType: asset.type, .cacheControl: "no-cache", .xContentTypeOptions: "nosniff"],
                            body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
        }
        router.get("/favicon.ico") { _, _ in Response.seeOther("/static/favicon.svg") }
        router.get("/tools") { request, context in
            try self.page(request, context, access: .notAuditor, active: "tools") { p in
                self.render(p, "tools", ["title": p.t["tools_title"] ?? ""])
            }
        }
        router.get("/documents") { request, context in
            try self.page(request, context, access: .documentAdmins, active: "documents") { p in
                let levels = Classification.allCases.filter { $0 <= p.principal.clearance }.map {
                    ["value": $0.name, "label": self.levelLabel($0, p.t), "selected": $0 == .biasa] as [String: Any]
                }
                return self.render(p, "documents", ["title": p.t["docs_title"] ?? "", "levels": levels,
                                                    "department": p.principal.department, "accept": DocumentFormat.acceptAttribute])
            }
        }
        router.get("/documents/{id}") { request, context in
            try self.page(request, context, access: .notAuditor, active: "documents") { p in
                let id = context.parameters.get("id") ?? ""
                return self.render(p, "document", ["title": p.t["doc_title"] ?? "", "document_id": id,
                                                   "chunk": request.uri.queryParameters.get("chunk") ?? ""])
            }
        }
        router.get("/audit") { request, context in
            try self.page(request, context, access: .auditorOnly, active: "audit") { p in
                let departments = self.platform.config.departments.map { ["id": $0.id, "name": $0.name] }
                let month = Self.monthFormatter.string(from: Date())
                // Verdict before data: verified here, on the server, and shown above the trail and the report.
                let verdict = try self.platform.auditLog.verify()
                let v: [String: Any] = ["paragraph": verdict.paragraph(p.lang == "en" ? .en : .id), "failed": verdict.status != .verified,
                                        "status": verdict.status.rawValue, "fingerprint": verdict.keyFingerprint,
                                        "tree_size": verdict.treeSize, "root": verdict.rootBase64]
                return self.render(p, "audit", ["title": p.t["audit_title"] ?? "", "departments": departments, "month": month, "verdict": v])
            }
        }
    }

    static let monthFormatter: DateFormatter = {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM"
        f.timeZone = TimeZone(identifier: "Asia/Makassar")
        f.locale = Locale(identifier: "en_US_POSIX")
        return f
    }()

    /// Runs a page for a signed-in principal whose role `access` allows; sends everyone else to the
    /// sign-in page (no session) or a refusal page (wrong role).
    func page(_ request: Request, _ context: ServerContext, access: PageAccess, active: String,
              _ body: (PageRequest) throws -> Response) throws -> Response {
        let lang = Self.language(of: request)
        guard context.principal != nil, let (_, session, principal) = try session(of: request) else {
            let hadCookie = request.cookies[Self.sessionCookie] != nil
            let next = request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
            var target = "/signin?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")
            if hadCookie { target += "&expired=1" }
            var headers = HTTPFields()
            if hadCookie { headers[.setCookie] = Self.cookieHeader(name: Self.sessionCookie, value: "", maxAge: 0, request: request) }
            return Response.seeOther( target, headers: headers)
        }
        let p = PageRequest(request: request, context: context, principal: principal, session: session, lang: lang, t: views.t(lang))
        p.context.logger.debug("page \(active)")
        if let action = access.action, case let decision = platform.policy.decide(action, for: principal), !decision.allowed {
            // The refusal is an event like any other (`access.deny`, via web); the page is not held up for it.
            let platform = self.platform, requestID = context.requestID
            Task { try? await platform.authorize(action, principal, via: .web, requestID: requestID) }
            let message = access == .auditorOnly ? p.t["refused_auditor_view"] : principal.role == .auditor ? p.t["refused_auditor_only"] : p.t["refused_role"]
            return render(p, "refused", ["title": p.t["refused_title"] ?? "", "message": message ?? ""], status: .forbidden, active: active)
        }
        return try body(p)
    }

    /// Renders a page with the layout's common data: the principal, navigation, CSRF token, strings.
    func render(_ p: PageRequest, _ template: String, _ data: [String: Any?], status: HTTPResponse.Status = .ok, active: String? = nil) -> Response {
        // Mustache shows a Swift nil as the text "nil" and treats it as true: absent values are left out.
        var context = data.compactMapValues(present)
        let role = p.principal.role
        context["signed_in"] = true
        context["csrf"] = p.session.csrfToken
        context["user"] = ["name": p.principal.name, "role": role.rawValue, "department": p.principal.department,
                           "department_name": platform.config.department(p.principal.department)?.name ?? p.principal.department,
                           "clearance": levelLabel(p.principal.clearance, p.t)]
        context["nav"] = ["chat": PageAccess.notAuditor.allows(role), "tools": PageAccess.notAuditor.allows(role),
                          "documents": PageAccess.documentAdmins.allows(role), "audit": PageAccess.auditorOnly.allows(role),
                          "pdp": PageAccess.dpoOnly.allows(role)]
        context["active_\(active ?? template)"] = true
        // A query value in the language links: encoded, so that a page's own `&` and `#` stay inside it.
        let back = p.request.uri.path + (p.request.uri.query.map { "?\($0)" } ?? "")
        context["back"] = back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"
        context["js_strings"] = views.scriptStrings(p.lang)
        return Response.page(views.render(template, context, lang: p.lang), status: status)
    }

    /// A value that is really there: Mustache shows an optional as "nil" even inside an `Any`.
    func present(_ value: Any?) -> Any? {
        guard let value else { return nil }
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first.flatMap { present($0.value) }
    }

    func levelLabel(_ level: Classification, _ t: [String: String]) -> String {
        t["level_\(level.name)"] ?? level.name
    }
}
