import Foundation

// {====== Plain verdicts ======}
//
// One paragraph an auditor can quote in a report: what was checked (the range of events and their
// dates in WITA, with the zone written), against which key (its readable fingerprint), the tree size
// and root in the same base64 the checkpoint note carries, each witness by file and size, and, on
// failure, the first event that cannot be trusted and what happened to it. Bahasa Indonesia by
// default (the Inspektorat's language), English with `--lang en`.

public enum VerdictLanguage: String, Sendable, CaseIterable {
    case id, en
}

extension NoteVerifierKey {
    /// SHA-256 of the key's text form, first 16 bytes, in eight groups of four: short enough to read
    /// out over the telephone or print on the handover letter, long enough that no other key matches.
    public var fingerprint: String {
        let digest = sha256(Array(description.utf8)).prefix(16)
        let text = hex(Array(digest)).uppercased()
        return stride(from: 0, to: text.count, by: 4).map { i -> String in
            let start = text.index(text.startIndex, offsetBy: i)
            return String(text[start..<text.index(start, offsetBy: 4)])
        }.joined(separator: " ")
    }
}

extension AuditVerdict {
    public enum Status: String, Sendable { case verified, incomplete, failed }

    /// Failed: a problem or a removed guard. Incomplete: nothing wrong found, but a witness could not be checked.
    public var status: Status {
        if problem != nil || !missingTriggers.isEmpty { return .failed }
        return uncheckedWitnesses.isEmpty ? .verified : .incomplete
    }

    /// The root as the checkpoint note writes it (base64), so the two can be compared by eye.
    public var rootBase64: String { Data(rootHash).base64EncodedString() }

    /// The readable fingerprint of the key checked against (empty when it does not parse).
    public var keyFingerprint: String { (try? NoteVerifierKey(parsing: key))?.fingerprint ?? "" }

