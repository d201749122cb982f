import Foundation
import SamarindaCore

/// How one search understood its question and ranked what it returned (`samarinda docs explain`).
public struct SearchExplanation: Sendable, Codable {
    public var query: UnderstoodQuery
    public var hits: [SearchHit]
    /// For each hit, in order: its score's parts.
    public var ranking: [DocumentStore.RankedChunk]
}

extension DocumentStore {
    /// Runs the search for `query` as `principal` (access-filtered and audited like any search) and
    /// says why: the words as read, the concepts with their synonyms and corrections, the part of a
    /// service standard asked for, and each hit's BM25 score with its title, heading and part boosts.
    public func explain(query: String, principal: Principal, collections: [String]? = nil, limit: Int = 5) async throws -> SearchExplanation {
        try await searchExplained(query: query, principal: principal, collections: collections, limit: limit, grant: nil, requestID: nil)
    }

    /// Replaces the synonym table with the files `[documents] synonyms` lists, in order. The shipped
    /// default file may be missing (a machine without the starter corpus); any other missing or
    /// malformed file is an error naming it.
    public func loadSynonyms(files: [String]) throws {
        analyzer.setSynonyms(try SynonymTable.load(files: files, optional: [DocumentsConfig.defaultSynonymsFile]))
    }
}
