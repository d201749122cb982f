import Foundation
import Synchronization

/// Turns Indonesian text into index terms, the same way for documents and for queries:
/// Unicode NFKC normalisation, case folding, accent folding, splitting into words,
/// dropping stopwords, and stemming (see `IndonesianStemmer`).
///
/// The analyzed form is what FTS5 indexes (with its plain `unicode61` tokenizer); running the
/// analyzer in Swift keeps indexing and querying identical without a custom C tokenizer.
public final class IndonesianAnalyzer: Sendable {
    public let stemmer: IndonesianStemmer
    public let stopwords: Set<String>
    /// Stems of recently seen words. Word frequencies are Zipfian, so a bounded cache removes most
    /// stemming work when ingesting large files.
    private let cache = Mutex<[String: String]>([:])
    private static let cacheLimit = 100_000
    /// The city's synonym table, compiled to term sequences (see `setSynonyms`).
    let synonymRulesStorage = Mutex<CompiledSynonyms>(CompiledSynonyms())

    /// Whether questions are read as people type them: informal words and abbreviations replaced,
    /// misspellings corrected against the index (off only to measure what they add: the bench).
    public let everydayLanguage: Bool

    public init(stemmer: IndonesianStemmer = IndonesianStemmer(), stopwords: Set<String> = Stopwords.indonesian, everydayLanguage: Bool = true) {
        self.stemmer = stemmer
        self.stopwords = stopwords
        self.everydayLanguage = everydayLanguage
    }

    /// One word of the original text: where it is (UTF-8 offsets) and its folded form.
    public struct Token: Sendable, Equatable {
        public var range: Range<Int>
        public var folded: String
    }

    /// NFKC, lowercase, and accents removed ("Pénduduk" → "penduduk").
    public static func fold(_ text: String) -> String {
        text.precomposedStringWithCompatibilityMapping.lowercased()
            .folding(options: [.diacriticInsensitive, .widthInsensitive], locale: nil)
    }

    /// The words of `text`, each with its UTF-8 range in `text`. ASCII runs take a fast path;
    /// words with other characters are decoded, NFKC-normalised and folded.
    public func tokens(_ text: String) -> [Token] {
        var out: [Token] = []
        forEachToken(text) { out.append($0) }
        return out
    }

    private func forEachToken(_ text: String, _ body: (Token) -> Void) {
        var utf8 = Array(text.utf8)
        utf8.append(0x20)
        var start = -1
        var ascii = true
        var i = 0
        while i < utf8.count {
            let b = utf8[i]
            if b < 0x80 {
                let isWord = (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
                if isWord {
                    if start < 0 { start = i; ascii = true }
                    i += 1
                    continue
                }
                if start >= 0 { emit(utf8, start..<i, ascii: ascii, body); start = -1 }
                i += 1
                continue
            }
            // A multi-byte scalar: decode it to decide whether it continues a word.
            let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
            let end = min(i + length, utf8.count)
            let scalar = String(decoding: utf8[i..<end], as: UTF8.self).unicodeScalars.first
            let wordLike = scalar.map { $0.properties.isAlphabetic || $0.properties.numericType != nil || $0.properties.generalCategory == .nonspacingMark } ?? false
            if wordLike {
                if start < 0 { start = i }
                ascii = false
            } else if start >= 0 {
                emit(utf8, start..<i, ascii: ascii, body)
                start = -1
            }
            i = end
        }
    }

    private func emit(_ bytes: [UInt8], _ range: Range<Int>, ascii: Bool, _ body: (Token) -> Void) {
        if ascii {
            var lowered = Array(bytes[range])
            for j in lowered.indices where lowered[j] >= 0x41 && lowered[j] <= 0x5A { lowered[j] |= 0x20 }
            body(Token(range: range, folded: String(decoding: lowered, as: UTF8.self)))
        } else {
            let folded = Self.fold(String(decoding: bytes[range], as: UTF8.self))
            // Folding may reveal separators (ligatures, full-width forms): keep only word characters.
            let cleaned = String(String.UnicodeScalarView(folded.unicodeScalars.filter { $0.properties.isAlphabetic || $0.properties.numericType != nil }))
            if !cleaned.isEmpty { body(Token(range: range, folded: cleaned)) }
        }
    }

    /// The index term for one folded word, or nil for a stopword.
    public func term(forFolded word: String) -> String? {
        if stopwords.contains(word) { return nil }
        return stem(folded: word)
    }

    /// The stem of one folded word (stopwords included), through the bounded cache.
    public func stem(folded word: String) -> String {
        if let hit = cache.withLock({ $0[word] }) { return hit }
        let stem = stemmer.stem(word)
        cache.withLock { c in
            if c.count >= Self.cacheLimit { c.removeAll(keepingCapacity: true) }
            c[word] = stem
        }
        return stem
    }

    /// Clitics written after a hyphen ("kuasa-Mu", "KTP-nya", "allah-lah"): not words of their own.
    static let hyphenClitics: Set<String> = ["mu", "ku", "nya", "lah", "kah", "pun"]

    /// Calls `body` with each word of `text` and its stem, in order, leaving out what only repeats the
    /// word before it across a hyphen: a reduplication ("buku-buku", "berbalas-balasan",
    /// "menyepak-nyepak", "meniru-nirukan") counts once, and a clitic after a hyphen not at all.
    /// Other hyphenated words ("KTP-el", "tukar-menukar" aside) stay two words.
    private func forEachStem(_ text: String, _ body: (Token, String) -> Void) {
        var utf8: [UInt8] = []
        var previous: (token: Token, stem: String)?
        forEachToken(text) { token in
            if let p = previous, token.range.lowerBound == p.token.range.upperBound + 1 {
                if utf8.isEmpty { utf8 = Array(text.utf8) }
                if utf8[p.token.range.upperBound] == 0x2D {   // "-"
                    // What is left out still joins the word before it to the next ("malaikat-malaikat-Nya").
                    let joined = (Token(range: p.token.range.lowerBound..<token.range.upperBound, folded: p.token.folded), p.stem)
                    if Self.hyphenClitics.contains(token.folded) { previous = joined; return }
                    let stem = self.stem(folded: token.folded)
                    if Self.repeats(stem, previous: p.token.folded, previousStem: p.stem) { previous = joined; return }
                    previous = (token, stem)
                    body(token, stem)
                    return
                }
            }
            let stem = self.stem(folded: token.folded)
            previous = (token, stem)
            body(token, stem)
        }
    }

    /// Whether a word written after a hyphen only repeats the one before it (buku-buku, meniru-nirukan).
    static func repeats(_ stem: String, previous: String, previousStem: String) -> Bool {
        stem == previousStem || (stem.utf8.count >= 3 && previous.hasSuffix(stem))
    }

    /// The stems of every word of `text`, stopwords included (what stemmer evaluations compare).
    public func stems(_ text: String) -> [String] {
        var out: [String] = []
        forEachStem(text) { _, stem in out.append(stem) }
        return out
    }

    /// The index terms of `text`, in order.
    public func terms(_ text: String) -> [String] {
        var out: [String] = []
        forEachStem(text) { token, stem in if !stopwords.contains(token.folded) { out.append(stem) } }
        return out
    }

    /// The analyzed form FTS5 indexes: terms separated by spaces.
    public func analyze(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        forEachStem(text) { token, stem in
            guard !stopwords.contains(token.folded) else { return }
            if !out.isEmpty { out.append(" ") }
            out.append(stem)
        }
        return out
    }
}
