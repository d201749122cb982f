import Foundation
import Testing
@testable import SamarindaModels

@Suite("HTTP client over libcurl multi")
struct HTTPClientTests {
    let server = FakeModelServer.shared

    @Test func getsAndPostsOverLoopback() async throws {
        let key = uniqueKey()
        let r = try await HTTPClient.shared.send(.json(server.openAI("ok", key: key) + "/chat/completions",
                                                       body: Data(#"{"messages":[{"role":"user","content":"halo"}]}"#.utf8)))
        #expect(r.status == 200)
        #expect(r.header("content-type") == "application/json")
        #expect(r.text.contains("Jawaban: halo"))
        let models = try await HTTPClient.shared.send(HTTPRequest(url: server.openAI("ok", key: key) + "/models"))
        #expect(models.text.contains("fake-model"))
    }

    /// Easy handles are reused after `curl_easy_reset` (issue 18): nothing of one transfer may carry
    /// over to the next on the same handle — not a POST's method and body, not a public-only
    /// restriction, and a public-only transfer after a normal one is still refused on loopback.
    @Test func reusedHandlesCarryNothingOverBetweenTransfers() async throws {
        let key = uniqueKey()
        let client = HTTPClient() // its own engine: the handles below are this test's, one after the other
        for round in 0..<3 {
            let posted = try await client.send(.json(server.openAI("ok", key: key) + "/chat/completions",
                                                     body: Data(#"{"messages":[{"role":"user","content":"r\#(round)"}]}"#.utf8)))
            #expect(posted.status == 200 && posted.text.contains("r\(round)"))
            var guarded = HTTPRequest(url: server.openAI("ok", key: key) + "/models")
            guarded.publicAddressesOnly = true
            await #expect(throws: ModelError.self) { _ = try await client.send(guarded) }
            let fetched = try await client.send(HTTPRequest(url: server.openAI("ok", key: key) + "/models"))
            #expect(fetched.status == 200 && fetched.text.contains("fake-model"))
        }
        // Three POSTs with their own bodies and three GETs (a GET after a POST on a reused handle is a GET);
        // the refused public-only requests never reached the server.
        let log = try await server.log(key)
        #expect(log.count == 6)
        #expect(log.filter { $0 == "GET /v1/models" }.count == 3)
        #expect((0..<3).allSatisfy { r in log.contains { $0.contains("\"r\(r)\"") } })
    }

    @Test func manyConcurrentTransfersAllComplete() async throws {
        let key = uniqueKey()
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<40 {
                group.addTask {
                    let r = try await HTTPClient.shared.send(.json(server.openAI("ok", key: key) + "/chat/completions",
                                                                   body: Data(#"{"messages":[{"role":"user","content":"n\#(i)"}]}"#.utf8)))
                    return r.text.contains("n\(i)") ? 1 : 0
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(results == 40)
        #expect(try await server.log(key).count == 40)
    }

    /// Connections to a model server are kept between bursts of calls (issue 18): with libcurl's default,
    /// the pool shrank to four idle connections per transfer still in flight, so each burst after a
    /// quiet moment opened (and later closed) most of its connections anew — under load one chat
    /// completion in eight paid a TCP connect. Six bursts of 16 concurrent calls now reuse the first
    /// burst's connections.
    @Test func connectionsAreReusedAcrossBursts() async throws {
        let key = uniqueKey()
        let client = HTTPClient() // its own engine and connection pool
        for _ in 0..<6 {
            let ok = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<16 {
                    group.addTask { try await client.send(HTTPRequest(url: server.openAI("ok", key: key) + "/models")).status == 200 }
                }
                return try await group.reduce(true) { $0 && $1 }
            }
            #expect(ok)
        }
        #expect(try await server.log(key).count == 96)
        let connections = try await server.connections(key)
        #expect(connections >= 1 && connections <= 24, "96 calls in bursts of 16 came over \(connections) connections")
    }

    @Test func hugeResponseIsCutAtTheBound() async throws {
        var request = HTTPRequest.json(server.openAI("huge", key: uniqueKey()) + "/chat/completions", body: Data("{}".utf8))
        request.maxResponseBytes = 256 * 1024
        await #expect(throws: ModelError.self) { _ = try await HTTPClient.shared.send(request) }
        do {
            _ = try await HTTPClient.shared.send(request)
        } catch let e as ModelError {
            #expect(e.code == .responseTooLarge)
        }
    }

    @Test func waitingTooLongForTheFirstByteTimesOut() async throws {
        var request = HTTPRequest.json(server.openAI("slowfirst", key: uniqueKey()) + "/chat/completions", body: Data("{}".utf8))
        request.firstByteTimeoutMillis = 200
        do {
            _ = try await HTTPClient.shared.send(request)
            Issue.record("expected a timeout")
        } catch let e as ModelError {
            #expect(e.code == .timeout)
            #expect(e.beforeFirstByte)
            #expect(e.isTransient)
            #expect(e.message.contains("timed out: no response within 200 ms"), "\(e.message)")
        }
    }

    /// The whole-transfer timeout is libcurl's own timer, which the engine's epoll loop must fire
    /// (`CURLMOPT_TIMERFUNCTION`): a server that answers after 3 s is given up at 300 ms.
    /// Several rounds: a timer fired even a fraction of a millisecond early finds nothing due in libcurl,
    /// which then does not set it again — the timeout was then noticed only when the server answered
    /// (seen once under load before the loop compared times in nanoseconds).
    @Test func theWholeTransferTimeoutFiresWithoutSocketActivity() async throws {
        let client = HTTPClient() // its own engine: no other test's transfers move its timer
        for round in 0..<5 {
            var request = HTTPRequest.json(server.openAI("slowfirst", key: uniqueKey()) + "/chat/completions", body: Data("{}".utf8))
            request.timeoutMillis = 300 + 7 * round
            let started = ContinuousClock.now
            do {
                _ = try await client.send(request)
                Issue.record("expected a timeout")
            } catch let e as ModelError {
                #expect(e.code == .timeout)
                #expect(e.message.contains("did not finish within \(300 + 7 * round) ms"), "\(e.message)")
            }
            #expect(ContinuousClock.now - started < .milliseconds(2500), "round \(round): given up before the server's 3 s answer")
        }
    }

    @Test func connectionRefusedIsAConnectError() async throws {
        do {
            _ = try await HTTPClient.shared.send(HTTPRequest(url: "http://127.0.0.1:\(closedPort())/v1/models", connectTimeoutMillis: 1000))
            Issue.record("expected a connect error")
        } catch let e as ModelError {
            #expect(e.code == .connectFailed)
            #expect(e.isTransient)
        }
    }

    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        let request = HTTPRequest.json(server.openAI("slowfirst", key: uniqueKey()) + "/chat/completions", body: Data("{}".utf8))
        let task = Task { try await HTTPClient.shared.send(request) }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
    }

    /// A task cancelled before it sends (its cancellation handler runs before the request is submitted)
    /// must still get its CancellationError, for `send` and for `stream`, and never hang (it hung before
    /// the fix: the time limit turns a hang into a failure; no timing is asserted beyond that).
    @Test(.timeLimit(.minutes(1))) func aTaskCancelledBeforeItSendsIsAnsweredAtOnce() async throws {
        let url = server.openAI("slowfirst", key: uniqueKey()) + "/chat/completions"
        for round in 0..<20 {
            let send = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await HTTPClient.shared.send(.json(url, body: Data("{}".utf8)))
            }
            let stream = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await HTTPClient.shared.stream(.json(url, body: Data("{}".utf8))).status
            }
            await #expect(throws: CancellationError.self, "round \(round)") { try await send.value }
            await #expect(throws: CancellationError.self, "round \(round)") { try await stream.value }
        }
    }

    @Test func streamingYieldsBodyAsItArrives() async throws {
        let body = Data(#"{"stream":true,"messages":[{"role":"user","content":"abcdefghij"}]}"#.utf8)
        let r = try await HTTPClient.shared.stream(.json(server.openAI("ok", key: uniqueKey()) + "/chat/completions", body: body))
        #expect(r.status == 200)
        var chunks = 0
        var all = Data()
        for try await c in r.body {
            chunks += 1
            all.append(c)
        }
        #expect(chunks >= 1)
        #expect(String(decoding: all, as: UTF8.self).contains("[DONE]"))
    }

    @Test func refusesNonHTTPURLs() async throws {
        await #expect(throws: ModelError.self) { _ = try await HTTPClient.shared.send(HTTPRequest(url: "file:///etc/passwd")) }
        await #expect(throws: ModelError.self) { _ = try await HTTPClient.shared.send(HTTPRequest(url: "gopher://127.0.0.1/")) }
    }
}
