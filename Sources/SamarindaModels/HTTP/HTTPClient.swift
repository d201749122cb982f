import CCurl
import Foundation
import Synchronization

// Why libcurl's multi interface by hand, and not AsyncHTTPClient or URLSession:
// the design fixes libcurl from Debian as the one HTTP stack (one TLS and proxy
// configuration for the whole core), and FoundationNetworking's URLSession on
// Linux runs its own libcurl with a thread per session and no response bound.
// One thread runs an epoll loop over libcurl's multi_socket API and drives every transfer; callers await.

public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One outgoing HTTP request.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [HTTPHeader]
    public var body: Data?
    /// Whole transfer, connect to last byte.
    public var timeoutMillis: Int
    public var connectTimeoutMillis: Int
    /// Longest wait for the first response byte (headers) once the request is sent; nil: only the whole timeout applies.
    public var firstByteTimeoutMillis: Int?
    /// Bodies larger than this fail with `response_too_large`, buffered or streamed.
    public var maxResponseBytes: Int
    /// Connect only to public addresses, checked after DNS (plugin requests to granted host names).
    public var publicAddressesOnly = false

    public init(method: String = "GET", url: String, headers: [HTTPHeader] = [], body: Data? = nil,
                timeoutMillis: Int = 60_000, connectTimeoutMillis: Int = 5_000, firstByteTimeoutMillis: Int? = nil,
                maxResponseBytes: Int = 32 * 1024 * 1024) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMillis = timeoutMillis
        self.connectTimeoutMillis = connectTimeoutMillis
        self.firstByteTimeoutMillis = firstByteTimeoutMillis
        self.maxResponseBytes = maxResponseBytes
    }

    /// A JSON POST.
    public static func json(_ url: String, body: Data, headers: [HTTPHeader] = [], timeoutMillis: Int = 60_000) -> HTTPRequest {
        HTTPRequest(method: "POST", url: url, headers: [HTTPHeader("Content-Type", "application/json")] + headers,
                    body: body, timeoutMillis: timeoutMillis)
    }
}

/// A complete response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: Data

    /// The last value of a header, matched case-insensitively.
    public func header(_ name: String) -> String? {
        headers.last { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A response whose status and headers have arrived; the body follows as chunks as the server sends them.
/// Stopping iteration (or cancelling the task) aborts the transfer.
public struct HTTPStreamingResponse: Sendable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: AsyncThrowingStream<Data, any Error>

    public func header(_ name: String) -> String? {
        headers.last { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Reads the rest of the body (bounded by the request's `maxResponseBytes`).
    public func collect() async throws -> Data {
        var data = Data()
        for try await chunk in body { data.append(chunk) }
        return data
    }
}

/// The HTTP client of the whole core: one background thread drives every
/// transfer through libcurl's multi_socket interface (an epoll loop), so a
/// thousand waiting model calls cost a thousand small objects, not threads.
/// Requests honour task cancellation, timeouts and a response size bound.
public final class HTTPClient: Sendable {
    /// The process-wide client (one connection pool, one thread).
    public static let shared = HTTPClient()

    private let engine: CurlEngine

    public init() {
        engine = CurlEngine()
    }

    /// Sends a request and returns the complete response (any status; HTTP errors are not thrown).
    /// Whether `address` (IPv4 or IPv6 text) passes `publicAddressesOnly`.
    public static func isPublicAddress(_ address: String) -> Bool { ccurl_address_is_public(address) == 1 }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let transfer = try Transfer(request: request, streaming: false)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<HTTPResponse, any Error>) in
                transfer.bufferedContinuation = c
                engine.submit(transfer)
            }
        } onCancel: {
            engine.cancel(transfer)
        }
    }

    /// Sends a request and returns as soon as the status and headers arrive; the body streams.
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        let transfer = try Transfer(request: request, streaming: true)
        let (body, bodyContinuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        transfer.bodyContinuation = bodyContinuation
        let engine = self.engine
        bodyContinuation.onTermination = { termination in
            if case .cancelled = termination { engine.cancel(transfer) }
        }
        let head = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<(Int, [HTTPHeader]), any Error>) in
                transfer.headContinuation = c
                engine.submit(transfer)
            }
        } onCancel: {
            engine.cancel(transfer)
        }
        return HTTPStreamingResponse(status: head.0, headers: head.1, body: body)
    }

    /// Transfers in flight (for metrics and tests).
    public var activeTransfers: Int { engine.activeCount.load(ordering: .relaxed) }
}

