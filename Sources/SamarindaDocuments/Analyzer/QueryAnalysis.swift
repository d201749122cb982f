import Foundation
import Synchronization

/// A question as search understands it before looking at the index: each word people typed, its
/// standard form (informal spellings and abbreviations replaced, see `InformalIndonesian`), its stem,
/// and the city's synonyms and renamed terms it names (see `SynonymTable`).
public struct QueryAnalysis: Sendable, Equatable, Codable {
    /// One word of the question.
    public struct Word: Sendable, Equatable, Codable {
        /// As typed.
        public var token: String
        /// Its standard form: one or more words, or "" for a chat particle that is dropped.
        public var normalized: String
        /// The stems of the standard form, space-separated ("" when dropped).
        public var stem: String
        /// A function word left out of matching (it still counts for what the question asks).
        public var stopword: Bool
    }

    /// One thing the question names, matched when any of its terms is: the question's own terms
    /// plus those the synonym table adds (or a spelling correction gives).
    public struct Concept: Sendable, Equatable, Codable {
        public var terms: [String]
        public var added: [String]
        /// Why terms were added: "synonym: e-KTP → KTP-el (Corpus/synonyms.toml [[synonym]] #1)".
        public var reason: String?
        public var all: Set<String> { Set(terms + added) }
    }

    public var words: [Word]
    public var concepts: [Concept]
    /// The question in standard words, for recognising what it asks ("gimana" → "bagaimana").
    public var normalizedText: String

    /// Every term to match, the question's own first, without repeats.
    public var matchTerms: [String] {
        var seen = Set<String>()
        return concepts.flatMap { $0.terms + $0.added }.filter { seen.insert($0).inserted }
    }
}

/// The synonym table as sequences of terms, longest first, so "KTP elektronik" matches before "KTP".
struct CompiledSynonyms: Sendable {
    struct Rule: Sendable {
        var variant: [String]
        var target: [String]
        var entry: SynonymTable.Entry
        var phrase: String
    }
    var table = SynonymTable()
    var rules: [Rule] = []
}

extension IndonesianAnalyzer {
    /// Replaces the synonym table used by `analyzeQuery` (and so by search).
    public func setSynonyms(_ table: SynonymTable) {
        var compiled = CompiledSynonyms(table: table)
        for entry in table.entries {
            let target = terms(entry.target)
            for variant in entry.variants {
                let v = terms(variant)
                guard !v.isEmpty else { continue }
                compiled.rules.append(.init(variant: v, target: target, entry: entry, phrase: variant))
            }
        }
        compiled.rules.sort { $0.variant.count > $1.variant.count }
        synonymRulesStorage.withLock { $0 = compiled }
    }

    /// The synonym table in use.
    public var synonyms: SynonymTable { synonymRulesStorage.withLock { $0.table } }

    /// The standard form of one folded word as typed in a question: the informal table, then
    /// informal verb forms, else the word itself.
    public func normalizeQueryWord(_ folded: String) -> [String] {
        guard everydayLanguage else { return [folded] }
        if let standard = InformalIndonesian.words[folded] {
            return standard.split(separator: " ").map(String.init)
        }
        if let verb = InformalIndonesian.verb(folded, stemmer: stemmer) { return [verb] }
        return [folded]
    }

    /// Understands a question: words, their standard forms and stems, and the concepts it names
    /// with the terms the synonym table adds. Typos are corrected later, against the index (search).
    public func analyzeQuery(_ text: String) -> QueryAnalysis {
        let utf8 = Array(text.utf8)
        var words: [QueryAnalysis.Word] = []
        var terms: [String] = []
        var normalizedWords: [String] = []
        var previous: (end: Int, folded: String, stem: String)?
        for token in tokens(text) {
            let surface = String(decoding: utf8[token.range], as: UTF8.self)
            let standard = normalizeQueryWord(token.folded)
            let stems = standard.map { stem(folded: $0) }
            // A hyphenated repeat or clitic ("KTP-nya", "syarat-syarat") adds nothing, as in documents.
            if let p = previous, token.range.lowerBound == p.end + 1, utf8[p.end] == 0x2D,
               IndonesianAnalyzer.hyphenClitics.contains(token.folded)
                || (stems.count == 1 && IndonesianAnalyzer.repeats(stems[0], previous: p.folded, previousStem: p.stem)) {
                previous = (token.range.upperBound, p.folded, p.stem)
                continue
            }
            previous = (token.range.upperBound, token.folded, stems.first ?? "")
            let stop = !standard.isEmpty && standard.allSatisfy { stopwords.contains($0) }
            words.append(.init(token: surface, normalized: standard.joined(separator: " "), stem: stems.joined(separator: " "), stopword: stop))
            normalizedWords += standard
            for (w, s) in zip(standard, stems) where !stopwords.contains(w) { terms.append(s) }
        }
        let rules = synonymRulesStorage.withLock { $0.rules }
        var concepts: [QueryAnalysis.Concept] = []
        var i = 0
        while i < terms.count {
            if let rule = rules.first(where: { r in i + r.variant.count <= terms.count && Array(terms[i..<i + r.variant.count]) == r.variant }) {
                let own = Array(terms[i..<i + rule.variant.count])
                let added = rule.target.filter { !own.contains($0) }
                let kind = rule.entry.kind == .renamed ? "renamed" : "synonym"
                let note = rule.entry.note.isEmpty ? "" : "; \(rule.entry.note)"
                concepts.append(.init(terms: own, added: added, reason: "\(kind): \(rule.phrase) → \(rule.entry.target) (\(rule.entry.source)\(note))"))
                i += rule.variant.count
            } else {
                concepts.append(.init(terms: [terms[i]], added: [], reason: nil))
                i += 1
            }
        }
        // The same term twice ("KK ... kartu keluarga") is one concept.
        var seen = Set<String>()
        concepts = concepts.filter { c in c.added.isEmpty && c.terms.count == 1 ? seen.insert(c.terms[0]).inserted : true }
        return QueryAnalysis(words: words, concepts: concepts, normalizedText: normalizedWords.joined(separator: " "))
    }
}

import SamarindaCore

extension QueryAnalysis {
    /// The words as a table (TOKEN, NORMALIZED, STEM) for `docs analyze`, `docs explain` and the console.
    public var wordTable: String {
        TextTable(["TOKEN", "NORMALIZED", "STEM"], words.map { w in
            [w.token, w.normalized.isEmpty ? "(dropped)" : w.normalized, w.stem + (w.stopword ? "  (stopword)" : "")]
        }).render()
    }
}
