import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import SamarindaCore

/// The templates, static assets and interface strings, read once from the module's resources.
struct WebViews: Sendable {
    let library: MustacheLibrary
    /// Interface strings by language (`id`, `en`), from Resources/i18n/*.json.
    let strings: [String: [String: String]]
    /// Static assets by file name: bytes and content type.
    let assets: [String: (bytes: [UInt8], type: String)]

    static let languages = ["id", "en"]

    init(resources: URL) async throws {
        let templates = resources.appendingPathComponent("templates").path
        do {
            library = try await MustacheLibrary(directory: templates)
        } catch {
            throw WebError.resources("the web templates in \(templates) could not be read: \(error)")
        }
        var strings: [String: [String: String]] = [:]
        for lang in Self.languages {
            let file = resources.appendingPathComponent("i18n/\(lang).json")
            guard let data = try? Data(contentsOf: file),
                  let table = try? JSONDecoder().decode([String: String].self, from: data) else {
                throw WebError.resources("the interface strings \(file.path) are missing or not a JSON object of strings")
            }
            strings[lang] = table
        }
        self.strings = strings
        var assets: [String: (bytes: [UInt8], type: String)] = [:]
        let staticDir = resources.appendingPathComponent("static")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: staticDir.path)) ?? [] {
            guard let data = FileManager.default.contents(atPath: staticDir.appendingPathComponent(name).path) else { continue }
            let type = switch (name as NSString).pathExtension {
            case "css": "text/css; charset=utf-8"
            case "js": "text/javascript; charset=utf-8"
            case "svg": "image/svg+xml"
            case "png": "image/png"
            default: "application/octet-stream"
            }
            assets[name] = (Array(data), type)
        }
        self.assets = assets
    }

    /// Finds the resources folder: beside the executable (as SwiftPM installs the bundle), else the
    /// source tree (development builds). Not `Bundle.module`, which ends the process when missing.
    static func locateResources() throws -> URL {
        let bundleName = "samarinda_SamarindaWeb.resources"
        var candidates: [URL] = []
        if let env = ProcessInfo.processInfo.environment["SAMARINDA_WEB_RESOURCES"] { candidates.append(URL(fileURLWithPath: env)) }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent(bundleName).appendingPathComponent("Resources"))
        if let exe = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent() {
            candidates.append(exe.appendingPathComponent(bundleName).appendingPathComponent("Resources"))
        }
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources"))
        for c in candidates where FileManager.default.fileExists(atPath: c.appendingPathComponent("templates/layout.mustache").path) {
            return c
        }
        throw WebError.resources("the staff web's resources (\(bundleName)) were not found beside the samarinda binary; install the binary together with that folder, set SAMARINDA_WEB_RESOURCES, or set [server] web = false")
    }

    func t(_ lang: String) -> [String: String] { strings[lang] ?? strings["id"] ?? [:] }

    /// Renders `template` inside the layout. Every `{{value}}` is HTML-escaped by Mustache; the
    /// page body is inserted raw only because it is itself a rendered (escaped) template.
    func render(_ template: String, _ data: [String: Any], lang: String) -> String {
        var context = data
        context["t"] = t(lang)
        context["lang"] = lang
        context["lang_\(lang)"] = true
        let body = library.render(context, withTemplate: template) ?? "template \(template) missing"
        context["body"] = body
        return library.render(context, withTemplate: "layout") ?? body
    }

    /// The interface strings the page's script needs, as JSON safe to place inside a `<script type="application/json">`.
    func scriptStrings(_ lang: String) -> String {
        let table = t(lang).filter { $0.key.hasPrefix("js_") || $0.key.hasPrefix("level_") }
        let data = (try? JSONSerialization.data(withJSONObject: table, options: [.sortedKeys])) ?? Data("{}".utf8)
        // `<` as \u003c: the JSON can never close the script element it sits in.
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
    }
}

/// The web module's one error type.
enum WebError: Error, CustomStringConvertible {
    case resources(String)
    var description: String {
        switch self {
        case .resources(let m): m
        }
    }
}

extension Response {
    /// Headers every page carries: no inline script or style may run (so injected markup is inert),
    /// no framing, no sniffing, no caching of pages that show personal data.
    static func page(_ html: String, status: HTTPResponse.Status = .ok, extraHeaders: HTTPFields = [:]) -> Response {
        var headers = extraHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        headers[.xContentTypeOptions] = "nosniff"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func seeOther(_ location: String, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        // Every redirect of the web goes through here: whatever a caller passes, only a path on this site leaves.
        headers[.location] = WebUI.localPath(location) ?? "/"
        headers[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: headers)
    }
}
