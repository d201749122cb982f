// {====== Indonesian stemmer ======}
//
// Written from the published algorithms, not from any implementation:
// - Nazief & Adriani (1996): strip inflectional particles (-lah -kah -tah -pun), then
//   possessives (-ku -mu -nya), then derivational suffixes (-i -kan -an), then up to three
//   derivational prefixes (di- ke- se- me- be- pe- te-), checking a lexicon after each step
//   and restoring suffixes when the search fails.
// - Asian et al. (2005) "confix stripping" and Arifin et al. (2009) "enhanced confix
//   stripping" (ECS): the table of prefix rules with sound changes (meN-, peN-, ber-, ter-,
//   per-), the forbidden prefix–suffix pairs (be-i, di-an, ke-i, ke-kan, me-an, se-i, se-kan,
//   te-an), and the "-kan → k + -an" restoration.
//
// Those algorithms rely on a full dictionary of root words. The dictionaries in circulation
// carry non-commercial licences, so we ship a small lexicon we wrote ourselves (RootWords.swift),
// drawn from the vocabulary of city administration. When no candidate is in the lexicon we
// fall back to a rule-only decision (in the spirit of Tala's 2003 Porter-style stemmer for
// Indonesian): strip affixes greedily with the rule table's first recoding, and never leave a
// stem of fewer than two syllables. For retrieval what matters most is that a query word and a
// document word with the same root reach the same stem, which both paths keep.

/// A rule-based stemmer for Bahasa Indonesia (confix stripping with a small own lexicon).
public struct IndonesianStemmer: Sendable {
    public let roots: Set<String>

    public init(roots: Set<String> = RootWords.all) {
        self.roots = roots
    }

    /// The stem of one lowercase, accent-folded word. Words that are not plain ASCII letters
    /// (numbers, codes such as "pbb-p2") are returned unchanged.
    public func stem(_ word: String) -> String {
        let w = Array(word.utf8)
        guard w.count > 3, w.allSatisfy(isLetter) else { return word }
        if roots.contains(word) { return word }
        if let found = lexiconStem(w) { return found }
        return fallbackStem(w)
    }

    // MARK: - Lexicon search (Nazief–Adriani order with ECS rules)

    /// One way of removing suffixes: what is left, and the derivational suffix removed (if any).
    private struct SuffixCut {
        var rest: [UInt8]
        var derivational: String?
    }

    /// Suffix removals in the order the algorithm tries them: everything stripped first, then the
    /// "-kan" → "k" + "-an" variant, then with the derivational suffix, the possessive and finally
    /// the particle restored.
    private func suffixCuts(_ w: [UInt8]) -> [SuffixCut] {
        var cuts: [SuffixCut] = []
        let afterParticle = strip(w, anyOf: Self.particles) ?? w
        let afterPossessive = strip(afterParticle, anyOf: Self.possessives) ?? afterParticle
        for suffix in Self.derivationalSuffixes {
            if let rest = strip(afterPossessive, suffix: suffix) {
                cuts.append(SuffixCut(rest: rest, derivational: suffix))
                if suffix == "kan" { cuts.append(SuffixCut(rest: rest + [UInt8(ascii: "k")], derivational: "an")) }
                break
            }
        }
        cuts.append(SuffixCut(rest: afterPossessive, derivational: nil))
        if afterParticle != afterPossessive { cuts.append(SuffixCut(rest: afterParticle, derivational: nil)) }
        if w != afterParticle { cuts.append(SuffixCut(rest: w, derivational: nil)) }
        return cuts
    }

    private func lexiconStem(_ w: [UInt8]) -> String? {
        for cut in suffixCuts(w) {
            if cut.rest.count >= 2, roots.contains(String(decoding: cut.rest, as: UTF8.self)) {
                return String(decoding: cut.rest, as: UTF8.self)
            }
            for candidate in prefixChains(cut.rest, depth: 0, used: []) {
                if let outer = candidate.prefixes.first, let suffix = cut.derivational,
                   Self.forbiddenConfixes.contains(outer + "-" + suffix) { continue }
                if candidate.stem.count >= 2, roots.contains(String(decoding: candidate.stem, as: UTF8.self)) {
                    return String(decoding: candidate.stem, as: UTF8.self)
                }
            }
        }
        return nil
    }

    private struct PrefixChain {
        var stem: [UInt8]
        /// Prefix families removed, outermost first ("me", "pe", "be", "te", "di", "ke", "se").
        var prefixes: [String]
    }

