import Foundation
import Synchronization
import Testing
@testable import SamarindaModels

/// A provider's streamed body decoded in the task that reads the events (issue 18: no producer task
/// between the HTTP body and the router). The body here is a real `AsyncThrowingStream` of byte chunks,
/// as the HTTP client gives it; the decoders are the providers' own.
@Suite struct ProviderStreamTests {
    /// A body that hands out `chunks` one per read, counting the reads, then ends (or fails with
    /// `error`); or, `hanging`, one that yields `chunks` and never ends, noting when its reader lets it
    /// go (`onTermination`: what cancels the HTTP transfer of a real body).
    final class Body: Sendable {
        final class Marks: Sendable {
            let taken = Atomic<Int>(0)
            let terminated = Atomic<Bool>(false)
        }
        let marks = Marks()
        let stream: AsyncThrowingStream<Data, any Error>
        var taken: Int { marks.taken.load(ordering: .sequentiallyConsistent) }
        var terminated: Bool { marks.terminated.load(ordering: .sequentiallyConsistent) }

        init(_ chunks: [String], error: ModelError? = nil) {
            let queue = Mutex(chunks.map { Data($0.utf8) })
            let marks = self.marks
            stream = AsyncThrowingStream(unfolding: {
                if let next = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                    marks.taken.add(1, ordering: .sequentiallyConsistent)
                    return next
                }
                if let error { throw error }
                return nil
            })
        }

        init(hanging chunks: [String]) {
            let (stream, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
            self.stream = stream
            let marks = self.marks
            continuation.onTermination = { _ in marks.terminated.store(true, ordering: .sequentiallyConsistent) }
            for chunk in chunks { continuation.yield(Data(chunk.utf8)) }
        }
    }

    static func chunk(_ text: String) -> String {
        #"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"\#(text)"},"finish_reason":null}]}"# + "\n\n"
    }
    static let finish = #"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"# + "\n\n"

    static func collect(_ events: AsyncThrowingStream<[ChatStreamEvent], any Error>) async -> (batches: [[ChatStreamEvent]], error: (any Error)?) {
        var batches: [[ChatStreamEvent]] = []
        do {
            for try await batch in events { batches.append(batch) }
            return (batches, nil)
        } catch {
            return (batches, error)
        }
    }

    static func text(_ batches: [[ChatStreamEvent]]) -> String {
        batches.joined().compactMap { if case .delta(let t) = $0 { t } else { nil } }.joined()
    }

    @Test func anOpenAIAnswerArrivesBatchByBatchAndEndsAtDone() async throws {
        // The first event is split across two chunks; [DONE] ends the answer even with bytes after it.
        let first = Self.chunk("Halo")
        let body = Body([String(first.prefix(30)), String(first.dropFirst(30)) + Self.chunk(", "), Self.chunk("dunia") + Self.finish,
                         "data: [DONE]\n\n", Self.chunk("never read")])
        let (batches, error) = await Self.collect(eventStream(body.stream, OpenAIStreamDecoder(provider: "p")))
        #expect(error == nil)
        #expect(Self.text(batches) == "Halo, dunia")
        #expect(batches.count == 2, "one batch per chunk that completes events: \(batches)")
        #expect(batches.last?.last.map { if case .finish("stop") = $0 { true } else { false } } == true)
    }

    /// The body is read only as fast as the events are: after one batch, the chunks after it have not
    /// been taken (a producer task in between read ahead into its own buffer).
    @Test func theBodyIsReadOnlyAsTheEventsAreRead() async throws {
        let body = Body([Self.chunk("satu"), Self.chunk("dua"), Self.chunk("tiga"), Self.finish, "data: [DONE]\n\n"])
        var iterator = eventStream(body.stream, OpenAIStreamDecoder(provider: "p")).makeAsyncIterator()
        let first = try await iterator.next()
        #expect(Self.text([first ?? []]) == "satu")
        try await Task.sleep(for: .milliseconds(50))
        #expect(body.taken == 1, "no chunk read ahead of the events")
        var rest: [[ChatStreamEvent]] = []
        while let batch = try await iterator.next() { rest.append(batch) }
        #expect(Self.text(rest) == "duatiga")
    }

