import CLua
import Foundation
import SamarindaCore

// The host API given to plugins: the `samarinda` table. A function is put in
// the table only when its capability was granted, and every call checks the
// grant again here, so a plugin that reaches a function some other way still
// gets nothing. Host calls that wait (documents, models, HTTP, PII, audit)
// yield the plugin's coroutine; failures return `nil, message`.

enum HostFunction: Int32, CaseIterable {
    case caller = 1, print
    case logDebug, logInfo, logWarn, logError
    case jsonEncode, jsonDecode
    case docsSearch, docsGet
    case modelGenerate, modelChat
    case kvGet, kvSet, kvDelete, kvKeys, kvIncr
    case httpGet, httpPost, httpRequest
    case piiRedact
    case auditNote
    /// `plugin test` only (see SandboxEnvironment.toolCheck).
    case checkTool
    /// `samarinda.kv.update`, written in Lua (LuaSandbox.kvUpdateSource) over the two primitives
    /// after it, which plugins cannot reach by name.
    case kvUpdate, kvUpdateRead, kvUpdateSwap

    var group: String? {
        switch self {
        case .caller, .print, .checkTool, .kvUpdateRead, .kvUpdateSwap: nil
        case .logDebug, .logInfo, .logWarn, .logError: "log"
        case .jsonEncode, .jsonDecode: "json"
        case .docsSearch, .docsGet: "docs"
        case .modelGenerate, .modelChat: "model"
        case .kvGet, .kvSet, .kvDelete, .kvKeys, .kvIncr, .kvUpdate: "kv"
        case .httpGet, .httpPost, .httpRequest: "http"
        case .piiRedact: "pii"
        case .auditNote: "audit"
        }
    }

    var name: String {
        switch self {
        case .caller: "caller"
        case .print: "print"
        case .logDebug: "debug"
        case .logInfo: "info"
        case .logWarn: "warn"
        case .logError: "error"
        case .jsonEncode: "encode"
        case .jsonDecode: "decode"
        case .docsSearch: "search"
        case .docsGet: "get"
        case .modelGenerate: "generate"
        case .modelChat: "chat"
        case .kvGet: "get"
        case .kvSet: "set"
        case .kvDelete: "delete"
        case .kvKeys: "keys"
        case .kvIncr: "incr"
        case .httpGet: "get"
        case .httpPost: "post"
        case .httpRequest: "request"
        case .piiRedact: "redact"
        case .auditNote: "note"
        case .checkTool: "__check_tool"
        case .kvUpdate: "update"
        case .kvUpdateRead: "__kv_read"
        case .kvUpdateSwap: "__kv_swap"
        }
    }

    var qualifiedName: String { "samarinda." + (group.map { $0 + "." } ?? "") + name }

    /// Whether the function is put in the plugin's `samarinda` table.
    func isAvailable(_ grants: PluginGrants) -> Bool {
        switch self {
        case .caller, .print, .logDebug, .logInfo, .logWarn, .logError, .jsonEncode, .jsonDecode: true
        case .checkTool: false  // added by the sandbox only when the environment has a tool check
        case .kvUpdateRead, .kvUpdateSwap: false  // reachable only from kv.update's Lua code
        case .docsSearch, .docsGet: !grants.documentScopes.isEmpty
        case .modelGenerate: grants.has("model.generate")
        case .modelChat: grants.has("model.chat")
        case .kvGet, .kvSet, .kvDelete, .kvKeys, .kvIncr, .kvUpdate: grants.has("kv")
        case .httpGet, .httpPost, .httpRequest: grants.granted.contains { $0.hasPrefix("http:") }
        case .piiRedact: grants.has("pii.redact")
        case .auditNote: grants.has("audit.note")
        }
    }
}

extension LuaSandbox {
    /// Checks `capability` for the running call, recording its use (or the attempt) for the audit event.
    private func granted(_ capability: String) -> Bool {
        if environment.grants.has(capability) {
            current?.capabilitiesUsed.insert(capability)
            return true
        }
        current?.capabilitiesDenied.insert(capability)
        return false
    }