    /// Every way of removing up to three prefixes, depth first, each removal's recodings in rule order.
    private func prefixChains(_ w: [UInt8], depth: Int, used: [String]) -> [PrefixChain] {
        guard depth < 3 else { return [] }
        var out: [PrefixChain] = []
        for option in prefixOptions(w) where !used.contains(option.family) {
            for stem in option.stems where stem.count >= 2 {
                out.append(PrefixChain(stem: stem, prefixes: used + [option.family]))
                out += prefixChains(stem, depth: depth + 1, used: used + [option.family])
            }
        }
        return out
    }

    /// The prefix rule that applies to `w`, with its candidate stems (first = the usual recoding).
    private func prefixOptions(_ w: [UInt8]) -> [(family: String, stems: [[UInt8]])] {
        func at(_ i: Int) -> UInt8 { i < w.count ? w[i] : 0 }
        func starts(_ p: String) -> Bool { w.count > p.utf8.count && w.starts(with: p.utf8) }
        func from(_ i: Int) -> [UInt8] { Array(w[min(i, w.count)...]) }
        func c(_ s: String) -> UInt8 { s.utf8.first! }
        /// ECS checks for "…er" right after a first consonant (ber-C-er, te-C-er, pe-C-er).
        func erAt(_ i: Int) -> Bool { at(i) == c("e") && at(i + 1) == c("r") }

        if starts("di") { return [("di", [from(2)])] }
        if starts("ke") { return [("ke", [from(2)])] }
        if starts("se") { return [("se", [from(2)])] }

        if starts("be") {
            if starts("belajar") { return [("be", [from(3)])] }
            if starts("ber") {
                let x = at(3)
                if isVowel(x) { return [("be", [from(3), from(2)])] }
                if x != c("r") { return [("be", [from(3)])] }
                return []
            }
            // be-C1erC2 where C1 ∉ {r, l}: bekerja → kerja, beternak → ternak
            if isConsonant(at(2)), at(2) != c("r"), at(2) != c("l"), erAt(3) { return [("be", [from(2)])] }
            return []
        }
        if starts("te") {
            if starts("ter") {
                let x = at(3)
                if isVowel(x) { return [("te", [from(3), from(2)])] }
                if x != c("r") { return [("te", [from(3)])] }
                return []
            }
            // te-C1erC2 where C1 ≠ r: teperdaya → perdaya
            if isConsonant(at(2)), at(2) != c("r"), erAt(3) { return [("te", [from(2)])] }
            return []
        }
        if starts("me") {
            let x = at(2)
            if [c("l"), c("r"), c("w"), c("y")].contains(x), isVowel(at(3)) { return [("me", [from(2)])] }
            if x == c("m") {
                let y = at(3)
                if [c("b"), c("f"), c("v")].contains(y) { return [("me", [from(3)])] }
                if y == c("p") { return [("me", [from(3)])] }        // mempunyai → punyai, memperbaiki → perbaiki
                if isVowel(y) { return [("me", [[c("p")] + from(3), from(2)])] }   // memukul → pukul, memakan → makan
                if y == c("r"), isVowel(at(4)) { return [("me", [from(2), [c("p")] + from(3)])] }
                return []
            }
            if x == c("n") {
                let y = at(3)
                if y == c("y"), isVowel(at(4)) { return [("me", [[c("s")] + from(4), from(2)])] }  // menyapu → sapu, menyanyi → nyanyi
                if y == c("g") {
                    let z = at(4)
                    if [c("g"), c("h"), c("q"), c("k")].contains(z) { return [("me", [from(4)])] }
                    if isVowel(z) {
                        var stems = [from(4), [c("k")] + from(4)]         // mengambil → ambil, mengirim → kirim
                        if z == c("e") { stems.append(from(5)) }          // mengebom → bom
                        return [("me", stems)]
                    }
                    return []
                }
                if [c("c"), c("d"), c("j"), c("s"), c("z")].contains(y) { return [("me", [from(3)])] }
                if isVowel(y) { return [("me", [[c("t")] + from(3), from(2)])] }  // menulis → tulis, menilai → nilai
                return []
            }
            return []
        }
        if starts("pe") {
            let x = at(2)
            if x == c("w") || x == c("y"), isVowel(at(3)) { return [("pe", [from(2)])] }
            if starts("pelajar") { return [("pe", [from(3)])] }
            if x == c("l") { return [("pe", [from(2)])] }
            if x == c("r") {
                let y = at(3)
                if isVowel(y) { return [("pe", [from(3), from(2)])] }
                if y != c("r") { return [("pe", [from(3)])] }
                return []
            }
            if x == c("m") {
                let y = at(3)
                if [c("b"), c("f"), c("v")].contains(y) { return [("pe", [from(3)])] }
                if isVowel(y) { return [("pe", [[c("p")] + from(3), from(2)])] }   // pemilih → pilih
                if y == c("r"), isVowel(at(4)) { return [("pe", [from(2), [c("p")] + from(3)])] }
                return []
            }
            if x == c("n") {
                let y = at(3)
                if y == c("y"), isVowel(at(4)) { return [("pe", [[c("s")] + from(4), from(2)])] }
                if y == c("g") {
                    let z = at(4)
                    if [c("g"), c("h"), c("q"), c("k")].contains(z) { return [("pe", [from(4)])] }
                    if isVowel(z) {
                        var stems = [from(4), [c("k")] + from(4)]
                        if z == c("e") { stems.append(from(5)) }
                        return [("pe", stems)]
                    }
                    return []
                }
                if [c("c"), c("d"), c("j"), c("z")].contains(y) { return [("pe", [from(3)])] }
                if isVowel(y) { return [("pe", [[c("t")] + from(3), from(2)])] }
                return []
            }
            // pe-CP, pe-CerV, pe-C1erC2 where C ∉ {r, w, y, l, m, n}: petugas → tugas, pekerja → kerja
            if isConsonant(x), ![c("r"), c("w"), c("y"), c("l"), c("m"), c("n")].contains(x) { return [("pe", [from(2)])] }
            return []
        }
        return []
    }

