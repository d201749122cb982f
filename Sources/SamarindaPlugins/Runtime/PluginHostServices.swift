import Foundation
import SamarindaCore

/// Who is calling, through which plugin: handed to every host service so it can
/// filter, budget and audit on behalf of the right principal.
public struct PluginCallContext: Sendable {
    public let principal: Principal
    public let pluginID: String
    public let pluginVersion: String
    public let tool: String
    public let requestID: String?
    /// The highest classification of data this call may handle (the tool's classification,
    /// never above the principal's clearance).
    public let classification: Classification
}

public struct PluginSearchRequest: Sendable {
    public let context: PluginCallContext
    public let query: String
    /// Departments (or `public`) whose collections the plugin was granted and asked for.
    public let departments: [String]
    public let limit: Int
    /// Collection names the plugin asked for (within `departments`); empty: all of them.
    public var collections: [String] = []
}

public struct PluginDocumentRequest: Sendable {
    public let context: PluginCallContext
    public let documentID: Int64
    public let departments: [String]
}

/// A document as `samarinda.docs.get` returns it.
public struct PluginDocument: Sendable {
    public var id: Int64
    public var collection: String
    public var title: String
    public var classification: Classification
    public var text: String
    public init(id: Int64, collection: String, title: String, classification: Classification, text: String) {
        self.id = id
        self.collection = collection
        self.title = title
        self.classification = classification
        self.text = text
    }
}

public struct PluginChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String
}

public struct PluginModelRequest: Sendable {
    public let context: PluginCallContext
    public let messages: [PluginChatMessage]
    /// A model alias from `[models]`; nil for the platform default.
    public let model: String?
    public let maxTokens: Int?
    public let temperature: Double?
    /// The largest `max_tokens` a plugin may ask for (the router applies the model's own limit below it).
    public static let maxTokensLimit = 1_000_000
}

public struct PluginModelResponse: Sendable {
    public var text: String
    public var model: String
    public var provider: String
    public var promptTokens: Int
    public var completionTokens: Int
    public init(text: String, model: String, provider: String, promptTokens: Int = 0, completionTokens: Int = 0) {
        self.text = text
        self.model = model
        self.provider = provider
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}

public struct PluginRedaction: Sendable {
    public var text: String
    /// Kind of personal data → how many were replaced, e.g. ["nik": 2, "phone": 1].
    public var counts: [String: Int]
    public init(text: String, counts: [String: Int]) {
        self.text = text
        self.counts = counts
    }
}

public struct PluginHTTPRequest: Sendable {
    public let context: PluginCallContext
    public let method: String
    /// Already checked against the plugin's `http:<host>` grants.
    public let url: URL
    public let headers: [String: String]
    public let body: String?
    /// Time left in the call; the implementation should not wait longer.
    public let timeoutMillis: Int
    /// True unless the grant names the URL's IP address itself (`http:10.0.0.5`): the implementation
    /// must then connect only to public addresses, checked on the address it connects to (after DNS).
    public var publicAddressesOnly: Bool = true
}

public struct PluginHTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: String
    public init(status: Int, headers: [String: String] = [:], body: String) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// What the plugin host needs from the rest of the platform. SamarindaRuntime wires the real
/// implementations (documents, model router, PII redaction, HTTP over libcurl); the plugin module
/// depends on none of them. Grants are checked before any of these is called; implementations
/// still apply their own policy (document visibility for the principal, provider classification,
/// budgets). Errors thrown here reach the plugin as `nil, message`.
public protocol PluginHostServices: Sendable {
    func searchDocuments(_ request: PluginSearchRequest) async throws -> [Passage]
    func document(_ request: PluginDocumentRequest) async throws -> PluginDocument?
    func generate(_ request: PluginModelRequest) async throws -> PluginModelResponse
    func redact(_ text: String, context: PluginCallContext) async throws -> PluginRedaction
    func http(_ request: PluginHTTPRequest) async throws -> PluginHTTPResponse
}

/// Services for contexts with no platform behind them (`plugin check`): every call fails clearly.
public struct UnavailablePluginServices: PluginHostServices {
    public init() {}
    struct Unavailable: Error, CustomStringConvertible {
        let what: String
        var description: String { "\(what) is not available here" }
    }
    public func searchDocuments(_ request: PluginSearchRequest) async throws -> [Passage] { throw Unavailable(what: "document search") }
    public func document(_ request: PluginDocumentRequest) async throws -> PluginDocument? { throw Unavailable(what: "documents") }
    public func generate(_ request: PluginModelRequest) async throws -> PluginModelResponse { throw Unavailable(what: "model access") }
    public func redact(_ text: String, context: PluginCallContext) async throws -> PluginRedaction { throw Unavailable(what: "PII redaction") }
    public func http(_ request: PluginHTTPRequest) async throws -> PluginHTTPResponse { throw Unavailable(what: "outbound HTTP") }
}

/// Where `samarinda.log.*` and `print` go.
public struct PluginLogLine: Sendable {
    public let pluginID: String
    public let level: String
    public let message: String
    public let requestID: String?
}
public typealias PluginLogHandler = @Sendable (PluginLogLine) -> Void