// MARK: - One transfer

/// State of one request. Created by the caller, then touched only on the engine thread
/// (callbacks, completion) except for the atomic `cancelled` flag.
final class Transfer: @unchecked Sendable {
    let request: HTTPRequest
    let streaming: Bool
    var easy: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    let cancelled = Atomic<Bool>(false)

    var bufferedContinuation: CheckedContinuation<HTTPResponse, any Error>?
    var headContinuation: CheckedContinuation<(Int, [HTTPHeader]), any Error>?
    var bodyContinuation: AsyncThrowingStream<Data, any Error>.Continuation?

    var status = 0
    var headers: [HTTPHeader] = []
    var headersComplete = false
    var body = Data()
    var received = 0
    var tooLarge = false
    var gotFirstByte = false
    var firstByteDeadline: ContinuousClock.Instant?
    var finished = false

    init(request: HTTPRequest, streaming: Bool) throws {
        guard let url = URL(string: request.url), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              url.host != nil else {
            throw ModelError(.invalidRequest, "'\(request.url)' is not an http:// or https:// URL")
        }
        self.request = request
        self.streaming = streaming
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        errorBuffer.deallocate()
    }

    var curlMessage: String { String(cString: errorBuffer) }

    /// Called when the header block of the final (non-1xx) response is complete.
    func headersDone() {
        guard !headersComplete else { return }
        headersComplete = true
        if let c = headContinuation {
            headContinuation = nil
            c.resume(returning: (status, headers))
        }
    }

    /// Resolves the caller exactly once.
    func finish(_ error: (any Error)?) {
        guard !finished else { return }
        finished = true
        if let error {
            if let c = bufferedContinuation { bufferedContinuation = nil; c.resume(throwing: error) }
            if let c = headContinuation { headContinuation = nil; c.resume(throwing: error) }
            bodyContinuation?.finish(throwing: error)
        } else {
            if let c = bufferedContinuation {
                bufferedContinuation = nil
                c.resume(returning: HTTPResponse(status: status, headers: headers, body: body))
            }
            headersDone()
            bodyContinuation?.finish()
        }
        bodyContinuation = nil
    }
}

// MARK: - The engine thread

/// Owns the multi handle and the one thread that drives it. Callers hand
/// transfers over through a locked inbox and wake the thread through the loop's eventfd.
final class CurlEngine: @unchecked Sendable {
    private enum Command {
        case add(Transfer)
        case cancel(Transfer)
    }

    private let multi: UnsafeMutableRawPointer
    /// The epoll loop that drives `multi` (libcurl's multi_socket API, `ccurl.c`); nil when it could
    /// not be created (no file descriptors left), and then every request fails with that reason.
    private let loop: OpaquePointer?
    private let inbox = Mutex<[Command]>([])
    let activeCount = Atomic<Int>(0)

    init() {
        // curl_global_init is not thread-safe; the first client creates it under Swift's once-only static init.
        _ = CurlEngine.globalInit
        multi = curl_multi_init()
        // libcurl's default keeps at most 4 idle connections per transfer *currently in the multi handle*.
        // Under load the number of transfers in flight dips between requests, each dip closed pooled
        // connections, and the next requests opened new ones: one in eight chat completions paid a TCP
        // connect and close at 3,000/s (issue 18; `ss` showed 2,000 TIME-WAIT sockets to the model
        // server in 5 s). A fixed size keeps a connection per concurrent call to every model server.
        ccurl_multi_set_max_connects(multi, CurlEngine.maxIdleConnections)
        loop = ccurl_loop_new(multi)
        guard loop != nil else { return }
        let thread = Thread { [self] in
            self.run()
        }
        thread.name = "samarinda-http"
        thread.start()
    }

