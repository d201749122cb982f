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

    /// One thing the question names: its own terms, or any phrase the synonym table adds for them
    /// (all of a phrase's terms together: "kartu keluarga" is named only where both words are).
    public struct Concept: Sendable, Equatable, Codable {
        public var terms: [String]
        public var added: [[String]]
        /// Why phrases were added: "synonym: e-KTP → KTP-el (Corpus/synonyms.toml [[synonym]] #1)",
        /// or a spelling correction.
        public var reason: String?
        /// Whether a text with these terms names this concept.
        public func isNamed(by words: Set<String>) -> Bool {
            (!terms.isEmpty && words.isSuperset(of: terms)) || added.contains { !$0.isEmpty && words.isSuperset(of: $0) }
        }
    }

    public var words: [Word]
    public var concepts: [Concept]
    /// The question in standard words, for recognising what it asks ("gimana" → "bagaimana").
    public var normalizedText: String

    /// What to match, each a term or a phrase of terms: the question's own terms first, then the
    /// added phrases, without repeats.
    public var matchUnits: [[String]] {
        var seen = Set<[String]>()
        return (concepts.flatMap { $0.terms.map { [$0] } } + concepts.flatMap(\.added)).filter { seen.insert($0).inserted }
    }

    /// Every term of `matchUnits` (for highlighting).
    public var matchTerms: [String] {
        var seen = Set<String>()
        return matchUnits.flatMap { $0 }.filter { seen.insert($0).inserted }
    }
}

/// The synonym table as sequences of terms, longest first, so "KTP elektronik" matches before "KTP".
struct CompiledSynonyms: Sendable {
    struct Rule: Sendable {
        var variant: [String]
        /// The phrases (as terms) this variant adds.
        var adds: [[String]]
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
            let targets = entry.targets.map { terms($0) }.filter { !$0.isEmpty }
            let variants = entry.variants.map { terms($0) }
            // A synonym group works both ways (the documents say "KK" as often as "Kartu Keluarga");
            // a rename only from the old names to the new.
            let phrases = entry.kind == .synonym ? zip(entry.targets + entry.variants, targets + variants).map { ($0, $1) }
                                                 : Array(zip(entry.variants, variants))
            let group = entry.kind == .synonym ? targets + variants : targets
            for (phrase, v) in phrases where !v.isEmpty {
                var seen: Set<[String]> = [v]
                let adds = group.filter { !$0.isEmpty && seen.insert($0).inserted }
                compiled.rules.append(.init(variant: v, adds: adds, entry: entry, phrase: phrase))
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
                let kind = rule.entry.kind == .renamed ? "renamed" : "synonym"
                let note = rule.entry.note.isEmpty ? "" : "; \(rule.entry.note)"
                let to = rule.entry.kind == .renamed ? rule.entry.targets : rule.entry.targets + rule.entry.variants
                concepts.append(.init(terms: own, added: rule.adds,
                                      reason: "\(kind): \(rule.phrase) → \(to.filter { $0 != rule.phrase }.joined(separator: ", ")) (\(rule.entry.source)\(note))"))
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