    @Test func aBodyThatEndsEarlyGivesWhatArrivedThenAnInterruption() async throws {
        // The last event has no blank line after it: it is read from what is left, then the answer is
        // incomplete (no finish reason, no [DONE]).
        let body = Body([Self.chunk("Halo"), String(Self.chunk("sampai").dropLast(2))])
        let (batches, error) = await Self.collect(eventStream(body.stream, OpenAIStreamDecoder(provider: "lokal")))
        #expect(Self.text(batches) == "Halosampai")
        let e = try #require(error as? ModelError)
        #expect(e.code == .streamInterrupted && e.message.contains("provider 'lokal' closed the stream"))
    }

    @Test func aFinishReasonWithoutDoneIsComplete() async throws {
        let body = Body([Self.chunk("Halo") + Self.finish])
        let (batches, error) = await Self.collect(eventStream(body.stream, OpenAIStreamDecoder(provider: "p")))
        #expect(error == nil && Self.text(batches) == "Halo")
        // [DONE] without a finish reason gets one.
        let done = Body([Self.chunk("Halo"), "data: [DONE]\n\n"])
        let (more, _) = await Self.collect(eventStream(done.stream, OpenAIStreamDecoder(provider: "p")))
        #expect(more.joined().contains { if case .finish("stop") = $0 { true } else { false } })
    }

    @Test func aTransportErrorAndABadChunkReachTheReader() async throws {
        let failing = Body([Self.chunk("Halo")], error: ModelError(.transport, "connection reset"))
        let (batches, error) = await Self.collect(eventStream(failing.stream, OpenAIStreamDecoder(provider: "p")))
        #expect(Self.text(batches) == "Halo")
        #expect((error as? ModelError)?.code == .transport)
        let bad = Body(["data: {not json\n\n"])
        let (_, badError) = await Self.collect(eventStream(bad.stream, OpenAIStreamDecoder(provider: "p")))
        #expect((badError as? ModelError)?.code == .malformedResponse)
    }

    /// A chunk that cannot be read, arriving in the same read as good ones: the good events reach the
    /// reader first, so an answer that broke off after some text is interrupted (not failed over as if
    /// it never started). Caught by `RouterTests.malformedJSONIsAnErrorNotAnAnswer` under load, when
    /// the fake server's events came in one read.
    @Test func eventsBeforeABadChunkInTheSameReadArriveBeforeTheError() async throws {
        let body = Body([Self.chunk("satu") + Self.chunk("dua") + "data: {this is not json\n\n" + Self.chunk("tiga")])
        let (batches, error) = await Self.collect(eventStream(body.stream, OpenAIStreamDecoder(provider: "p")))
        #expect(Self.text(batches) == "satudua")
        #expect((error as? ModelError)?.code == .malformedResponse, "\(String(describing: error))")
    }

    /// Cancelling the reading task ends the iteration and lets the body go (which cancels the transfer).
    @Test func cancellingTheReaderEndsTheStreamAndReleasesTheBody() async throws {
        let body = Body(hanging: [Self.chunk("Halo")])
        let events = eventStream(body.stream, OpenAIStreamDecoder(provider: "p"))
        let reader = Task { await Self.collect(events) }
        try await Task.sleep(for: .milliseconds(100))
        reader.cancel()
        let (batches, error) = await reader.value
        #expect(Self.text(batches) == "Halo")
        #expect(error == nil, "a cancelled read ends like a cancelled stream: \(String(describing: error))")
        #expect(body.terminated, "the body's stream was ended, so its transfer is cancelled")
    }

    @Test func anOllamaAnswerEndsAtDoneAndAnEarlyEndIsAnInterruption() async throws {
        let line = #"{"model":"m","message":{"role":"assistant","content":"Halo"},"done":false}"# + "\n"
        let last = #"{"model":"m","message":{"role":"assistant","content":"!"},"done":true,"done_reason":"stop","prompt_eval_count":3,"eval_count":2}"#
        let body = Body([String(line.prefix(20)), String(line.dropFirst(20)) + last])
        let (batches, error) = await Self.collect(eventStream(body.stream, OllamaProvider.StreamDecoder(provider: "o")))
        #expect(error == nil && Self.text(batches) == "Halo!")
        #expect(batches.joined().contains { if case .usage(let u) = $0 { u.promptTokens == 3 && u.completionTokens == 2 } else { false } })
        let cut = Body([line])
        let (cutBatches, cutError) = await Self.collect(eventStream(cut.stream, OllamaProvider.StreamDecoder(provider: "o")))
        #expect(Self.text(cutBatches) == "Halo")
        #expect((cutError as? ModelError)?.code == .streamInterrupted)
    }
}