    private func notGranted(_ L: OpaquePointer, _ capability: String) -> Int32 {
        fail(L, "\(capability) is not granted to plugin \(environment.pluginID); ask the operator to add it under [plugins.grants.\"\(environment.pluginID)\"] in samarinda.toml")
    }

    private func stringArg(_ L: OpaquePointer, _ i: Int32) -> String? {
        lua_type(L, i) == LUA_TSTRING ? string(L, i) : nil
    }

    /// An options table as JSON (nil when absent), or why it is not one.
    private func optionsArg(_ L: OpaquePointer, _ i: Int32) -> Result<JSONValue?, ConversionError> {
        switch lua_type(L, i) {
        case LUA_TNONE, LUA_TNIL: return .success(nil)
        case LUA_TTABLE: do { return .success(try toJSON(L, i)) } catch { return .failure(error) }
        default: return .failure(ConversionError(message: "a table expected, got \(String(cString: clua_typename_at(L, i)))"))
        }
    }

    /// Headers that say where a request goes or who sends it: set by the host and libcurl only.
    static let reservedHeaders: Set<String> = [
        "host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer", "keep-alive", "expect",
        "proxy-authorization", "proxy-connection", "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
        "x-real-ip", "via",
    ]

    /// Whether `text` is an IPv4 or IPv6 address in its usual text form (not a host name, nor 2130706433).
    static func isIPAddress(_ text: String) -> Bool {
        var buffer = in6_addr()
        return inet_pton(AF_INET, text, &buffer) == 1 || inet_pton(AF_INET6, text, &buffer) == 1
    }

    /// A whole number within `range` (Lua integers and floats without a fraction), or nil. NaN, ±inf,
    /// 1e300, fractions and out-of-range values are the plugin's mistake, never a trap of the host.
    static func whole(_ value: JSONValue?, in range: ClosedRange<Int>) -> Int? {
        guard let d = value?.numberValue, let i = Int(exactly: d), range.contains(i) else { return nil }
        return i
    }

    /// Option `key` as a whole number in `range` (`fallback` when absent); a Lua error naming the option otherwise.
    private func wholeOption(_ options: JSONValue?, _ key: String, _ range: ClosedRange<Int>, fallback: Int?, _ fname: String) -> Result<Int?, ConversionError> {
        guard let v = options?[key], v != .null else { return .success(fallback) }
        guard let i = Self.whole(v, in: range) else {
            return .failure(ConversionError(message: "bad option '\(key)' to '\(fname)' (a whole number from \(range.lowerBound) to \(range.upperBound) expected, got \(v.jsonText))"))
        }
        return .success(i)
    }

    /// The Lua value at `i` as JSON for an error message (numbers such as inf and nan as Lua prints them).
    private func describe(_ L: OpaquePointer, _ i: Int32) -> String {
        if lua_type(L, i) == LUA_TNUMBER {
            if lua_isinteger(L, i) != 0 { return String(clua_tointeger(L, i)) }
            return "\(clua_tonumber(L, i))"
        }
        return String(cString: clua_typename_at(L, i))
    }

