import Foundation
import SamarindaCore

/// The embedded provider: no network, no weights. It answers extractively from
/// the passages it is given — the sentences that share the most (rarer) terms
/// with the question, each with its citation — and says plainly that it is
/// the offline extractive mode, so no one mistakes it for a language model.
public struct OfflineProvider: ModelProvider {
    public let config: ProviderConfig
    /// The model name reported in responses and the audit trail.
    public static let modelName = "extractive"
    public static let modeNotice = "Mode luring (ekstraktif): jawaban ini disusun dari kutipan dokumen kota, bukan oleh model bahasa."
    let maxSentences: Int

    public init(config: ProviderConfig = .offlineDefault, maxSentences: Int = 3) {
        self.config = config
        self.maxSentences = maxSentences
    }

    /// The answer text for a question over passages (deterministic).
    public func answer(question: String, passages: [Passage]) -> String {
        guard !passages.isEmpty else {
            return Self.modeNotice + "\n\nTidak ditemukan dokumen yang relevan untuk pertanyaan ini, jadi belum ada jawaban. "
                + "Coba gunakan kata kunci lain, atau hubungi perangkat daerah terkait."
        }
        let questionTerms = Set(TextAnalysis.terms(question))
        // Candidate sentences with their passage index (citation number - 1).
        // Each sentence with the lines under it when it is a section heading (found once, used below).
        var candidates: [(passage: Int, order: Int, text: String, terms: Set<String>, body: [String]?)] = []
        for (p, passage) in passages.enumerated() {
            for (i, s) in TextAnalysis.sentences(passage.text).enumerated() {
                let body = Self.body(under: s, in: passage)
                // An all-capitals line ("PEMBAYARAN DAN SANKSI") is a regulation's chapter title, not an answer.
                let letters = s.filter(\.isLetter)
                if letters.count >= 3, letters.allSatisfy(\.isUppercase), body == nil { continue }
                candidates.append((p, i, s, Set(TextAnalysis.terms(s)), body))
            }
        }
        // Inverse sentence frequency: a term found in few sentences says more.
        var df: [String: Int] = [:]
        for c in candidates { for t in c.terms where questionTerms.contains(t) { df[t, default: 0] += 1 } }
        let n = Double(max(candidates.count, 1))
        // "Bagaimana…" asks for a procedure, "berapa biaya…" for the cost: the heading of such a section
        // counts as matching even when it shares no word with the question (the search ranked it).
        let asked = ServiceComponent.asked(in: question)
        // …within the documents most about the question's subject (titles sharing the most words with it).
        let titleShared = passages.map { questionTerms.intersection(TextAnalysis.terms($0.title)).count }
        let subject = titleShared.max() ?? 0
        var scored: [(score: Double, passage: Int, order: Int, text: String, body: [String]?)] = []
        for c in candidates {
            var score = 0.0
            for t in c.terms where questionTerms.contains(t) { score += 1 + log(n / Double(df[t] ?? 1)) }
            if !asked.isEmpty, c.order == 0, subject > 0, titleShared[c.passage] == subject, c.body != nil,
               !asked.isDisjoint(with: ServiceComponent.named(byHeading: c.text)) {
                score += 2 + log(n)
            }
            // A small bonus for the passage's retrieval rank keeps ties stable and sensible.
            if score > 0 { scored.append((score + passages[c.passage].score * 1e-6, c.passage, c.order, c.text, c.body)) }
        }
        scored.sort { $0.score != $1.score ? $0.score > $1.score : ($0.passage, $0.order) < ($1.passage, $1.order) }
        // Sentences far weaker than the best one are left out: a passage that merely shares one common
        // word ("prosedur") with the question is not part of the answer.
        let top = scored.first?.score ?? 0
        let best = Array(scored.prefix(maxSentences).filter { $0.score >= top / 2 })
        guard !best.isEmpty else {
            return Self.modeNotice + "\n\nDokumen yang ditemukan tidak memuat kalimat yang cocok dengan pertanyaan ini. Dokumen terkait:\n"
                + passages.enumerated().map { "[\($0.offset + 1)] \($0.element.citationLabel)" }.joined(separator: "\n")
        }
        // A matching heading ("Persyaratan Pembuatan KTP-el Baru") is not an answer by itself: what
        // people ask for is the list under it, whose lines rarely repeat the question's words. So a
        // chosen heading brings the lines of its section along (bounded), best-scoring first.
        var blocks: [(passage: Int, order: Int, lines: [String])] = []
        var taken = Set<String>()
        var budget = Self.maxAnswerLines
        var expanded = Set<Int>()  // passages whose section is already quoted whole
        for c in best {
            guard !taken.contains(c.text), !expanded.contains(c.passage), budget > 0 else { continue }
            // The document's own title line restates what the citation already names.
            if c.text.caseInsensitiveCompare(passages[c.passage].title) == .orderedSame { continue }
            if let body = c.body {
                let lines = [c.text] + body.prefix(budget - 1).filter { !taken.contains($0) }
                guard lines.count > 1 else { continue }  // a bare heading says nothing
                blocks.append((c.passage, c.order, lines))
                taken.formUnion(lines)
                expanded.insert(c.passage)
                budget -= lines.count
            } else {
                blocks.append((c.passage, c.order, [c.text]))
                taken.insert(c.text)
                budget -= 1
            }
        }
        blocks.sort { ($0.passage, $0.order) < ($1.passage, $1.order) }
        var cited: [Int] = []
        var lines: [String] = []
        for b in blocks {
            if b.lines.count == 1 {
                lines.append("\(b.lines[0]) [\(b.passage + 1)]")
            } else {
                lines.append("\(b.lines[0]) [\(b.passage + 1)]:")
                lines += b.lines.dropFirst()
            }
            if !cited.contains(b.passage) { cited.append(b.passage) }
        }
        let sources = cited.sorted().map { "[\($0 + 1)] \(passages[$0].citationLabel)" }
        return Self.modeNotice + "\n\n" + lines.joined(separator: "\n") + "\n\nSumber:\n" + sources.joined(separator: "\n")
    }

