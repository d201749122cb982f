import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SamarindaCore
import Testing
import SamarindaAudit
import SamarindaRuntime
import SamarindaServer
@testable import SamarindaWeb

/// The service with the staff web mounted, on a loopback port with its own data folder, and one
/// web user of each role.
final class WebTestServer: @unchecked Sendable {
    static let password = "kopi-tubruk-pagi-hari"
    let dir: TemporaryDirectory
    let platform: Platform
    let web: WebUI
    private var task: Task<Void, any Error>?
    private(set) var port = 0

    init(configText: String = "", options: WebUI.Options = WebUI.Options()) async throws {
        dir = try TemporaryDirectory(prefix: "samarinda-web")
        let text = """
            [storage]
            path = "\(dir.path)/data/samarinda.db"
            synchronous = "normal"
            [plugins]
            dir = "\(dir.path)/Plugins"
            [documents]
            seed_dir = ""
            \(configText)
            """
        let config = try SamarindaConfig.parse(text, file: "test.toml")
        platform = try await Platform.open(config: config)
        web = try await WebUI(platform: platform, options: options)
        // Same table and code path as platform.users, with a cheap scrypt cost: verification reads the
        // cost from each stored hash, so sign-ins of these users stay fast.
        let users = UserStore(database: platform.database, config: config, audit: platform.audit, hasher: .fastForTests)
        for (name, department, role) in [("siti", "dinkes", Role.staff), ("budi", "dinkes", .staff), ("dina", "bapenda", .deptAdmin),
                                         ("indra", "inspektorat", .auditor)] {
            _ = try await users.create(name: name, department: department, role: role, password: Self.password)
        }
        let service = SamarindaService(platform: platform, extensions: [web])
        (port, task) = await service.startInBackground()
    }

    func stop() async {
        task?.cancel()
        _ = try? await task?.value
        try? await platform.close()
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The audit events with this action, oldest first, as the trail stored them.
    func events(_ action: String) -> [AuditEvent] {
        ((try? platform.auditLog.tail(limit: 10_000, action: action)) ?? []).map(\.event)
    }
}

/// A browser-like client over real HTTP that keeps its own cookies and never follows redirects,
/// so that tests see every Set-Cookie and Location.
final class Browser: @unchecked Sendable {
    let server: WebTestServer
    var cookies: [String: String] = [:]
    private let session: URLSession

    struct Reply {
        let status: Int
        let headers: [String: String]
        let setCookies: [String]
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var location: String? { headers["location"] }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        func cookie(_ name: String) -> String? { setCookies.first { $0.hasPrefix(name + "=") } }
    }

    init(_ server: WebTestServer) {
        self.server = server
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }

    @discardableResult
    func request(_ method: String, _ path: String, form: [String: String]? = nil, json: Any? = nil,
                 headers: [String: String] = [:], keepCookies: Bool = true) async throws -> Reply {
        var request = URLRequest(url: URL(string: server.baseURL + path)!)
        request.httpMethod = method
        request.timeoutInterval = 30
        if !cookies.isEmpty {
            request.setValue(cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; "), forHTTPHeaderField: "Cookie")
        }
        if let form {
            request.httpBody = Data(form.map { "\(Self.escape($0.key))=\(Self.escape($0.value))" }.joined(separator: "&").utf8)
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        }
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (k, v) in http.allHeaderFields { fields[String(describing: k).lowercased()] = String(describing: v) }
        // Several Set-Cookie headers arrive joined with ", "; ours never contain a comma.
        let setCookies = fields["set-cookie"].map { $0.components(separatedBy: ", ") } ?? []
        if keepCookies {
            for c in setCookies {
                let pair = c.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(pair[0]), value = pair.count > 1 ? String(pair[1]) : ""
                if value.isEmpty || c.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
            }
        }
        return Reply(status: http.statusCode, headers: fields, setCookies: setCookies, body: data)
    }

    /// Signs in through the form as a person would: fetch the page, post its token back.
    @discardableResult
    func signIn(_ user: String, password: String = WebTestServer.password, headers: [String: String] = [:]) async throws -> Reply {
        let page = try await request("GET", "/signin")
        let token = try #require(Self.hiddenField("signin_token", in: page.text))
        return try await request("POST", "/signin", form: ["signin_token": token, "username": user, "password": password], headers: headers)
    }

    /// The CSRF token of the current session, as the page carries it.
    func csrf() async throws -> String {
        let page = try await request("GET", "/chat")
        return try #require(Self.meta("csrf-token", in: page.text) ?? Self.hiddenField("csrf", in: page.text))
    }

    static func hiddenField(_ name: String, in html: String) -> String? {
        guard let r = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(html[r.upperBound...].prefix { $0 != "\"" })
    }

    static func meta(_ name: String, in html: String) -> String? {
        guard let r = html.range(of: "<meta name=\"\(name)\" content=\"") else { return nil }
        return String(html[r.upperBound...].prefix { $0 != "\"" })
    }

    static func escape(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}

final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
