import Foundation
import HTTPTypes
import Hummingbird
import MultipartKit
import NIOCore
import SamarindaCore
import SamarindaDocuments

extension SamarindaService {
    /// Documents: upload for ingestion (dept_admin/admin), list, fetch with chunks, remove, and search.
    /// Every read is filtered by what the caller may see; the store audits each call.
    func addDocumentRoutes(to router: Router<ServerContext>) {
        let store = platform.documents
        let platform = self.platform
        router.post("/v1/documents") { request, context in
            let principal = try await context.authorize(.fileDocument(classification: nil), platform)
            let upload = try await DocumentUpload.parse(request, body: try await readBody(request, context))
            guard let classification = Classification(name: upload.classification) else {
                throw APIError.badRequest("invalid_classification", "classification must be one of \(Classification.allowedNames)")
            }
            try await context.authorize(.fileDocument(classification: classification), platform)
            let collection = upload.collection.isEmpty ? principal.department : upload.collection
            let department = principal.role == .admin ? (upload.department ?? principal.department) : principal.department
            // OCR and large files run as a background job (202, GET /v1/jobs/{id}); see Router+jobs.swift.
            if Self.runsInBackground(request, data: upload.data, filename: upload.filename) {
                return try self.acceptJob(data: upload.data, filename: upload.filename, collection: collection, classification: classification,
                                          department: department, title: upload.title, by: principal)
            }
            let result = await store.ingest(data: upload.data, sourceName: upload.filename, collection: collection, classification: classification,
                                            department: department, title: upload.title, by: principal)
            var object: [String: Any] = ["file": result.file, "chunks": result.chunks, "collection": collection]
            if let id = result.documentID { object["document_id"] = id }
            switch result.outcome {
            case .added: object["outcome"] = "added"
            case .replaced(let previous): object["outcome"] = "replaced"; object["previous_id"] = previous
            case .unchanged: object["outcome"] = "unchanged"
            case .skipped(let reason):
                throw DocumentsError(result.failure ?? .unreadable, "\(upload.filename): \(reason)")
            }
            return try jsonResponse(object, status: .created)
        }
        router.get("/v1/documents") { request, context in
            let principal = try await context.authorize(.readDocuments, platform)
            let collections = request.uri.queryParameters["collection"].map { [String($0)] }
            let docs = try store.list(for: principal, collections: collections)
            return try jsonResponse(["object": "list", "data": docs.map(documentJSON)])
        }
        router.get("/v1/documents/{id}") { _, context in
            let principal = try await context.authorize(.readDocuments, platform)
            guard let id = Int64(try context.parameters.require("id")) else { throw APIError.badRequest("invalid_id", "the document id is a number, e.g. /v1/documents/12") }
            let (record, chunks, history) = try await store.document(id: id, for: principal)
            var object = documentJSON(record)
            object["chunks"] = chunks.map { ["id": $0.id, "ordinal": $0.ordinal, "section": $0.section, "text": $0.text] as [String: Any] }
            object["history"] = history.map(documentJSON)
            // Pages read by OCR, each with its confidence; low ones are flagged for a clerk to check against the paper.
            if !record.pages.isEmpty {
                object["pages"] = record.pages.map { ["page": $0.page, "ocr": $0.ocr, "confidence": ($0.confidence * 10).rounded() / 10,
                                                      "low_confidence": $0.lowConfidence] as [String: Any] }
            }
            return try jsonResponse(object)
        }
        router.delete("/v1/documents/{id}") { request, context in
            let principal = try await context.authorize(.removeDocument, platform)
            guard let id = Int64(try context.parameters.require("id")) else { throw APIError.badRequest("invalid_id", "the document id is a number, e.g. /v1/documents/12") }
            // One version by default; `?versions=all` also removes the older versions it replaced (those the caller may see).
            let versions = request.uri.queryParameters["versions"].map(String.init) ?? "one"
            guard versions == "one" || versions == "all" else {
                throw APIError.badRequest("invalid_versions", "versions is 'one' (this version only, the default) or 'all' (this version and the older ones it replaced)")
            }
            try await store.remove(id: id, allVersions: versions == "all", by: principal)
            return try jsonResponse(["id": id, "removed": true])
        }
        router.get("/v1/search") { request, context in
            let principal = try await context.authorize(.readDocuments, platform)
            let q = request.uri.queryParameters
            guard let query = q["q"].map(String.init), !query.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw APIError.badRequest("missing_query", "give the words to search for: /v1/search?q=syarat+KTP-el")
            }
            let limit = try request.queryInt("k", "limit", in: 1...50, default: 10)
            let collections = q["collection"].map { [String($0)] }
            let hits = try await store.search(query: query, principal: principal, collections: collections, limit: limit, requestID: context.requestID)
            return try jsonResponse(["object": "list", "query": query, "data": hits.map { h in
                ["document_id": h.documentID, "chunk_id": h.chunkID, "collection": h.collection, "title": h.title, "section": h.section,
                 "snippet": h.snippet, "classification": h.classification.name, "score": h.score] as [String: Any]
            }])
        }
    }
}