    func perform(_ f: HostFunction, _ L: OpaquePointer) -> Int32 {
        let fname = f.qualifiedName
        switch f {
        case .caller:
            guard let p = current?.context?.principal else { lua_pushnil(L); return 1 }
            pushJSON(L, ["id": .string(p.id), "name": .string(p.name), "department": .string(p.department),
                         "role": .string(p.role.rawValue), "clearance": .string(p.clearance.name)])
            return 1

        case .print, .logDebug, .logInfo, .logWarn, .logError:
            let message: String
            if let s = stringArg(L, 1) { message = s } else {
                do { message = try toJSON(L, 1).jsonText } catch { message = "(not printable: \(error.message))" }
            }
            let level = f == .print ? "info" : f.name
            environment.log?(PluginLogLine(pluginID: environment.pluginID, level: level, message: String(message.prefix(8192)),
                                           requestID: current?.context?.requestID))
            return 0

        case .jsonEncode:
            do { pushJSON(L, .string(try toJSON(L, 1).jsonText)); return 1 } catch { return fail(L, "json.encode: \(error.message)") }

        case .jsonDecode:
            guard let text = stringArg(L, 1) else { return raise(L, "bad argument #1 to '\(fname)' (string expected)") }
            guard let value = try? JSONValue.parse(text) else { return fail(L, "json.decode: not valid JSON") }
            pushJSON(L, value)
            return 1

        case .kvGet, .kvSet, .kvDelete, .kvKeys, .kvIncr, .kvUpdateRead, .kvUpdateSwap:
            return performKV(f, L)

        case .checkTool:
            guard let check = environment.toolCheck, let name = stringArg(L, 1), let phase = stringArg(L, 2) else {
                return raise(L, "samarinda.__check_tool(name, phase, value) is for plugin tests")
            }
            let value: JSONValue
            do { value = try toJSON(L, 3) } catch {
                return raise(L, phase == "output" ? "the handler returned a value that is not JSON: \(error.message)" : "the arguments are not JSON: \(error.message)")
            }
            switch check(name, phase, value) {
            case .success(let v): pushJSON(L, v); return 1
            case .failure(let e): return raise(L, "\(e.code): \(e.message)")
            }

        default:
            break
        }

        // Everything below waits on a service on behalf of a caller.
        guard let context = current?.context else {
            return fail(L, "\(fname) is not available while the plugin loads; call it from a tool handler")
        }
        let services = environment.services
        let remainingMillis = max(0, Int((current!.wallDeadline - clua_now_ns()) / 1_000_000))

        switch f {
        case .docsSearch:
            guard let query = stringArg(L, 1) else { return raise(L, "bad argument #1 to '\(fname)' (query string expected)") }
            let options: JSONValue?
            switch optionsArg(L, 2) {
            case .success(let o): options = o
            case .failure(let e): return raise(L, "bad argument #2 to '\(fname)' (options: \(e.message))")
            }
            let limit: Int
            switch wholeOption(options, "limit", 1...50, fallback: 5, fname) {
            case .success(let l): limit = l ?? 5
            case .failure(let m): return raise(L, m.message)
            }
            let scopes = environment.grants.documentScopes
            var wanted = scopes
            var collections: [String] = []
            for key in ["departments", "collections"] {
                guard let v = options?[key], v != .null else { continue }
                guard let list = v.arrayValue, list.allSatisfy({ $0.stringValue?.isEmpty == false }) else {
                    return raise(L, "bad option '\(key)' to '\(fname)' (a list of names expected, got \(v.jsonText.prefix(200)))")
                }
                let names = list.compactMap(\.stringValue)
                if key == "departments" { wanted = names; continue }
                // `collections` are collection names, as in passage.collection and `samarinda docs list`.
                // A name that is a department this plugin asked for (granted or not) keeps its old
                // meaning, so plugins written when `collections` took departments still work.
                let asked = Set(environment.grants.requested.filter { $0.hasPrefix("docs.search:") }.map { String($0.dropFirst("docs.search:".count)) })
                let departments = names.filter { asked.contains($0) }
                collections = names.filter { !asked.contains($0) }
                if !departments.isEmpty && options?["departments"] == nil { wanted = departments }
            }
            for scope in wanted where !granted("docs.search:\(scope)") { return notGranted(L, "docs.search:\(scope)") }
            var search = PluginSearchRequest(context: context, query: query, departments: wanted, limit: limit)
            search.collections = collections
            let request = search
            let pluginID = environment.pluginID, chosen = collections, searched = wanted
            return wait(L, fname) {
                do {
                    let passages = try await services.searchDocuments(request)
                        .filter { $0.classification <= context.classification }
                    return [.array(passages.map { p in
                        ["document_id": .number(Double(p.documentID)), "chunk_id": .number(Double(p.chunkID)),
                         "collection": .string(p.collection), "title": .string(p.title), "section": .string(p.section),
                         "text": .string(p.text), "classification": .string(p.classification.name), "score": .number(p.score),
                         "citation": .string(p.citationLabel)]
                    })]
                } catch where !chosen.isEmpty {
                    return [.null, .string("docs.search failed: \(error). `collections` takes collection names (passage.collection, `samarinda docs list`) "
                        + "owned by the departments this plugin may search (\(searched.map { "docs.search:" + $0 }.joined(separator: ", "))); "
                        + "for another department's collection the operator adds docs.search:<that department> under [plugins.grants.\"\(pluginID)\"] in samarinda.toml")]
                } catch {
                    return [.null, .string("docs.search failed: \(error)")]
                }
            }

        case .docsGet:
            guard lua_type(L, 1) == LUA_TNUMBER, lua_isinteger(L, 1) != 0 else { return raise(L, "bad argument #1 to '\(fname)' (document id expected)") }
            let id = Int64(clua_tointeger(L, 1))
            let scopes = environment.grants.documentScopes
            for scope in scopes { _ = granted("docs.search:\(scope)") }
            let request = PluginDocumentRequest(context: context, documentID: id, departments: scopes)
            return wait(L, fname) {
                do {
                    guard let d = try await services.document(request), d.classification <= context.classification else {
                        return [.null, .string("document \(id) not found")]
                    }
                    return [["id": .number(Double(d.id)), "collection": .string(d.collection), "title": .string(d.title),
                             "classification": .string(d.classification.name), "text": .string(d.text)]]
                } catch {
                    return [.null, .string("docs.get failed: \(error)")]
                }
            }

        case .modelGenerate, .modelChat:
            let capability = f == .modelGenerate ? "model.generate" : "model.chat"
            guard granted(capability) else { return notGranted(L, capability) }
            let options: JSONValue?
            switch optionsArg(L, 2) {
            case .success(let o): options = o
            case .failure(let e): return raise(L, "bad argument #2 to '\(fname)' (options: \(e.message))")
            }
            let maxTokens: Int?
            switch wholeOption(options, "max_tokens", 1...PluginModelRequest.maxTokensLimit, fallback: nil, fname) {
            case .success(let m): maxTokens = m
            case .failure(let m): return raise(L, m.message)
            }
            var temperature: Double?
            if let t = options?["temperature"], t != .null {
                guard let d = t.numberValue, d.isFinite, (0...2).contains(d) else {
                    return raise(L, "bad option 'temperature' to '\(fname)' (a number from 0 to 2 expected, got \(t.jsonText))")
                }
                temperature = d
            }
            var messages: [PluginChatMessage] = []
            if f == .modelGenerate {
                guard let prompt = stringArg(L, 1) else { return raise(L, "bad argument #1 to '\(fname)' (prompt string expected)") }
                if let system = options?["system"]?.stringValue { messages.append(PluginChatMessage(role: "system", content: system)) }
                messages.append(PluginChatMessage(role: "user", content: prompt))
            } else {
                let list: [JSONValue]
                do {
                    guard lua_type(L, 1) == LUA_TTABLE, let l = try toJSON(L, 1).arrayValue else {
                        return raise(L, "bad argument #1 to '\(fname)' (array of {role=..., content=...} expected)")
                    }
                    list = l
                } catch { return raise(L, "bad argument #1 to '\(fname)' (\(error.message))") }
                for m in list {
                    guard let role = m["role"]?.stringValue, ["system", "user", "assistant"].contains(role),
                          let content = m["content"]?.stringValue else {
                        return raise(L, "bad argument #1 to '\(fname)' (each message needs role = system|user|assistant and content = string)")
                    }
                    messages.append(PluginChatMessage(role: role, content: content))
                }
            }
            let request = PluginModelRequest(context: context, messages: messages, model: options?["model"]?.stringValue,
                                             maxTokens: maxTokens, temperature: temperature)
            return wait(L, fname) {
                do {
                    let r = try await services.generate(request)
                    return [["text": .string(r.text), "model": .string(r.model), "provider": .string(r.provider),
                             "usage": ["prompt_tokens": .number(Double(r.promptTokens)), "completion_tokens": .number(Double(r.completionTokens))]]]
                } catch {
                    return [.null, .string("\(capability) failed: \(error)")]
                }
            }

        case .httpGet, .httpPost, .httpRequest:
            var method = "GET", urlText: String?, body: String?, headers: [String: String] = [:]
            var options: JSONValue?
            switch f {
            case .httpGet:
                urlText = stringArg(L, 1)
                switch optionsArg(L, 2) {
                case .success(let o): options = o
                case .failure(let e): return raise(L, "bad argument #2 to '\(fname)' (options: \(e.message))")
                }
            case .httpPost:
                method = "POST"
                urlText = stringArg(L, 1)
                body = stringArg(L, 2)
                guard body != nil else { return raise(L, "bad argument #2 to '\(fname)' (body string expected)") }
                switch optionsArg(L, 3) {
                case .success(let o): options = o
                case .failure(let e): return raise(L, "bad argument #3 to '\(fname)' (options: \(e.message))")
                }
            default:
                guard lua_type(L, 1) == LUA_TTABLE else { return raise(L, "bad argument #1 to '\(fname)' ({method=..., url=...} expected)") }
                let o: JSONValue
                do { o = try toJSON(L, 1) } catch { return raise(L, "bad argument #1 to '\(fname)' (\(error.message))") }
                options = o
                if let b = o["body"], b != .null, b.stringValue == nil {
                    return raise(L, "bad argument #1 to '\(fname)' (body must be a string; use samarinda.json.encode for tables)")
                }
                method = (o["method"]?.stringValue ?? "GET").uppercased()
                urlText = o["url"]?.stringValue
                body = o["body"]?.stringValue
            }
            if let h = options?["headers"]?.objectValue { for (k, v) in h { if let s = v.stringValue { headers[k] = s } } }
            if let bad = headers.keys.first(where: { Self.reservedHeaders.contains($0.lowercased()) || $0.isEmpty
                || $0.contains { c in !c.isASCII || c == ":" || c.isWhitespace || c.isNewline } || headers[$0]!.contains(where: \.isNewline) }) {
                return raise(L, "bad header '\(bad.prefix(64))' to '\(fname)': the host sets Host, Content-Length, Connection and the forwarding headers itself, and header names and values may not hold line breaks")
            }
            guard ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"].contains(method) else { return fail(L, "http: method \(method) is not supported") }
            guard let urlText, let url = URL(string: urlText), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = url.host?.lowercased(), !host.isEmpty, url.user == nil, url.password == nil else {
                return fail(L, "http: '\(urlText ?? "")' is not an http(s) URL")
            }
            // The allowlist is checked here, before the request leaves: `http:<host>` for the scheme's
            // default port, `http:<host>:<port>` for any other (or the same) port.
            let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
            let grantHost = bare.contains(":") ? "[\(bare)]" : bare
            let defaultPort = scheme == "https" ? 443 : 80
            let port = url.port ?? defaultPort
            let byHost = "http:\(grantHost)", byPort = "http:\(grantHost):\(port)"
            let capability = port == defaultPort && !environment.grants.has(byPort) ? byHost : byPort
            guard granted(capability) else { return notGranted(L, capability) }
            // A grant naming an IP address reaches exactly it; a host name reaches public addresses only.
            let literal = Self.isIPAddress(bare)
            let timeout: Int
            switch wholeOption(options, "timeout_ms", 1...86_400_000, fallback: remainingMillis, fname) {
            case .success(let t): timeout = min(t ?? remainingMillis, remainingMillis)
            case .failure(let m): return raise(L, m.message)
            }
            var outgoing = PluginHTTPRequest(context: context, method: method, url: url, headers: headers, body: body, timeoutMillis: timeout)
            outgoing.publicAddressesOnly = !literal
            let request = outgoing
            return wait(L, fname) {
                do {
                    let r = try await services.http(request)
                    return [["status": .number(Double(r.status)), "headers": .object(r.headers.mapValues { .string($0) }), "body": .string(r.body)]]
                } catch {
                    return [.null, .string("http: \(error)")]
                }
            }

        case .piiRedact:
            guard granted("pii.redact") else { return notGranted(L, "pii.redact") }
            guard let text = stringArg(L, 1) else { return raise(L, "bad argument #1 to '\(fname)' (string expected)") }
            return wait(L, fname) {
                do {
                    let r = try await services.redact(text, context: context)
                    return [["text": .string(r.text), "counts": .object(r.counts.mapValues { .number(Double($0)) })]]
                } catch {
                    return [.null, .string("pii.redact failed: \(error)")]
                }
            }

        case .auditNote:
            guard granted("audit.note") else { return notGranted(L, "audit.note") }
            guard let message = stringArg(L, 1) else { return raise(L, "bad argument #1 to '\(fname)' (string expected)") }
            let options: JSONValue?
            switch optionsArg(L, 2) {
            case .success(let o): options = o
            case .failure(let e): return raise(L, "bad argument #2 to '\(fname)' (fields: \(e.message))")
            }
            var fields: [String: String] = ["message": String(message.prefix(2000)), "plugin_version": environment.pluginVersion]
            for (k, v) in options?.objectValue ?? [:] where fields.count < 32 {
                fields["note." + String(k.prefix(64))] = String((v.stringValue ?? v.jsonText).prefix(500))
            }
            let audit = environment.audit
            let event = AuditEvent(actor: AuditActor(context.principal), action: "plugin.note",
                                   target: "\(environment.pluginID).\(context.tool)", classification: context.classification,
                                   fields: fields, requestID: context.requestID)
            return wait(L, fname) {
                do { try await audit.record(event); return [.bool(true)] } catch { return [.null, .string("audit.note failed: \(error)")] }
            }

        default:
            return raise(L, "samarinda: unknown host function")
        }
    }

