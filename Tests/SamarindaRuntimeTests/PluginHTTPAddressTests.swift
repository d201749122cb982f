import Foundation
import SamarindaCore
import SamarindaModels
import SamarindaPlugins
import SamarindaTestSupport
import Testing
@testable import SamarindaRuntime

/// `http:<host>` grants through the real libcurl client: a granted host name reaches public addresses
/// only (checked on the address connected to, after DNS); a grant naming an address reaches exactly it.
@Suite struct PluginHTTPAddressTests {
    static let server = """
    import http.server, sys, threading
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = ("halo " + self.headers.get("Host", "")).encode()
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
        def log_message(self, *a): pass
    s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    print(s.server_address[1], flush=True)
    threading.Thread(target=s.serve_forever, daemon=True).start()
    sys.stdin.read()
    """

    /// Calls `samarinda.http.get(url)` from a plugin granted `grant`; answers its body or its error.
    func fetch(_ url: String, grant: String) async throws -> JSONValue {
        let dir = try TemporaryDirectory(prefix: "samarinda-http")
        let folder = dir.path + "/Plugins/dinkes.web"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try """
        [plugin]
        id = "dinkes.web"
        name = "Web"
        version = "1.0.0"
        department = "dinkes"
        description = "fetches"
        host_api = "^1.0"
        capabilities = ["\(grant)"]
        [[tools]]
        name = "ambil"
        description = "fetch"
        allowed = ["*"]
        [tools.input_schema]
        type = "object"
        """.write(toFile: folder + "/plugin.toml", atomically: true, encoding: .utf8)
        try """
        return { ambil = function() local r, err = samarinda.http.get('\(url)') return { body = r and r.body, err = err } end }
        """.write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
        let platform = try await Platform.open(config: try SamarindaConfig.parse("""
            [storage]
            path = "\(dir.path)/data/samarinda.db"
            [plugins]
            dir = "\(dir.path)/Plugins"
            watch = false
            [plugins.grants."dinkes.web"]
            add = ["\(grant)"]
            """, file: "test.toml"))
        await platform.plugins.refresh()
        let staff = Principal(id: "key:t", name: "t", department: "dinkes", role: .staff, clearance: .biasa)
        let r = try await platform.plugins.invoke(plugin: "dinkes.web", tool: "ambil", arguments: [:], as: staff)
        try await platform.close()
        return r
    }

    @Test func aHostNameThatResolvesToLoopbackIsRefusedAtConnect() async throws {
        let s = try LoopbackScriptServer(source: Self.server)
        let r = try await fetch("http://localhost:\(s.port)/", grant: "http:localhost:\(s.port)")
        #expect(r["body"] == nil)
        #expect(r["err"]?.stringValue?.contains("only public addresses") == true, "\(r)")
    }

    @Test func aNumericHostNameForLoopbackIsRefusedAtConnect() async throws {
        let s = try LoopbackScriptServer(source: Self.server)
        let r = try await fetch("http://2130706433:\(s.port)/", grant: "http:2130706433:\(s.port)")
        #expect(r["err"]?.stringValue?.contains("only public addresses") == true, "\(r)")
    }

    @Test func aGrantNamingTheAddressReachesIt() async throws {
        let s = try LoopbackScriptServer(source: Self.server)
        let r = try await fetch("http://127.0.0.1:\(s.port)/", grant: "http:127.0.0.1:\(s.port)")
        #expect(r == ["body": .string("halo 127.0.0.1:\(s.port)")], "\(r)")
    }

    @Test(arguments: [
        ("127.0.0.1", false), ("127.255.0.9", false), ("10.1.2.3", false), ("172.16.0.1", false), ("172.31.255.255", false),
        ("192.168.1.1", false), ("169.254.169.254", false), ("0.0.0.0", false), ("100.64.0.1", false), ("198.18.0.1", false),
        ("224.0.0.1", false), ("255.255.255.255", false), ("192.0.0.8", false),
        ("::", false), ("::1", false), ("fe80::1", false), ("fc00::1", false), ("fd12:3456::1", false), ("ff02::1", false),
        ("::ffff:127.0.0.1", false), ("::ffff:10.0.0.1", false), ("::ffff:169.254.169.254", false), ("::127.0.0.1", false),
        ("64:ff9b::a9fe:a9fe", false), ("fec0::1", false), ("not an address", false), ("2130706433", false),
        ("8.8.8.8", true), ("172.32.0.1", true), ("100.128.0.1", true), ("203.0.113.9", true), ("2001:4860:4860::8888", true),
        ("::ffff:8.8.8.8", true),
    ])
    func addressClassification(_ address: String, _ isPublic: Bool) {
        #expect(HTTPClient.isPublicAddress(address) == isPublic)
    }
}