private func documentJSON(_ d: DocumentRecord) -> [String: Any] {
    var object: [String: Any] = ["id": d.id, "collection": d.collection, "department": d.department, "title": d.title,
                                 "source_name": d.sourceName, "format": d.format, "classification": d.classification.name,
                                 "bytes": d.bytes, "ingested_by": d.ingestedBy, "ingested_at": ISO8601DateFormatter().string(from: d.ingestedAt),
                                 "tags": d.metadata.tags]
    if let n = d.metadata.number { object["number"] = n }
    if let date = d.metadata.date { object["date"] = date }
    return object
}

/// A document upload: `multipart/form-data` (fields `file`, `collection`, `classification`, optional
/// `title`, `department`) as a browser form sends it, or JSON `{filename, content | content_base64, …}`.
struct DocumentUpload {
    var filename: String
    var data: Data
    var collection: String
    var classification: String
    var title: String?
    var department: String?

    static func parse(_ request: Request, body: Data) async throws -> DocumentUpload {
        let type = request.headers[.contentType] ?? ""
        if type.lowercased().hasPrefix("multipart/form-data") {
            guard let boundary = type.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) })
                .first(where: { $0.lowercased().hasPrefix("boundary=") })?.dropFirst(9).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) else {
                throw APIError.badRequest("invalid_multipart", "multipart/form-data without a boundary parameter")
            }
            var fields: [String: (filename: String?, data: Data)] = [:]
            var headers: [String: String] = [:]
            var current = Data()
            let parser = MultipartParser(boundary: boundary)
            parser.onHeader = { name, value in headers[name.lowercased()] = value }
            parser.onBody = { buffer in current.append(contentsOf: buffer.readableBytesView) }
            parser.onPartComplete = {
                let disposition = headers["content-disposition"] ?? ""
                if let name = dispositionParameter(disposition, "name") {
                    fields[name] = (dispositionParameter(disposition, "filename"), current)
                }
                headers = [:]
                current = Data()
            }
            do { try parser.execute([UInt8](body)) } catch {
                throw APIError.badRequest("invalid_multipart", "the multipart body could not be read: \(error)")
            }
            guard let file = fields["file"] else {
                throw APIError.badRequest("missing_file", "the form needs a 'file' part with the document")
            }
            return DocumentUpload(filename: file.filename ?? "upload.txt", data: file.data) { k in
                fields[k].map { String(decoding: $0.data, as: UTF8.self) }
            }
        }
        let usage = "send multipart/form-data (file, collection, classification) or JSON {\"filename\": \"sop.txt\", \"content\": \"…\", \"collection\": \"…\", \"classification\": \"biasa\"}"
        let object: [String: JSONValue]
        do {
            guard case .object(let o) = try JSONDecoder().decode(JSONValue.self, from: body) else {
                throw APIError.badRequest("invalid_json", "\(usage): the body is JSON but not an object")
            }
            object = o
        } catch let error as APIError { throw error } catch {
            throw APIError.badRequest("invalid_json", "\(usage): \(describe(error))")
        }
        func text(_ k: String) throws -> String? {
            switch object[k] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            default: throw APIError.badRequest("invalid_json", "'\(k)' must be a string; \(usage)")
            }
        }
        guard let filename = try text("filename"), !filename.isEmpty else {
            throw APIError.badRequest("invalid_json", "'filename' is missing; \(usage)")
        }
        let data: Data
        if let b64 = try text("content_base64") {
            guard let d = Data(base64Encoded: b64) else { throw APIError.badRequest("invalid_base64", "content_base64 is not valid base64") }
            data = d
        } else if let c = try text("content") {
            data = Data(c.utf8)
        } else {
            throw APIError.badRequest("missing_content", "give the document as content (text) or content_base64 (PDF, DOCX)")
        }
        return try DocumentUpload(filename: filename, data: data, field: text)
    }
}

extension DocumentUpload {
    /// The fields both forms name alike; an empty value counts as not given.
    private init(filename: String, data: Data, field: (String) throws -> String?) rethrows {
        func value(_ k: String) throws -> String? { try field(k).flatMap { $0.isEmpty ? nil : $0 } }
        self.init(filename: filename, data: data, collection: try value("collection") ?? "",
                  classification: try value("classification") ?? "biasa", title: try value("title"), department: try value("department"))
    }
}

/// A parameter of a Content-Disposition header, e.g. `name` in `form-data; name="file"; filename="a.pdf"`.
func dispositionParameter(_ header: String, _ key: String) -> String? {
    for part in header.split(separator: ";") {
        let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        if kv.count == 2, kv[0].lowercased() == key { return kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
    }
    return nil
}
