import Foundation
import SamarindaCore

/// A retriever that finds nothing: used until the documents module is wired in,
/// so `ask` still answers (and says it found no documents).
public struct NoPassageRetriever: PassageRetriever {
    public init() {}
    public func retrieve(question: String, for principal: Principal, limit: Int, requestID: String?) async throws -> [Passage] { [] }
}

/// Builds the retrieval-augmented prompt: the passages numbered as the citations the answer must use.
public enum RetrievalPrompt {
    public static let instructions = """
        Anda adalah asisten Pemerintah Kota Samarinda. Jawab dalam Bahasa Indonesia yang jelas dan singkat, \
        hanya berdasarkan kutipan dokumen di bawah. Cantumkan sumber dengan nomor kutipan seperti [1] atau [2] \
        setelah kalimat yang memakainya. Jika kutipan tidak memuat jawabannya, katakan bahwa informasinya tidak ditemukan.
        """

    public static func messages(question: String, passages: [Passage]) -> [ChatMessage] {
        var context = passages.isEmpty ? "Tidak ada kutipan dokumen yang ditemukan." : "Kutipan dokumen:\n"
        for (i, p) in passages.enumerated() {
            context += "\n[\(i + 1)] \(p.citationLabel)\n\(p.text)\n"
        }
        return [.system(instructions + "\n\n" + context), .user(question)]
    }
}
