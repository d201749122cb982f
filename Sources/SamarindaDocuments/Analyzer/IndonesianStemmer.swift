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
// - The later refinements Sastrawi documents in its published tests (MIT): the nasal recodings tried
//   in the order meN+V → nV before tV, meny+V → nyV before sV, meng+V → V, kV, ngV; the infixes
//   -er- -el- -em- -in- (rerata, kinerja); the proclitics ku- and kau-; the foreign suffixes -is,
//   -isme and -isasi (idealisme, digitalisasi).
//
// Those algorithms rely on a full dictionary of root words. The usual one carries a non-commercial
// licence, so the lexicon is our own list of the city's vocabulary plus the roots of Debian's
// Indonesian Hunspell dictionary (LGPL-3; RootWords.swift, hunspell-*.txt), where a root that
// takes affixes beats one that never does (mengupas → kupas, not upas). When no candidate is in it we
// fall back to a rule-only decision (in the spirit of Tala's 2003 Porter-style stemmer for
// Indonesian): strip affixes greedily with the rule table's first recoding, and never leave a
// stem of fewer than two syllables. For retrieval what matters most is that a query word and a
// document word with the same root reach the same stem, which both paths keep.

/// A rule-based stemmer for Bahasa Indonesia (confix stripping with a lexicon of roots).
public struct IndonesianStemmer: Sendable {
    public let roots: Set<String>
    /// Roots that take no affixes: a word equal to one stays whole, but as the root of an affixed
    /// word one is taken only when no `roots` entry fits.
    public let bareRoots: Set<String>

    public init(roots: Set<String> = RootWords.primary, bareRoots: Set<String> = RootWords.bare) {
        self.roots = roots
        self.bareRoots = bareRoots
    }

    /// The stem of one lowercase, accent-folded word. Words that are not plain ASCII letters
    /// (numbers, codes such as "pbb-p2") are returned unchanged.
    public func stem(_ word: String) -> String {
        analyze(word).stem
    }