    // MARK: - Rule-only fallback

    /// Greedy stripping with each rule's usual recoding, never leaving a stem under two syllables.
    private func fallbackStem(_ word: [UInt8]) -> String {
        var w = word
        if let rest = strip(w, anyOf: Self.particles), syllables(rest) >= 2 { w = rest }
        if let rest = strip(w, anyOf: Self.possessives), syllables(rest) >= 2 { w = rest }

        var prefixes: [String] = []
        while prefixes.count < 2, let option = prefixOptions(w).first, !prefixes.contains(option.family),
              let next = option.stems.first, syllables(next) >= 2 {
            // Inner prefixes are only the noun/verb formers that nest (memper-, keber-, diper-, kepe-).
            if !prefixes.isEmpty, !["pe", "be", "te", "ke"].contains(option.family) { break }
            prefixes.append(option.family)
            w = next
        }

        let outer = prefixes.first
        // -kan belongs to verbs (me-, di-, ter-); nouns built with ke-/pe-/per- take -an, so
        // "kependudukan" is ke-pe-duduk-an, not ke-pe-duduk-kan.
        let nounPrefix = prefixes.contains("ke") || prefixes.contains("pe")
        for suffix in Self.derivationalSuffixes {
            guard var rest = strip(w, suffix: suffix) else { continue }
            var used = suffix
            if suffix == "kan", nounPrefix {
                rest.append(UInt8(ascii: "k"))
                used = "an"
            }
            if let outer, Self.forbiddenConfixes.contains(outer + "-" + used) { break }
            if syllables(rest) >= 2, rest.count >= 3 { w = rest }
            break
        }
        return String(decoding: w, as: UTF8.self)
    }

    // MARK: - Helpers

    static let particles = ["lah", "kah", "tah", "pun"]
    static let possessives = ["nya", "ku", "mu"]
    /// Longest first, so "-kan" is tried before "-an".
    static let derivationalSuffixes = ["kan", "an", "i"]
    /// Prefix–suffix pairs that do not occur together in Indonesian (ECS).
    static let forbiddenConfixes: Set<String> = ["be-i", "di-an", "ke-i", "ke-kan", "me-an", "se-i", "se-kan", "te-an"]

    private func strip(_ w: [UInt8], suffix: String) -> [UInt8]? {
        let s = Array(suffix.utf8)
        guard w.count > s.count + 1, w.suffix(s.count).elementsEqual(s) else { return nil }
        return Array(w.dropLast(s.count))
    }

    private func strip(_ w: [UInt8], anyOf suffixes: [String]) -> [UInt8]? {
        for s in suffixes { if let r = strip(w, suffix: s) { return r } }
        return nil
    }

    private func syllables(_ w: [UInt8]) -> Int {
        var count = 0
        var previousVowel = false
        for b in w {
            let v = isVowel(b)
            if v, !previousVowel { count += 1 }
            previousVowel = v
        }
        return count
    }
}

@inline(__always) private func isLetter(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7A }
@inline(__always) private func isVowel(_ b: UInt8) -> Bool { b == 0x61 || b == 0x65 || b == 0x69 || b == 0x6F || b == 0x75 }
@inline(__always) private func isConsonant(_ b: UInt8) -> Bool { isLetter(b) && !isVowel(b) }
