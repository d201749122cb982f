/// A passage of a city document as retrieval returns it and answers cite it.
/// Shared by documents (which find passages), models (the offline provider
/// answers from them; the router raises a request's classification to theirs)
/// and plugins (`samarinda.docs.search`).
public struct Passage: Sendable, Equatable, Codable {
    public var documentID: Int64
    public var chunkID: Int64
    public var collection: String
    public var title: String
    /// The heading path of the chunk, e.g. "BAB II > Pasal 5"; empty when the document has none.
    public var section: String
    public var text: String
    public var classification: Classification
    public var score: Double

    public init(documentID: Int64, chunkID: Int64, collection: String, title: String, section: String,
                text: String, classification: Classification, score: Double) {
        self.documentID = documentID
        self.chunkID = chunkID
        self.collection = collection
        self.title = title
        self.section = section
        self.text = text
        self.classification = classification
        self.score = score
    }

    /// How an answer cites this passage: `[title — section, #chunk]`.
    public var citationLabel: String {
        section.isEmpty ? "\(title), bagian #\(chunkID)" : "\(title) — \(section)"
    }
}

/// Finds the passages a principal may see that answer a question. Implemented by the documents
/// module; used by the model layer (`ask`, retrieval for chat) without depending on it.
public protocol PassageRetriever: Sendable {
    /// `requestID` goes into the search's audit event, so it is found beside the model call it fed.
    func retrieve(question: String, for principal: Principal, limit: Int, requestID: String?) async throws -> [Passage]
}
