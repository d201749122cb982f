import Foundation

/// Splits a byte stream into lines, however the network chunks it. Lines longer
/// than `maxLineBytes` are an error: a server that never sends a newline must
/// not make us buffer without bound.
struct LineSplitter {
    private var buffer: [UInt8] = []
    let maxLineBytes: Int

    init(maxLineBytes: Int = 4 * 1024 * 1024) {
        self.maxLineBytes = maxLineBytes
    }

    /// The complete lines in `chunk` (without their `\n` or `\r\n`). Searches the chunk's bytes for
    /// newlines with `memchr` and copies whole pieces: going byte by byte through `Data`'s iterator was
    /// 4 % of a streamed answer's CPU (perf, issue 18). A line within one chunk is decoded in place.
    mutating func feed(_ chunk: Data) throws -> [String] {
        var lines: [String] = []
        try chunk.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard let base = raw.baseAddress else { return }
            let bytes = UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: raw.count)
            var start = 0
            while start < bytes.count {
                guard let found = memchr(base + start, 0x0A, bytes.count - start) else {
                    try checkLength(buffer.count + bytes.count - start)
                    buffer.append(contentsOf: bytes[start...])
                    return
                }
                let newline = base.distance(to: UnsafeRawPointer(found))
                try checkLength(buffer.count + newline - start)
                if buffer.isEmpty {
                    let end = newline > start && bytes[newline - 1] == 0x0D ? newline - 1 : newline
                    lines.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
                } else {
                    buffer.append(contentsOf: bytes[start..<newline])
                    if buffer.last == 0x0D { buffer.removeLast() }
                    lines.append(String(decoding: buffer, as: UTF8.self))
                    buffer.removeAll(keepingCapacity: true)
                }
                start = newline + 1
            }
        }
        return lines
    }

    /// A line (its `\r` included) may be at most `maxLineBytes` long.
    private func checkLength(_ count: Int) throws {
        if count > maxLineBytes {
            throw ModelError(.malformedResponse, "the provider sent a line longer than \(maxLineBytes) bytes", beforeFirstByte: false)
        }
    }

    /// What is left when the stream ends without a final newline.
    mutating func finish() -> String? {
        defer { buffer.removeAll() }
        return buffer.isEmpty ? nil : String(decoding: buffer, as: UTF8.self)
    }
}

/// One server-sent event (https://html.spec.whatwg.org/multipage/server-sent-events.html).
struct ServerSentEvent: Equatable {
    var event: String?
    var data: String
}

/// Incremental parser of `text/event-stream`: `data:` lines accumulate until a blank line dispatches the event.
struct ServerSentEventParser {
    private var lines = LineSplitter()
    private var event: String?
    private var data: [String] = []

    mutating func feed(_ chunk: Data) throws -> [ServerSentEvent] {
        var out: [ServerSentEvent] = []
        for line in try lines.feed(chunk) {
            if let e = take(line) { out.append(e) }
        }
        return out
    }

    mutating func finish() -> [ServerSentEvent] {
        var out: [ServerSentEvent] = []
        if let rest = lines.finish(), let e = take(rest) { out.append(e) }
        if let e = take("") { out.append(e) }
        return out
    }

    private mutating func take(_ line: String) -> ServerSentEvent? {
        if line.isEmpty {
            defer { event = nil; data = [] }
            return data.isEmpty ? nil : ServerSentEvent(event: event, data: data.joined(separator: "\n"))
        }
        if line.hasPrefix(":") { return nil }
        let field: Substring
        var value: Substring
        if let colon = line.firstIndex(of: ":") {
            field = line[..<colon]
            value = line[line.index(after: colon)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
        } else {
            field = Substring(line)
            value = ""
        }
        switch field {
        case "data": data.append(String(value))
        case "event": event = String(value)
        default: break
        }
        return nil
    }
}
