import Foundation

/// The parts an Indonesian public-service standard is written in (Permen PANRB 15/2014 names them:
/// persyaratan, sistem/mekanisme/prosedur, jangka waktu, biaya/tarif, penanganan pengaduan), and the
/// words people use when they ask for one. "Bagaimana mengurus akta kelahiran?" asks for the
/// procedure, whose lines rarely repeat the question's words; knowing that, search ranks a
/// "Prosedur" section of the right document first and the offline answer quotes what is under it.
public enum ServiceComponent: String, CaseIterable, Sendable {
    case requirements, procedure, duration, cost, complaints

    /// Whole words, or phrases, in a question that ask for this part.
    var questionCues: [String] {
        switch self {
        case .requirements: ["syarat", "persyaratan", "berkas", "dibawa", "membawa", "bawa", "lampiran", "dokumen apa"]
        case .procedure: ["bagaimana", "cara", "prosedur", "langkah", "alur", "mekanisme", "tahapan", "urus", "mengurus", "diurus"]
        case .duration: ["berapa lama", "jangka waktu", "waktu penyelesaian", "berapa hari", "kapan selesai"]
        case .cost: ["biaya", "tarif", "bayar", "membayar", "dibayar", "gratis", "retribusi", "harga"]
        case .complaints: ["mengadu", "aduan", "pengaduan", "keluhan", "mengeluh", "melapor", "laporan", "lapor"]
        }
    }

    /// Words, or phrases, in a section heading that mark this part.
    var headingCues: [String] {
        switch self {
        case .requirements: ["persyaratan", "syarat"]
        case .procedure: ["prosedur", "tata cara", "alur", "langkah", "mekanisme", "cara"]
        case .duration: ["jangka waktu", "waktu penyelesaian", "waktu pelayanan"]
        case .cost: ["biaya", "tarif", "retribusi", "pembayaran"]
        case .complaints: ["pengaduan", "laporan"]
        }
    }

    /// The words service standards and regional regulations use for what a service costs.
    public static let costVocabulary = ["biaya", "tarif", "retribusi", "pembayaran"]

    /// The parts `question` asks for (often none).
    public static func asked(in question: String) -> Set<ServiceComponent> {
        let text = normalized(question)
        return Set(allCases.filter { c in c.questionCues.contains { contains(text, $0) } })
    }

    /// The parts a section heading (or heading path "BAB II > Pasal 5") names.
    public static func named(byHeading heading: String) -> Set<ServiceComponent> {
        let text = normalized(heading)
        return Set(allCases.filter { c in c.headingCues.contains { contains(text, $0) } })
    }

    /// Lowercased words separated by single spaces, padded, so cues match whole words only.
    private static func normalized(_ text: String) -> String {
        let words = text.lowercased().split { !$0.isLetter && !$0.isNumber }
        return " " + words.joined(separator: " ") + " "
    }

    private static func contains(_ normalizedText: String, _ cue: String) -> Bool {
        normalizedText.contains(" " + cue + " ")
    }
}