    /// Idle connections kept for reuse, over all model servers (each costs a socket and a few KiB).
    static let maxIdleConnections = 256

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    func submit(_ transfer: Transfer) {
        guard let loop else {
            transfer.finish(ModelError(.transport, "the HTTP engine could not start (no file descriptor for epoll or eventfd: raise the service's open-file limit and restart it)"))
            return
        }
        inbox.withLock { $0.append(.add(transfer)) }
        ccurl_loop_wakeup(loop)
    }

    func cancel(_ transfer: Transfer) {
        transfer.cancelled.store(true, ordering: .sequentiallyConsistent)
        guard let loop else { return }
        inbox.withLock { $0.append(.cancel(transfer)) }
        ccurl_loop_wakeup(loop)
    }

    // Engine-thread state below.
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]
    /// Easy handles of finished transfers, reset and kept for the next ones: creating and freeing one
    /// per request (with its 16 KiB receive buffer) showed in perf as malloc_consolidate and calloc
    /// on the engine thread. libcurl documents reuse after `curl_easy_reset` (options back to their
    /// defaults; the connection and DNS caches live in the multi handle either way).
    private var idleHandles: [UnsafeMutableRawPointer] = []
    private static let maxIdleHandles = 256

    private func run() {
        guard let loop else { return }
        var waitMillis = 1000
        while true {
            let commands = inbox.withLock { box -> [Command] in
                let taken = box
                box.removeAll(keepingCapacity: true)
                return taken
            }
            for command in commands {
                switch command {
                case .add(let t): start(t)
                case .cancel(let t):
                    // A transfer cancelled before its `.add` was handled is not started yet (the task was
                    // cancelled before the request was submitted: the cancellation handler runs first).
                    // Finishing it now would resume no continuation and mark it finished, so the later
                    // `start` could never resume the caller; `start` sees the flag and finishes it instead.
                    if t.easy != nil { stop(t, error: CancellationError()) }
                }
            }
            // Added transfers set libcurl's timer to 0, so this does not wait before starting them.
            ccurl_loop_run_once(loop, Int32(waitMillis))
            var easy: UnsafeMutableRawPointer?
            var result = CURLE_OK
            while ccurl_multi_next_done(multi, &easy, &result) != 0, let handle = easy {
                if let t = active[handle] { complete(t, result: result) }
            }
            waitMillis = checkFirstByteDeadlines()
        }
    }

    /// Fails transfers whose first byte is overdue; returns how long the next poll may sleep.
    private func checkFirstByteDeadlines() -> Int {
        var wait = 1000
        let now = ContinuousClock.now
        var overdue: [Transfer] = [] // stopped after the walk: stopping removes from `active`
        for t in active.values where !t.gotFirstByte {
            guard let deadline = t.firstByteDeadline else { continue }
            if deadline <= now {
                overdue.append(t)
            } else {
                let left = deadline - now
                let ms = Int(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000) + 1
                wait = min(wait, max(ms, 1))
            }
        }
        for t in overdue {
            // Says "timed out" as libcurl's whole-transfer timeout does: with both limits equal, which
            // of the two fires first is chance, and the caller is told the same thing either way.
            stop(t, error: ModelError(.timeout, "\(hostOf(t.request.url)) timed out: no response within \(t.request.firstByteTimeoutMillis ?? 0) ms",
                                      beforeFirstByte: true))
        }
        return wait
    }

    private func start(_ t: Transfer) {
        if t.cancelled.load(ordering: .sequentiallyConsistent) {
            t.finish(CancellationError())
            return
        }
        guard let easy = idleHandles.popLast() ?? curl_easy_init() else {
            t.finish(ModelError(.transport, "libcurl could not create a transfer (out of memory?)"))
            return
        }
        t.easy = easy
        let r = t.request
        var rc = ccurl_set_common(easy)
        if rc == CURLE_OK { rc = ccurl_set_url(easy, r.url) }
        if rc == CURLE_OK { rc = ccurl_set_error_buffer(easy, t.errorBuffer) }
        if rc == CURLE_OK { rc = ccurl_set_timeout_ms(easy, r.timeoutMillis) }
        if rc == CURLE_OK { rc = ccurl_set_connect_timeout_ms(easy, r.connectTimeoutMillis) }
        if rc == CURLE_OK, r.publicAddressesOnly { rc = ccurl_set_public_only(easy) }
        let method = r.method.uppercased()
        if let body = r.body {
            if rc == CURLE_OK {
                // COPYPOSTFIELDS copies the bytes, so the buffer need only live for this call.
                var bytes = [CChar](repeating: 0, count: body.count + 1)
                body.withUnsafeBytes { raw in
                    bytes.withUnsafeMutableBytes { $0.copyMemory(from: raw) }
                }
                rc = ccurl_set_body(easy, bytes, body.count)
            }
            if method != "POST", rc == CURLE_OK { rc = ccurl_set_method(easy, method) }
        } else if method == "HEAD" {
            if rc == CURLE_OK { rc = ccurl_set_nobody(easy, 1) }
        } else if method != "GET", rc == CURLE_OK {
            rc = ccurl_set_method(easy, method)
        }
        // "Expect:" off: waiting for 100-continue adds a round trip to every POST.
        var list: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Expect:")
        for h in r.headers where !h.name.contains(where: { $0 == "\r" || $0 == "\n" }) && !h.value.contains(where: { $0 == "\r" || $0 == "\n" }) {
            list = curl_slist_append(list, "\(h.name): \(h.value)")
        }
        t.headerList = list
        if rc == CURLE_OK { rc = ccurl_set_headers(easy, list) }
        let me = Unmanaged.passUnretained(t).toOpaque()
        if rc == CURLE_OK { rc = ccurl_set_write_callback(easy, curlWrite, me) }
        if rc == CURLE_OK { rc = ccurl_set_header_callback(easy, curlHeader, me) }
        if rc != CURLE_OK {
            let message = String(cString: curl_easy_strerror(rc))
            cleanup(t)
            t.finish(ModelError(.invalidRequest, "cannot prepare the request to \(hostOf(r.url)): \(message)"))
            return
        }
        if let ms = r.firstByteTimeoutMillis { t.firstByteDeadline = .now + .milliseconds(ms) }
        active[easy] = t
        activeCount.add(1, ordering: .relaxed)
        curl_multi_add_handle(multi, easy)
    }

    private func complete(_ t: Transfer, result: CURLcode) {
        let error: ModelError?
        var host: String { hostOf(t.request.url) } // parsed only for an error message
        switch result {
        case CURLE_OK:
            error = nil
        case _ where t.tooLarge:
            error = ModelError(.responseTooLarge, "the response from \(host) exceeded \(t.request.maxResponseBytes) bytes and was cut off",
                               beforeFirstByte: false)
        case CURLE_OPERATION_TIMEDOUT:
            error = ModelError(.timeout, "\(host) did not finish within \(t.request.timeoutMillis) ms (\(t.curlMessage))",
                               beforeFirstByte: !t.gotFirstByte)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_SSL_CONNECT_ERROR:
            error = ModelError(.connectFailed, "cannot connect to \(host): \(t.curlMessage.isEmpty ? String(cString: curl_easy_strerror(result)) : t.curlMessage)"
                               + (t.request.publicAddressesOnly ? " (only public addresses may be reached; a loopback, private or link-local address needs a grant naming that address)" : ""))
        default:
            let text = t.curlMessage.isEmpty ? String(cString: curl_easy_strerror(result)) : t.curlMessage
            error = ModelError(.transport, "transfer with \(host) failed: \(text)", beforeFirstByte: !t.gotFirstByte)
        }
        if t.status == 0, let easy = t.easy { t.status = Int(ccurl_get_response_code(easy)) }
        cleanup(t)
        t.finish(error)
    }

    private func stop(_ t: Transfer, error: any Error) {
        cleanup(t)
        t.finish(error)
    }

    private func cleanup(_ t: Transfer) {
        if let easy = t.easy {
            if active.removeValue(forKey: easy) != nil {
                curl_multi_remove_handle(multi, easy)
                activeCount.subtract(1, ordering: .relaxed)
            }
            if idleHandles.count < Self.maxIdleHandles {
                curl_easy_reset(easy)
                idleHandles.append(easy)
            } else {
                curl_easy_cleanup(easy)
            }
            t.easy = nil
        }
        if let list = t.headerList {
            curl_slist_free_all(list)
            t.headerList = nil
        }
    }
}

