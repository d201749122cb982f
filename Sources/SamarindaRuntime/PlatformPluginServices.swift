import Foundation
import SamarindaCore
import SamarindaDocuments
import SamarindaModels
import SamarindaPlugins

/// The real services behind the plugin host API: document search through the same access-filtered,
/// audited path as every other caller (intersected with the plugin's grant), the model router (which
/// enforces classification, redaction for external providers, budgets, and audits each call), the
/// PII redactor, and the one libcurl HTTP client.
struct PlatformPluginServices: PluginHostServices {
    let documents: DocumentStore
    let models: ModelRouter
    let redactor = PIIRedactor()

    func searchDocuments(_ request: PluginSearchRequest) async throws -> [Passage] {
        let grant = DocumentGrant(departments: Set(request.departments), holder: request.context.pluginID,
                                  maxClassification: request.context.classification)
        return try await documents.search(query: request.query, principal: request.context.principal,
                                          collections: request.collections.isEmpty ? nil : request.collections, limit: request.limit,
                                          grant: grant, requestID: request.context.requestID).map(\.passage)
    }

    func document(_ request: PluginDocumentRequest) async throws -> PluginDocument? {
        let grant = DocumentGrant(departments: Set(request.departments), holder: request.context.pluginID,
                                  maxClassification: request.context.classification)
        do {
            let (record, chunks, _) = try await documents.document(id: request.documentID, for: request.context.principal, grant: grant)
            return PluginDocument(id: record.id, collection: record.collection, title: record.title, classification: record.classification,
                                  text: chunks.map(\.text).joined(separator: "\n\n"))
        } catch let e as DocumentsError where e.kind == .notFound {
            return nil
        }
    }

    func generate(_ request: PluginModelRequest) async throws -> PluginModelResponse {
        let messages = request.messages.map { ChatMessage(role: ChatRole(rawValue: $0.role) ?? .user, content: $0.content) }
        let chat = ChatRequest(model: request.model ?? "samarinda-default", messages: messages, maxTokens: request.maxTokens,
                               temperature: request.temperature, classification: request.context.classification)
        let context = ModelCallContext(principal: request.context.principal, requestID: request.context.requestID, plugin: request.context.pluginID)
        let response = try await models.chat(chat, context: context)
        return PluginModelResponse(text: response.message.content ?? "", model: response.model, provider: response.provider,
                                   promptTokens: response.usage?.promptTokens ?? 0, completionTokens: response.usage?.completionTokens ?? 0)
    }

    func redact(_ text: String, context: PluginCallContext) async throws -> PluginRedaction {
        let result = try redactor.redact(text)
        return PluginRedaction(text: result.text, counts: Dictionary(uniqueKeysWithValues: result.counts.map { ($0.key.rawValue.lowercased(), $0.value) }))
    }

    /// To a host outside the city (`[pii] internal_hosts`), personal data in the URL, headers and body
    /// goes as placeholders, restored in the response for this plugin call only; a request naming health
    /// or criminal records beside an identifier is refused there when the policy says so.
    func http(_ request: PluginHTTPRequest) async throws -> PluginHTTPResponse {
        var url = request.url.absoluteString
        var body = request.body
        var requestHeaders = request.headers
        var session: PIIRedactionSession?
        if !InternalHosts.contains(request.url.host ?? "", listed: models.config.pii.internalHosts) {
            var s = PIIRedactionSession(redactor: redactor)
            let redactedURL = try s.redact(url)
            // Brackets are not allowed unencoded in a URL.
            if redactedURL != url { url = redactedURL.replacingOccurrences(of: "[", with: "%5B").replacingOccurrences(of: "]", with: "%5D") }
            body = try body.map { try s.redact($0) }
            requestHeaders = try requestHeaders.mapValues { try s.redact($0) }
            if !s.sensitive.isEmpty, models.config.pii.refuseSensitiveExternal {
                throw ModelError(.classificationDenied, "this request to \(request.url.host ?? "?") names health or criminal-record matters beside personal data, "
                                 + "and the operator's policy ([pii] refuse_sensitive_external) keeps such requests inside the city. Nothing was sent.")
            }
            session = s
        }
        var outgoing = HTTPRequest(
            method: request.method, url: url,
            headers: requestHeaders.map { HTTPHeader($0.key, $0.value) }, body: body.map { Data($0.utf8) },
            timeoutMillis: max(100, request.timeoutMillis), maxResponseBytes: 4 * 1024 * 1024)
        outgoing.publicAddressesOnly = request.publicAddressesOnly
        let response = try await HTTPClient.shared.send(outgoing)
        var headers: [String: String] = [:]
        for h in response.headers { headers[h.name.lowercased()] = h.value }
        return PluginHTTPResponse(status: response.status, headers: headers, body: session?.restore(response.text) ?? response.text)
    }
}
