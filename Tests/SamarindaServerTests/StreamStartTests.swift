import Foundation
import Glibc
import Testing

/// When a streamed answer's response starts (issue 18): with its first batch of events. An answer
/// that came whole goes out as one body (head, chunks and end together, so it has a length); one that
/// comes slowly reaches the client piece by piece, as before.
@Suite struct StreamStartTests {
    static let body = #"{"model": "bad", "stream": true, "messages": [{"role": "user", "content": "halo"}]}"#

    @Test func aStreamedAnswerThatCameWholeIsSentAsOneBody() async throws {
        let model = try MisbehavingModel("--drip", "0")
        let server = try await TestServer(configText: model.config())
        let reply = try await server.request("POST", "/v1/chat/completions", key: server.key("staff-dinkes"),
                                             json: ["model": "bad", "stream": true, "messages": [["role": "user", "content": "halo"]]])
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        #expect(reply.headers["content-length"] == String(reply.text.utf8.count), "\(reply.headers)")
        let (chunks, done) = GatewayTests.chunks(reply.text)
        #expect(done)
        #expect(chunks.compactMap { GatewayTests.delta($0)?["content"] as? String }.joined() == "Halo dunia")
        #expect((chunks.last?["usage"] as? [String: Any])?["total_tokens"] as? Int == 4)
        #expect(try await server.auditEvents(action: "model.call").count == 1)
        try await server.expectHealthyAndVerified()
        await server.stop()
    }

    @Test func aStreamThatComesSlowlyReachesTheClientAsItComes() async throws {
        let model = try MisbehavingModel("--drip", "1.5")
        let server = try await TestServer(configText: model.config())
        let reading = try await RawHTTPReading.onItsOwnThread(port: server.port, request: """
            POST /v1/chat/completions HTTP/1.1\r
            Host: 127.0.0.1\r
            Authorization: Bearer \(server.key("staff-dinkes"))\r
            Content-Type: application/json\r
            Content-Length: \(Self.body.utf8.count)\r
            Connection: close\r
            \r
            \(Self.body)
            """)
        let firstPiece = try #require(reading.secondsUntil("Halo "), "\(reading.text)")
        let end = try #require(reading.secondsUntil("data: [DONE]"), "\(reading.text)")
        #expect(end - firstPiece >= 1.0, "the first piece came \(firstPiece) s in, the end \(end) s in: the first piece waited for the rest")
        #expect(reading.text.lowercased().contains("transfer-encoding: chunked"), "\(reading.text)")
        #expect(reading.text.contains("dunia"))
        try await server.expectHealthyAndVerified()
        await server.stop()
    }
}

/// An HTTP request over a plain socket whose reply is read as it arrives, with the time each part came.
struct RawHTTPReading {
    /// The bytes received, and seconds from sending to each read.
    private var reads: [(seconds: Double, text: String)] = []
    var text: String { reads.map(\.text).joined() }

    init(port: Int, request: String, limitSeconds: Double = 20) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: Int(limitSeconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let start = ContinuousClock.now
        _ = Array(request.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { break }
            let elapsed = (ContinuousClock.now - start).components
            reads.append((Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18, String(decoding: buffer[..<n], as: UTF8.self)))
        }
    }

    /// Reads on a thread of its own: its blocking reads must not hold one of the few task-pool threads
    /// that the service under test (and the tests beside it) run on.
    static func onItsOwnThread(port: Int, request: String, limitSeconds: Double = 20) async throws -> RawHTTPReading {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try RawHTTPReading(port: port, request: request, limitSeconds: limitSeconds) }) }.start()
        }
    }

    /// Seconds from sending until the read that completed the first occurrence of `text`; nil if it never came.
    func secondsUntil(_ text: String) -> Double? {
        var seen = ""
        for read in reads {
            seen += read.text
            if seen.contains(text) { return read.seconds }
        }
        return nil
    }
}