func hostOf(_ url: String) -> String {
    guard let u = URL(string: url), let host = u.host else { return url }
    return u.port.map { "\(host):\($0)" } ?? host
}

// MARK: - libcurl callbacks (run on the engine thread)

private let curlWrite: ccurl_data_callback = { data, size, count, user in
    let n = size * count
    guard let user, let data else { return 0 }
    let t = Unmanaged<Transfer>.fromOpaque(user).takeUnretainedValue()
    if t.cancelled.load(ordering: .relaxed) { return 0 }
    t.gotFirstByte = true
    if t.received + n > t.request.maxResponseBytes {
        t.tooLarge = true
        return 0 // makes libcurl abort with CURLE_WRITE_ERROR
    }
    t.received += n
    let chunk = Data(bytes: data, count: n)
    if t.streaming {
        t.headersDone()
        t.bodyContinuation?.yield(chunk)
    } else {
        t.body.append(chunk)
    }
    return n
}

private let curlHeader: ccurl_data_callback = { data, size, count, user in
    let n = size * count
    guard let user, let data else { return 0 }
    let t = Unmanaged<Transfer>.fromOpaque(user).takeUnretainedValue()
    t.gotFirstByte = true
    // Parsed as bytes: this runs for every header line of every response, on the one engine thread.
    let line = trimmed(UnsafeRawBufferPointer(start: data, count: n))
    if line.starts(with: "HTTP/".utf8) {
        // A new status line (after 1xx, or a proxy's CONNECT answer): start over.
        t.headers.removeAll()
        let parts = line.split(separator: 0x20, maxSplits: 2)
        t.status = parts.count > 1 ? Int(String(decoding: parts[1], as: UTF8.self)) ?? 0 : 0
    } else if line.isEmpty {
        if t.status >= 200 { t.headersDone() }
    } else if let colon = line.firstIndex(of: 0x3A) {
        let name = String(decoding: trimmed(UnsafeRawBufferPointer(rebasing: line[..<colon])), as: UTF8.self)
        let value = String(decoding: trimmed(UnsafeRawBufferPointer(rebasing: line[(colon + 1)...])), as: UTF8.self)
        if t.headers.count < 200 { t.headers.append(HTTPHeader(name, value)) }
    }
    return n
}

/// `bytes` without leading and trailing ASCII whitespace (space, tab, CR, LF).
private func trimmed(_ bytes: UnsafeRawBufferPointer) -> Slice<UnsafeRawBufferPointer> {
    func space(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
    var lower = bytes.startIndex, upper = bytes.endIndex
    while lower < upper, space(bytes[lower]) { lower += 1 }
    while upper > lower, space(bytes[upper - 1]) { upper -= 1 }
    return bytes[lower..<upper]
}