    /// The verdict as one paragraph (see the section comment).
    public func paragraph(_ lang: VerdictLanguage = .id) -> String {
        let id = lang == .id
        var parts: [String] = []
        var range: String
        if eventsChecked == 0 && problem == nil {
            range = id ? "jejak belum berisi peristiwa" : "the trail holds no events yet"
        } else {
            range = id ? "peristiwa #\(firstSeq)–#\(treeSize)" : "events #\(firstSeq)–#\(treeSize)"
        }
        if let first = firstTime {
            let last = lastTime ?? first
            range += " (" + AuditTime.wita(first) + (id ? " s.d. " : " to ") + AuditTime.wita(last) + ")"
        }
        switch status {
        case .verified:
            parts.append(id ? "Jejak audit TERVERIFIKASI: \(range)." : "Audit trail verified: \(range).")
        case .incomplete:
            parts.append(id ? "Jejak audit BELUM TERVERIFIKASI SEPENUHNYA: \(range) cocok, tetapi tidak semua checkpoint saksi dapat diperiksa."
                            : "Audit trail NOT FULLY VERIFIED: \(range) check out, but not every witness checkpoint could be checked.")
        case .failed where problem != nil:
            // The range checked ends at the first bad event: named in the next sentence.
            parts.append(id ? "Jejak audit GAGAL diverifikasi." : "Audit trail FAILED verification.")
        case .failed:
            parts.append(id ? "Jejak audit GAGAL diverifikasi: \(range) cocok, tetapi perlindungannya dirusak."
                            : "Audit trail FAILED verification: \(range) check out, but its protection was tampered with.")
        }
        if let problem {
            let at = problem.seq
            let kind = id ? problem.kind.penjelasan : problem.kind.explanation
            if let through = problem.through, through > at {
                parts.append(id ? "Peristiwa pertama yang tidak dapat dipercaya terletak di antara #\(at) dan #\(through): \(kind)."
                                : "The first event that cannot be trusted lies between #\(at) and #\(through): \(kind).")
            } else {
                parts.append(id ? "Peristiwa pertama yang tidak dapat dipercaya: #\(at), \(kind)."
                                : "The first event that cannot be trusted: #\(at), \(kind).")
            }
            if at > firstSeq {
                parts.append(id ? "Peristiwa #\(firstSeq)–#\(at - 1) utuh." : "Events #\(firstSeq)–#\(at - 1) are intact.")
            }
            if !id { parts.append(problem.detail) }
        }
        if !missingTriggers.isEmpty {
            let names = missingTriggers.joined(separator: ", ")
            parts.append(id ? "Pemicu append-only \(names) telah dihapus dari basis data: perubahan tidak lagi ditolak; pulihkan dari cadangan dan selidiki siapa yang menghapusnya."
                            : "The append-only triggers \(names) were removed from the database: edits are no longer refused; restore from a backup and find out who removed them.")
        }
        let keyText = keyChain.count > 1
            ? (id ? "rantai \(keyChain.count) kunci (rotasi diikuti), kunci terpercaya \(key)" : "a chain of \(keyChain.count) keys (rotation followed), trusted key \(key)")
            : key
        parts.append(id ? "Kunci: \(keyText), sidik jari \(keyFingerprint); \(checkpointsChecked) checkpoint bertanda tangan diperiksa; ukuran pohon \(treeSize), akar \(rootBase64) (base64, seperti dalam catatan checkpoint)."
                        : "Key: \(keyText), fingerprint \(keyFingerprint); \(checkpointsChecked) signed checkpoints checked; tree size \(treeSize), root \(rootBase64) (base64, as in the checkpoint note).")
        if problem == nil, unsignedEvents > 0 {
            parts.append(id ? "\(unsignedEvents) peristiwa terakhir terantai tetapi belum dicakup checkpoint ('samarinda audit checkpoint' menandatanganinya)."
                            : "The last \(unsignedEvents) events are chained but not yet covered by a checkpoint ('samarinda audit checkpoint' signs them).")
        }
        for w in witnesses {
            let name = w.source.hasPrefix(Witness.sourcePrefix) ? String(w.source.dropFirst(Witness.sourcePrefix.count)) : w.source
            switch w.state {
            case .matched:
                parts.append(id ? "Saksi \(name) (ukuran \(w.size)): cocok." : "Witness \(name) (size \(w.size)): matches.")
            case .mismatched:
                parts.append(id ? "Saksi \(name) (ukuran \(w.size)): TIDAK cocok — jejak ditulis ulang dan ditandatangani lagi sejak saksi ini diterima."
                                : "Witness \(name) (size \(w.size)): does NOT match — the trail was rewritten and signed again since this witness was taken.")
            case .unchecked:
                parts.append(id ? "Saksi \(name) (ukuran \(w.size)): TIDAK diperiksa — lebih tua dari peristiwa pertama ekspor; ekspor tanpa --since untuk memeriksanya."
                                : "Witness \(name) (size \(w.size)): NOT checked — older than the export's first event; export without --since to check it.")
            }
        }
        return parts.joined(separator: " ")
    }
}

extension AuditVerdict.Tampering {
    /// The explanation in Bahasa Indonesia.
    public var penjelasan: String {
        switch self {
        case .edited: "diubah (isi atau hash peristiwa tidak lagi cocok dengan rantainya)"
        case .deleted: "dihapus (ada celah pada nomor urut)"
        case .reordered: "diurutkan ulang (peristiwa dipindah atau ditukar)"
        case .truncated: "dipotong (peristiwa sesudahnya hilang, padahal tercakup checkpoint bertanda tangan)"
        case .rewritten: "ditulis ulang (peristiwa diubah dan hash-nya dihitung ulang: akar yang ditandatangani tidak lagi cocok)"
        case .badSignature: "tanda tangan checkpoint tidak sah (checkpoint diubah)"
        case .unknownKey: "checkpoint ditandatangani kunci yang tidak dikenal"
        }
    }
}
