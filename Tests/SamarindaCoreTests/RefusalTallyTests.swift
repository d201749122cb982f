import Testing
@testable import SamarindaCore

/// The one flood bound for refusals (`RefusalLedger` and `AuditFailureLedger` both count through it).
struct RefusalTallyTests {
    struct Key: RefusalTallyKey {
        var source: String
        var code: String
        var other: Key { Key(source: "other", code: code) }
    }

    static func tally(_ sink: MemoryAuditSink, firstInFull: Int, maxKeys: Int) -> RefusalTally<Key, String> {
        // A window far longer than the test: only `flush(all: true)` writes the summaries.
        RefusalTally(audit: sink, window: .seconds(3600), firstInFull: firstInFull, maxKeys: maxKeys) { key, first in
            AuditEvent(actor: .anonymous, action: "test.refused", target: first, outcome: .denied(code: key.code), fields: ["source": key.source])
        }
    }

    @Test func aFloodFromOneSourceIsRecordedInFullUpToTheLimitThenCounted() async throws {
        let sink = MemoryAuditSink()
        let tally = Self.tally(sink, firstInFull: 3, maxKeys: 10)
        var inFull = 0
        for i in 0..<1000 where try await tally.count(Key(source: "a", code: "forbidden"), first: "target \(i)").inFull { inFull += 1 }
        #expect(inFull == 3)
        #expect(sink.events.isEmpty, "the tally writes only summaries; the caller records the refusals in full")
        try await tally.flush(all: true)
        let summary = try #require(sink.events.first)
        #expect(sink.events.count == 1)
        #expect(summary.fields["count"] == "997" && summary.fields["aggregated"] == "true" && summary.fields["window_seconds"] == "3600")
        #expect(summary.target == "target 0", "the summary is made from the first refusal of the window")
        // Flushed counts are not written twice; the key keeps its in-full allowance spent for the window.
        try await tally.flush(all: true)
        #expect(sink.events.count == 1)
        #expect(try await tally.count(Key(source: "a", code: "forbidden"), first: "again").inFull == false)
    }

    @Test func manySourcesBeyondTheLimitAreCountedTogetherUnderOther() async throws {
        let sink = MemoryAuditSink()
        let tally = Self.tally(sink, firstInFull: 1, maxKeys: 5)
        var keys: [String] = []
        var inFull = 0
        for i in 0..<500 {
            let (key, full) = try await tally.count(Key(source: "198.51.100.\(i)", code: "invalid_api_key"), first: "GET /v1/models")
            keys.append(key.source)
            if full { inFull += 1 }
        }
        #expect(Set(keys.prefix(5)) == Set((0..<5).map { "198.51.100.\($0)" }))
        #expect(keys.dropFirst(5).allSatisfy { $0 == "other" })
        #expect(inFull == 6, "five sources and 'other', each once in full")
        try await tally.flush(all: true)
        #expect(sink.events.map(\.fields["source"]) == ["other"])
        #expect(sink.events.first?.fields["count"] == "494", "the counts add up: 6 in full + 494 counted = 500")
    }
}
