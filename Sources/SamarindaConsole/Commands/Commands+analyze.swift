import Foundation
import SamarindaCore
import SamarindaDocuments

extension ConsoleCommand {
    static let analyze = ConsoleCommand(
        name: "analyze", usage: "analyze <text>", summary: "how search reads text: words, standard forms, stems",
        help: "Each word as typed, its standard form (informal spellings and abbreviations such as 'gimana', 'yg', 'tdk' replaced) and its stem, the form search matches; stopwords are marked. Works locally and over --url (the analysis needs no data)."
    ) { console, args in
        let text = args.rest.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        guard !text.isEmpty else { throw ConsoleError("usage: analyze <text>, e.g. analyze gimana ngurus KK yg hilang") }
        let analysis = (console.backend.platform?.documents.analyzer ?? IndonesianAnalyzer()).analyzeQuery(text)
        if analysis.words.isEmpty { return .ok("No words in '\(text)'.") }
        return .ok(analysis.wordTable)
    }
}
