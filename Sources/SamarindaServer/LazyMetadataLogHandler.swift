import Logging

/// swift-log's `StreamLogHandler` renders all of its metadata to text every time one entry changes.
/// A request sets its entries (request id, principal) on every call and usually logs nothing, so
/// that rendering was about 1 % of a chat completion's CPU (perf, issue 18). This handler keeps the
/// metadata as it is and renders it only when a message is written — through `StreamLogHandler`
/// itself, so the lines are exactly the ones it writes. Written by hand because swift-log has no
/// lazily-rendering stream handler; `samarinda` bootstraps it for the whole process.
public struct LazyMetadataLogHandler: LogHandler {
    private var output: StreamLogHandler
    public var metadata: Logger.Metadata = [:]

    public init(_ output: StreamLogHandler) {
        self.output = output
    }

    /// What `LoggingSystem` uses by default: standard error, the global metadata provider.
    public static func standardError(label: String) -> LazyMetadataLogHandler {
        LazyMetadataLogHandler(StreamLogHandler.standardError(label: label))
    }

    public var logLevel: Logger.Level {
        get { output.logLevel }
        set { output.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { output.metadataProvider }
        set { output.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var output = output
        output.metadata = metadata
        output.log(event: event)
    }
}