    /// A `kv.get` of a value a data protection restriction withholds (UU 27/2022): the plugin sees nil,
    /// exactly as for an absent key (it learns nothing about the person), and the read is an audit event
    /// `plugin.kv.withheld` naming the request and the key only by its keyed digest — once per key per
    /// call, so a plugin reading the key in a loop does not flood the trail.
    private func withheldRead(_ L: OpaquePointer, key: String, request: Int64) -> Int32 {
        guard current?.withheldKeys.insert(key).inserted ?? true else {
            lua_pushnil(L)
            return 1
        }
        let context = current?.context
        let event = AuditEvent(actor: context.map { AuditActor($0.principal) } ?? .anonymous, action: "plugin.kv.withheld",
                               target: "\(environment.pluginID).\(context?.tool ?? "load")", classification: context?.classification ?? .biasa,
                               fields: ["request": "request:\(request)", "key_digest": environment.audit.contentDigest(key)],
                               requestID: context?.requestID)
        let audit = environment.audit
        guard lua_isyieldable(L) != 0 else {
            // Inside a metamethod or comparator the call cannot wait: the event is recorded on its own.
            Task { try? await audit.record(event) }
            lua_pushnil(L)
            return 1
        }
        return wait(L, HostFunction.kvGet.qualifiedName) {
            try? await audit.record(event)
            return [.null]
        }
    }