    /// The stem, and whether it was found in the lexicon (false: the rule-only fallback decided,
    /// or the word was left alone). Query understanding uses `known` to spot likely typos.
    public func analyze(_ word: String) -> (stem: String, known: Bool) {
        let w = Array(word.utf8)
        guard w.count > 3, w.allSatisfy(isLetter) else { return (word, roots.contains(word) || bareRoots.contains(word)) }
        if roots.contains(word) { return (word, true) }
        // Hunspell lists some suffixed words as flagless entries (belikan, apatah, idealisme): such a word
        // loses its suffix when what remains is a root that takes affixes, and otherwise stays whole.
        // Prefixes and infixes are not stripped from these: beringin, belerang, bikini are words.
        if bareRoots.contains(word) { return (suffixOnlyStem(w) ?? word, true) }
        if let found = lexiconStem(w) { return (found, true) }
        return (fallbackStem(w), false)
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

    /// The root `candidate` stands for, if any: itself, or itself without a foreign suffix
    /// (-isasi, -isme, -is: digitalisasi → digital). `strong` is false for a bare root.
    private func lookup(_ candidate: [UInt8]) -> (root: String, strong: Bool)? {
        guard candidate.count >= 2 else { return nil }
        let s = String(decoding: candidate, as: UTF8.self)
        if roots.contains(s) { return (s, true) }
        if bareRoots.contains(s) { return (s, false) }
        for suffix in Self.foreignSuffixes {
            if let rest = strip(candidate, suffix: suffix), rest.count >= 4 {
                let r = String(decoding: rest, as: UTF8.self)
                if roots.contains(r) { return (r, true) }
                if bareRoots.contains(r) { return (r, false) }
            }
        }
        return nil
    }

    /// The first candidate, in the algorithm's order, that is a root; a root that takes affixes wins
    /// over an earlier bare one. Infixes (-er- -el- -em- -in-) are tried last.
    private func suffixOnlyStem(_ w: [UInt8]) -> String? {
        // Only endings that are rarely part of a root: naskah, paskah, durian, esai, emisi are words,
        // not nas-kah, duri-an, esa-i.
        for suffix in Self.bareWordSuffixes {
            if let rest = strip(w, suffix: suffix), rest.count >= 3 {
                let minimum = Self.foreignSuffixes.contains(suffix) ? 4 : 3
                if rest.count >= minimum, roots.contains(String(decoding: rest, as: UTF8.self)) { return String(decoding: rest, as: UTF8.self) }
            }
        }
        return nil
    }

    private func lexiconStem(_ w: [UInt8]) -> String? {
        var weak: String?
        var cuts = suffixCuts(w)
        // Sastrawi's precedence: for the confixes be-…-lah, be-…-an and di-/me-/pe-/te-…-i the prefix goes
        // first (dimulai → mulai, not mula; terabai → abai), so the whole word is tried before its cuts.
        if Self.prefixFirst(w), let whole = cuts.firstIndex(where: { $0.rest == w }) {
            cuts.insert(cuts.remove(at: whole), at: 0)
        }
        func consider(_ candidate: [UInt8]) -> String? {
            guard let hit = lookup(candidate) else { return nil }
            if hit.strong { return hit.root }
            if weak == nil { weak = hit.root }
            return nil
        }
        for cut in cuts {
            if let r = consider(cut.rest) { return r }
            for candidate in prefixChains(cut.rest, depth: 0, used: []) {
                if let outer = candidate.prefixes.first, let suffix = cut.derivational,
                   Self.forbiddenConfixes.contains(outer + "-" + suffix) { continue }
                if let r = consider(candidate.stem) { return r }
            }
        }
        if let weak { return weak }
        // Infixes: C-er-V, C-el-V, C-em-V, C-in-V after the first consonant (rerata → rata, kinerja → kerja).
        for cut in suffixCuts(w) where cut.rest.count >= 6 && isConsonant(cut.rest[0]) {
            let infix = (cut.rest[1], cut.rest[2])
            guard Self.infixes.contains(where: { $0 == infix }) else { continue }
            if let hit = lookup([cut.rest[0]] + cut.rest[3...]) { return hit.root }
        }
        return nil
    }

    private struct PrefixChain {
        var stem: [UInt8]
        /// Prefix families removed, outermost first ("me", "pe", "be", "te", "di", "ke", "se", "ku").
        var prefixes: [String]
    }

    /// Every way of removing up to three prefixes, depth first, each removal's recodings in rule order.
    private func prefixChains(_ w: [UInt8], depth: Int, used: [String]) -> [PrefixChain] {
        guard depth < 3 else { return [] }
        var out: [PrefixChain] = []
        for option in prefixOptions(w, proclitics: depth == 0) where !used.contains(option.family) {
            for stem in option.stems where stem.count >= 2 {
                out.append(PrefixChain(stem: stem, prefixes: used + [option.family]))
                out += prefixChains(stem, depth: depth + 1, used: used + [option.family])
            }
        }
        return out
    }

    /// One prefix rule that applies to a word: its candidate stems in the order the lexicon search
    /// tries them, and the one the rule-only fallback takes (the recoding most words follow).
    private struct PrefixOption {
        var family: String
        var stems: [[UInt8]]
        var usual: [UInt8]?
        init(_ family: String, _ stems: [[UInt8]], usual: [UInt8]? = nil) {
            self.family = family
            self.stems = stems
            self.usual = usual ?? stems.first
        }
    }

    /// The prefix rules that apply to `w`. `proclitics`: also ku-/kau- (kupukul, kauhajar), which
    /// only the lexicon search uses and only outermost.
    private func prefixOptions(_ w: [UInt8], proclitics: Bool = false) -> [PrefixOption] {
        func at(_ i: Int) -> UInt8 { i < w.count ? w[i] : 0 }
        func starts(_ p: String) -> Bool { w.count > p.utf8.count && w.starts(with: p.utf8) }
        func from(_ i: Int) -> [UInt8] { Array(w[min(i, w.count)...]) }
        func c(_ s: String) -> UInt8 { s.utf8.first! }
        /// ECS checks for "…er" right after a first consonant (ber-C-er, te-C-er, pe-C-er).
        func erAt(_ i: Int) -> Bool { at(i) == c("e") && at(i + 1) == c("r") }

        if starts("di") { return [PrefixOption("di", [from(2)])] }
        if starts("ke") { return [PrefixOption("ke", [from(2)])] }
        if starts("se") { return [PrefixOption("se", [from(2)])] }
        if proclitics {
            if starts("kau") { return [PrefixOption("ku", [from(3)])] }
            if starts("ku") { return [PrefixOption("ku", [from(2)])] }
        }

        if starts("be") {
            if w.starts(with: "belajar".utf8) { return [PrefixOption("be", [from(3)])] }
            if starts("ber") {
                let x = at(3)
                if isVowel(x) { return [PrefixOption("be", [from(3), from(2)])] }
                if x != c("r") { return [PrefixOption("be", [from(3)])] }
                return []
            }
            // be-C1erC2 where C1 ∉ {r, l}: bekerja → kerja, beternak → ternak
            if isConsonant(at(2)), at(2) != c("r"), at(2) != c("l"), erAt(3) { return [PrefixOption("be", [from(2)])] }
            return []
        }
        if starts("te") {
            if starts("ter") {
                let x = at(3)
                if isVowel(x) { return [PrefixOption("te", [from(3), from(2)])] }
                if x != c("r") { return [PrefixOption("te", [from(3)])] }
                return []
            }
            // te-C1erC2 where C1 ≠ r: teperdaya → perdaya
            if isConsonant(at(2)), at(2) != c("r"), erAt(3) { return [PrefixOption("te", [from(2)])] }
            return []
        }
        if starts("me") || starts("pe") {
            let family = starts("me") ? "me" : "pe"
            let x = at(2)
            if family == "pe" {
                if x == c("w") || x == c("y"), isVowel(at(3)) { return [PrefixOption("pe", [from(2)])] }
                if w.starts(with: "pelajar".utf8) { return [PrefixOption("pe", [from(3)])] }
                if x == c("l") { return [PrefixOption("pe", [from(2)])] }
                if x == c("r") {
                    let y = at(3)
                    if isVowel(y) { return [PrefixOption("pe", [from(3), from(2)])] }
                    if y != c("r") { return [PrefixOption("pe", [from(3)])] }
                    return []
                }
            } else if [c("l"), c("r"), c("w"), c("y")].contains(x), isVowel(at(3)) {
                return [PrefixOption("me", [from(2)])]
            }
            if x == c("m") {
                let y = at(3)
                if [c("b"), c("f"), c("v")].contains(y) { return [PrefixOption(family, [from(3)])] }
                if family == "me", y == c("p") { return [PrefixOption("me", [from(3)])] }   // mempunyai, memperbaiki, mempengaruhi
                // meminum → minum before memukul → pukul (Sastrawi's order); most unknown words are the p- kind.
                if isVowel(y) { return [PrefixOption(family, [from(2), [c("p")] + from(3)], usual: [c("p")] + from(3))] }
                if y == c("r"), isVowel(at(4)) { return [PrefixOption(family, [from(2), [c("p")] + from(3)])] }
                return []
            }
            if x == c("n") {
                let y = at(3)
                // menyanyi → nyanyi before menyapu → sapu; penyawaan → nyawa
                if y == c("y"), isVowel(at(4)) { return [PrefixOption(family, [from(2), [c("s")] + from(4)], usual: [c("s")] + from(4))] }
                if y == c("g") {
                    let z = at(4)
                    if [c("g"), c("h"), c("q"), c("k")].contains(z) { return [PrefixOption(family, [from(4)])] }
                    if isVowel(z) {
                        var stems = [from(4), [c("k")] + from(4)]         // mengambil → ambil, mengirim → kirim
                        // menge-/penge- before a one-syllable root: mengebom → bom, pengesahan → sah (not kesah)
                        if z == c("e") { stems.insert(from(5), at: syllables(from(5)) == 1 ? 1 : 2) }
                        stems.append(from(2))                             // menganga → nganga
                        return [PrefixOption(family, stems)]
                    }
                    return []
                }
                if [c("c"), c("d"), c("j"), c("s"), c("z")].contains(y) { return [PrefixOption(family, [from(3)])] }
                // Loan words keep their t: mentaati, pentranskripsi.
                if y == c("t") { return [PrefixOption(family, [from(3)])] }
                // menuklir → nuklir before menulis → tulis; unknown words are usually the t- kind.
                if isVowel(y) { return [PrefixOption(family, [from(2), [c("t")] + from(3)], usual: [c("t")] + from(3))] }
                return []
            }
            // pe-CP, pe-CerV, pe-C1erC2 where C ∉ {r, w, y, l, m, n}: petugas → tugas, pekerja → kerja
            if family == "pe", isConsonant(x), ![c("r"), c("w"), c("y"), c("l"), c("m"), c("n")].contains(x) {
                return [PrefixOption("pe", [from(2)])]
            }
            return []
        }
        return []
    }

    private static func prefixFirst(_ w: [UInt8]) -> Bool {
        guard w.count > 4 else { return false }
        let head = (w[0], w[1])
        let be = head == (0x62, 0x65)
        if be, w.last == 0x6E, w[w.count - 2] == 0x61 { return true }                            // be-…-an
        if be, w.count > 5, w.suffix(3).elementsEqual("lah".utf8) { return true }                 // be-…-lah
        let dmpt = [0x64, 0x6D, 0x70, 0x74].contains(head.0) && (head.1 == 0x65 || (head.0 == 0x64 && head.1 == 0x69))
        return dmpt && w.last == 0x69                                                              // di-/me-/pe-/te-…-i
    }

    // MARK: - Rule-only fallback

    /// Greedy stripping with each rule's usual recoding, never leaving a stem under two syllables.
    private func fallbackStem(_ word: [UInt8]) -> String {
        var w = word
        if let rest = strip(w, anyOf: Self.particles), syllables(rest) >= 2 { w = rest }
        if let rest = strip(w, anyOf: Self.possessives), syllables(rest) >= 2 { w = rest }

        var prefixes: [String] = []
        while prefixes.count < 2, let option = prefixOptions(w).first, !prefixes.contains(option.family),
              let next = option.usual, syllables(next) >= 2 {
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
            // Loan words in -asi, -isi, -usi, -esi, -osi end in i without the suffix (validasi, retribusi).
            if suffix == "i", rest.last == 0x73, rest.count >= 2, isVowel(rest[rest.count - 2]) { break }
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
    /// Suffixes of adopted words, longest first; removed only when a root remains (idealisme → ideal).
    static let foreignSuffixes = ["isasi", "isme", "is"]
    static let bareWordSuffixes = ["isasi", "isme", "is", "pun", "tah", "nya", "kan"]
    static let infixes: [(UInt8, UInt8)] = [(0x65, 0x72), (0x65, 0x6C), (0x65, 0x6D), (0x69, 0x6E)]   // er el em in

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
