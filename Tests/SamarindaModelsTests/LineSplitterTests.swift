import Foundation
import Testing
@testable import SamarindaModels

/// `LineSplitter` finds newlines with `memchr` over whole chunks (issue 18). Whatever way the network
/// cuts a stream, it must give exactly the lines a byte-at-a-time reading gives, and refuse an
/// over-long line the same way.
struct LineSplitterTests {
    /// The reading it replaced, byte by byte, kept here as the reference.
    struct ByteByByte {
        var buffer: [UInt8] = []
        let max: Int
        mutating func feed(_ chunk: [UInt8]) -> [String]? {
            var lines: [String] = []
            for byte in chunk {
                if byte == 0x0A {
                    if buffer.last == 0x0D { buffer.removeLast() }
                    lines.append(String(decoding: buffer, as: UTF8.self))
                    buffer.removeAll()
                } else {
                    buffer.append(byte)
                    if buffer.count > max { return nil }
                }
            }
            return lines
        }
    }

    static let streams: [String] = [
        "data: {\"a\":1}\n\ndata: [DONE]\n\n",
        "data: satu\r\ndata: dua\r\n\r\n: komentar\r\nevent: x\r\ndata:\r\n\r\n",
        "\n\n\r\n\r\r\n\rx\r\n",
        "tanpa akhir baris",
        "data: 🇮🇩 é \u{0} \u{2028}\n" + String(repeating: "panjang ", count: 40) + "\n",
        "data: " + String(repeating: "x", count: 57) + "\ndata: " + String(repeating: "y", count: 58) + "\r\n",
    ]

    @Test(arguments: streams)
    func everyChunkingGivesTheLinesOfAByteAtATimeReading(stream: String) throws {
        let bytes = Array(stream.utf8)
        var generator = SystemRandomNumberGenerator()
        for round in 0..<300 {
            // Cut points: none, every byte, and random ones (CR and LF often land in different chunks).
            var cuts: [Int] = round == 0 ? [] : round == 1 ? Array(1..<max(1, bytes.count)) :
                (0..<Int.random(in: 1...8, using: &generator)).map { _ in Int.random(in: 0...bytes.count, using: &generator) }
            cuts = Array(Set(cuts)).sorted()
            var chunks: [[UInt8]] = []
            var from = 0
            for cut in cuts + [bytes.count] where cut >= from { chunks.append(Array(bytes[from..<cut])); from = cut }
            for limit in [4 * 1024 * 1024, 64] {
                var ours = LineSplitter(maxLineBytes: limit)
                var reference = ByteByByte(max: limit)
                var oursLines: [String] = [], referenceLines: [String] = []
                var oursFailed = false, referenceFailed = false
                for chunk in chunks {
                    if !referenceFailed { if let l = reference.feed(chunk) { referenceLines += l } else { referenceFailed = true } }
                    if !oursFailed {
                        do { oursLines += try ours.feed(Data(chunk)) } catch let e as ModelError {
                            #expect(e.code == .malformedResponse && e.message.contains("longer than \(limit) bytes"))
                            oursFailed = true
                        }
                    }
                }
                #expect(oursFailed == referenceFailed, "limit \(limit), chunks \(chunks.map(\.count))")
                if !oursFailed {
                    #expect(oursLines == referenceLines, "chunks \(chunks.map(\.count))")
                    #expect(ours.finish() == (reference.buffer.isEmpty ? nil : String(decoding: reference.buffer, as: UTF8.self)))
                }
            }
        }
    }

    @Test func eventsAreDispatchedAtBlankLines() throws {
        var parser = ServerSentEventParser()
        var events = try parser.feed(Data("event: pesan\r\ndata: satu\r\nda".utf8))
        events += try parser.feed(Data("ta: dua\r\n\r\n: komentar\n\ndata: [DONE]\n".utf8))
        #expect(events == [ServerSentEvent(event: "pesan", data: "satu\ndua")])
        #expect(parser.finish() == [ServerSentEvent(event: nil, data: "[DONE]")])
    }
}
