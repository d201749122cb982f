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

    /// The complete lines in `chunk` (without their `\n` or `\r\n`).
    mutating func feed(_ chunk: Data) throws -> [String] {
        var lines: [String] = []
        for byte in chunk {
            if byte == 0x0A {
                if buffer.last == 0x0D { buffer.removeLast() }
                lines.append(String(decoding: buffer, as: UTF8.self))
                buffer.removeAll(keepingCapacity: true)
            } else {
                buffer.append(byte)
                if buffer.count > maxLineBytes {
                    throw ModelError(.malformedResponse, "the provider sent a line longer than \(maxLineBytes) bytes", beforeFirstByte: false)
                }
            }
        }
        return lines
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
