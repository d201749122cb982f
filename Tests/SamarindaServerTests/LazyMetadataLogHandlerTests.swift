import Foundation
import Logging
import Synchronization
@testable import SamarindaServer
import Testing

/// The service's log handler renders metadata only when a line is written (issue 18); the lines must
/// be the ones swift-log's `StreamLogHandler` writes, with the same metadata, levels and providers.
struct LazyMetadataLogHandlerTests {
    final class Lines: TextOutputStream, @unchecked Sendable {
        let text = Mutex("")
        func write(_ string: String) { text.withLock { $0 += string } }
    }

    @Test func writesExactlyWhatStreamLogHandlerWrites() {
        let provider = Logger.MetadataProvider { ["trace_id": "t-1", "request_id": "from-provider"] }
        for withProvider in [false, true] {
            let (lazyLines, streamLines) = (Lines(), Lines())
            var lazy = Logger(label: "samarinda") { label in
                LazyMetadataLogHandler(StreamLogHandler(label: label, stream: lazyLines, metadataProvider: withProvider ? provider : nil))
            }
            var plain = Logger(label: "samarinda") { label in
                StreamLogHandler(label: label, stream: streamLines, metadataProvider: withProvider ? provider : nil)
            }
            for (key, value): (String, Logger.MetadataValue) in [("request_id", "0123abcd"), ("hb.request.id", "0123abcd"),
                                                                  ("principal", "key:8f3a \"x\" = y"), ("list", ["a", "b"]), ("map", ["k": "v"])] {
                lazy[metadataKey: key] = value
                plain[metadataKey: key] = value
            }
            lazy[metadataKey: "list"] = nil
            plain[metadataKey: "list"] = nil
            lazy.logLevel = .trace
            plain.logLevel = .trace
            lazy.info("permintaan selesai", metadata: ["status": "200"])
            plain.info("permintaan selesai", metadata: ["status": "200"])
            lazy.trace("rinci")
            plain.trace("rinci")
            lazy.logLevel = .warning
            plain.logLevel = .warning
            lazy.info("not written")
            plain.info("not written")
            lazy.error("gagal", metadata: nil)
            plain.error("gagal", metadata: nil)
            #expect(lazy[metadataKey: "principal"] == plain[metadataKey: "principal"] && lazy.logLevel == .warning)
            // Timestamps have one-second resolution: compare without them.
            func body(_ lines: Lines) -> [Substring] { lines.text.withLock { $0 }.split(separator: "\n").map { $0.drop(while: { $0 != " " }) } }
            #expect(body(lazyLines) == body(streamLines), "\(lazyLines.text.withLock { $0 })")
            #expect(body(lazyLines).count == 3)
            #expect(body(lazyLines).first?.contains("principal=key:8f3a \"x\" = y") == true)
        }
    }
}