    /// Lines an answer shows at most (headings and the lines under them).
    static let maxAnswerLines = 12

    /// The lines under `sentence` when it is the heading its passage starts with (the chunker puts
    /// a section's heading first) or a line ending in ":"; nil when it is an ordinary sentence.
    static func body(under sentence: String, in passage: Passage) -> [String]? {
        let lines = passage.text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let index = lines.firstIndex(of: sentence) else { return nil }
        let heading = sentence == passage.section.components(separatedBy: " > ").last || (sentence.hasSuffix(":") && sentence.count <= 120)
        guard heading else { return nil }
        return Array(lines[(index + 1)...])
    }

    private func usage(_ call: ProviderCall, _ text: String) -> Usage {
        Usage(promptTokens: TextAnalysis.estimateTokens(call.request.messages), completionTokens: TextAnalysis.estimateTokens(text))
    }

    private func limited(_ text: String, _ call: ProviderCall) -> (String, String) {
        guard let max = call.request.maxTokens, max > 0, TextAnalysis.estimateTokens(text) > max else { return (text, "stop") }
        return (String(text.prefix(max * 4)), "length")
    }

    public func chat(_ call: ProviderCall) async throws -> ChatResponse {
        let (text, reason) = limited(answer(question: call.request.lastUserText, passages: call.passages), call)
        return ChatResponse(message: .assistant(text), finishReason: reason, usage: usage(call, text),
                            provider: config.name, model: Self.modelName)
    }

    public func stream(_ call: ProviderCall) async throws -> AsyncThrowingStream<[ChatStreamEvent], any Error> {
        let (text, reason) = limited(answer(question: call.request.lastUserText, passages: call.passages), call)
        let usage = usage(call, text)
        return AsyncThrowingStream { continuation in
            // Word-sized pieces, so clients see the same incremental shape as from a real model.
            var batch: [ChatStreamEvent] = []
            var piece = ""
            for ch in text {
                piece.append(ch)
                if ch == " " || ch == "\n" {
                    batch.append(.delta(piece))
                    piece = ""
                }
            }
            if !piece.isEmpty { batch.append(.delta(piece)) }
            batch.append(.usage(usage))
            batch.append(.finish(reason: reason))
            continuation.yield(batch)
            continuation.finish()
        }
    }

    public func embed(_ inputs: [String]) async throws -> EmbeddingResponse {
        EmbeddingResponse(vectors: inputs.map(LocalEmbedding.embed),
                          usage: Usage(promptTokens: inputs.reduce(0) { $0 + TextAnalysis.estimateTokens($1) }, completionTokens: 0),
                          provider: config.name, model: "hashed-bag-of-words-\(LocalEmbedding.dimensions)")
    }

    public func listModels() async throws -> [ModelInfo] {
        [ModelInfo(id: Self.modelName, ownedBy: config.name)]
    }
}