    private func performKV(_ f: HostFunction, _ L: OpaquePointer) -> Int32 {
        let fname = f == .kvUpdateRead || f == .kvUpdateSwap ? HostFunction.kvUpdate.qualifiedName : f.qualifiedName
        guard granted("kv") else { return notGranted(L, "kv") }
        guard let kv = environment.kv else { return fail(L, "kv: no database is open") }
        let plugin = environment.pluginID
        do {
            switch f {
            case .kvKeys:
                let prefix = lua_type(L, 1) == LUA_TSTRING ? string(L, 1) : ""
                var limit = 1000
                switch lua_type(L, 2) {
                case LUA_TNONE, LUA_TNIL: break
                case LUA_TNUMBER:
                    let n: JSONValue = lua_isinteger(L, 2) != 0 ? .number(Double(clua_tointeger(L, 2))) : .number(clua_tonumber(L, 2))
                    guard lua_isinteger(L, 2) == 0 || (1...10_000).contains(clua_tointeger(L, 2)), let l = Self.whole(n, in: 1...10_000) else {
                        return raise(L, "bad argument #2 to '\(fname)' (a whole number from 1 to 10000 expected, got \(describe(L, 2)))")
                    }
                    limit = l
                default:
                    return raise(L, "bad argument #2 to '\(fname)' (number expected, got \(describe(L, 2)))")
                }
                pushJSON(L, .array(try kv.keys(plugin: plugin, prefix: prefix, limit: limit).map { .string($0) }))
                return 1
            default:
                guard let key = stringArg(L, 1), !key.isEmpty, key.utf8.count <= PluginKV.maxKeyBytes else {
                    return raise(L, "bad argument #1 to '\(fname)' (key string of 1–\(PluginKV.maxKeyBytes) bytes expected)")
                }
                switch f {
                case .kvGet:
                    if let value = try kv.get(plugin: plugin, key: key) {
                        pushJSON(L, value)
                        return 1
                    }
                    if let request = kv.withheld(plugin: plugin, key: key) { return withheldRead(L, key: key, request: request) }
                    lua_pushnil(L)
                    return 1
                case .kvIncr:
                    var delta: Int64 = 1
                    switch lua_type(L, 2) {
                    case LUA_TNONE, LUA_TNIL: break
                    case LUA_TNUMBER where lua_isinteger(L, 2) != 0: delta = Int64(clua_tointeger(L, 2))
                    case LUA_TNUMBER:
                        guard let d = Int64(exactly: clua_tonumber(L, 2)) else {
                            return raise(L, "bad argument #2 to '\(fname)' (a whole number expected, got \(describe(L, 2)))")
                        }
                        delta = d
                    default:
                        return raise(L, "bad argument #2 to '\(fname)' (number expected, got \(describe(L, 2)))")
                    }
                    do {
                        lua_pushinteger(L, lua_Integer(try kv.increment(plugin: plugin, key: key, by: delta)))
                        return 1
                    } catch let e as PluginError {
                        return raise(L, e.message)  // a counter that cannot count is a bug to see, not a nil to miss
                    }
                case .kvUpdateRead:
                    // The value, and the stored text that kv.update's swap compares against (false: absent).
                    do {
                        if let (value, text) = try kv.read(plugin: plugin, key: key) {
                            pushJSON(L, value)
                            pushJSON(L, .string(text))
                        } else {
                            lua_pushnil(L)
                            lua_pushboolean(L, 0)
                        }
                        return 2
                    } catch let e as PluginError {
                        return raise(L, "\(fname): \(e.message)")
                    }
                case .kvUpdateSwap:
                    let expected = lua_type(L, 2) == LUA_TSTRING ? string(L, 2) : nil
                    var value: JSONValue?
                    if lua_type(L, 3) != LUA_TNIL && lua_type(L, 3) != LUA_TNONE {
                        do { value = try toJSON(L, 3) } catch {
                            return raise(L, "\(fname): the function returned a value that cannot be stored (\(error.message))")
                        }
                    }
                    do {
                        let swapped = try kv.swap(plugin: plugin, key: key, expected: expected, value: value)
                        // Lost to another writer: wait a random 0.1–2 ms before kv.update reads again, so
                        // contenders that lost together do not retry in lock-step and lose together again.
                        if !swapped { usleep(UInt32.random(in: 100...2_000)) }
                        lua_pushboolean(L, swapped ? 1 : 0)
                        return 1
                    } catch let e as PluginError {
                        return raise(L, "\(fname): \(e.message)")
                    }
                case .kvSet:
                    let value: JSONValue
                    do { value = try toJSON(L, 2) } catch { return fail(L, "kv.set: \(error.message)") }
                    try kv.set(plugin: plugin, key: key, value: value)
                    lua_pushboolean(L, 1)
                    return 1
                default:
                    lua_pushboolean(L, try kv.delete(plugin: plugin, key: key) ? 1 : 0)
                    return 1
                }
            }
        } catch let e as PluginError {
            return fail(L, "kv: \(e.message)")
        } catch {
            return fail(L, "kv: \(error)")
        }
    }
}
