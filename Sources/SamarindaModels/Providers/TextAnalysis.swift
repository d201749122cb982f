import Foundation

/// Small text tools for the offline provider and for token accounting. The
/// documents module has the full Indonesian analyzer; this one only needs to
/// be consistent between a question and the passages it is compared with.
enum TextAnalysis {
    static let stopwords: Set<String> = [
        "yang", "dan", "di", "ke", "dari", "untuk", "dengan", "pada", "adalah", "ini", "itu", "atau", "dalam", "oleh",
        "akan", "tidak", "sudah", "telah", "juga", "saya", "kami", "kita", "anda", "apa", "apakah", "bagaimana", "berapa",
        "siapa", "kapan", "mana", "dimana", "mengapa", "kenapa", "bisa", "dapat", "harus", "ada", "sebagai", "secara",
        "para", "tersebut", "bagi", "serta", "agar", "jika", "kalau", "maka", "saja", "lagi", "masih", "hanya", "setiap",
        "the", "a", "an", "of", "to", "in", "and", "or", "is", "are", "what", "how", "for", "on", "with",
    ]

    /// Lowercased, accent-folded words of letters and digits.
    static func words(_ text: String) -> [String] {
        let folded = text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
        var out: [String] = []
        var current = ""
        for scalar in folded.unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                out.append(current)
                current = ""
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// Words without stopwords, with common Indonesian particles and affixes stripped
    /// (`persyaratannya` → `syarat`, `mengajukan` → `aju`), so that forms of one root match.
    static func terms(_ text: String) -> [String] {
        words(text).compactMap { w in
            guard !stopwords.contains(w) else { return nil }
            return stem(w)
        }
    }

    static func stem(_ word: String) -> String {
        var w = word
        guard w.count > 4, w.allSatisfy(\.isLetter) else { return w }
        for suffix in ["lah", "kah", "pun", "nya", "ku", "mu"] where w.hasSuffix(suffix) && w.count - suffix.count >= 4 {
            w.removeLast(suffix.count)
            break
        }
        for suffix in ["kan", "an", "i"] where w.hasSuffix(suffix) && w.count - suffix.count >= 4 {
            w.removeLast(suffix.count)
            break
        }
        for prefix in ["meng", "meny", "mem", "men", "me", "peng", "peny", "pem", "pen", "per", "pe", "ber", "ter", "di", "ke", "se"]
        where w.hasPrefix(prefix) && w.count - prefix.count >= 4 {
            w.removeFirst(prefix.count)
            break
        }
        return w
    }

    /// Sentences of a passage (split after . ! ? and at line breaks), trimmed, without empty ones.
    static func sentences(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        let chars = Array(text)
        for (i, ch) in chars.enumerated() {
            if ch == "\n" {
                flush(&current, into: &out)
                continue
            }
            current.append(ch)
            if ch == "." || ch == "!" || ch == "?" {
                let next = i + 1 < chars.count ? chars[i + 1] : " "
                // Not inside numbers or abbreviations like "No.1" / "3.5", nor after a list marker ("1. ", "a. ").
                let head = current.trimmingCharacters(in: .whitespaces).dropLast()
                let marker = (1...3).contains(head.count) && (head.allSatisfy(\.isNumber) || (head.count == 1 && head.allSatisfy(\.isLetter)))
                if (next == " " || next == "\n" || next == "\t") && !marker { flush(&current, into: &out) }
            }
        }
        flush(&current, into: &out)
        return out
    }

    private static func flush(_ s: inout String, into out: inout [String]) {
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        if t.count >= 2 { out.append(t) }
        s = ""
    }

    /// Token count when a provider reports none: about four characters per token, never zero for non-empty text.
    static func estimateTokens(_ text: String) -> Int {
        let n = text.unicodeScalars.count
        return n == 0 ? 0 : (n + 3) / 4
    }

    static func estimateTokens(_ messages: [ChatMessage]) -> Int {
        messages.reduce(0) { sum, m in
            sum + 4 + estimateTokens(m.content ?? "") + (m.toolCalls ?? []).reduce(0) { $0 + estimateTokens($1.function.arguments) + 4 }
        }
    }
}

/// A deterministic embedding that needs no model: analyzed terms hashed
/// (FNV-1a) into a fixed number of dimensions with a sign bit, then
/// L2-normalised. Good enough for "which passage shares words with this
/// question" offline; a real embedding provider replaces it when configured.
public enum LocalEmbedding {
    public static let dimensions = 256

    public static func embed(_ text: String) -> [Float] {
        var v = [Float](repeating: 0, count: dimensions)
        for term in TextAnalysis.terms(text) {
            var h: UInt64 = 0xcbf29ce484222325
            for b in term.utf8 {
                h ^= UInt64(b)
                h &*= 0x100000001b3
            }
            let index = Int(h % UInt64(dimensions))
            v[index] += (h >> 63) == 0 ? 1 : -1
        }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? v.map { $0 / norm } : v
    }
}
