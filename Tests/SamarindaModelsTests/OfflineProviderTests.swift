import Foundation
import SamarindaCore
import Testing
@testable import SamarindaModels

@Suite("Offline extractive provider")
struct OfflineProviderTests {
    static let passages = [
        Passage(documentID: 1, chunkID: 11, collection: "disdukcapil", title: "Syarat KTP-el", section: "Bab II",
                text: "Pemohon KTP-el wajib berusia 17 tahun. Persyaratan KTP-el adalah fotokopi Kartu Keluarga. Pelayanan buka pukul 08.00.",
                classification: .biasa, score: 3),
        Passage(documentID: 2, chunkID: 21, collection: "dinkes", title: "Jadwal Posyandu", section: "",
                text: "Posyandu dibuka setiap Selasa. Imunisasi balita gratis.", classification: .biasa, score: 1),
    ]
    let ctx = ModelCallContext(principal: Fixture.staff, passages: OfflineProviderTests.passages)

    @Test func answersWithTheMostRelevantSentencesAndCitations() async throws {
        let router = Fixture.router(Fixture.config([], alias: ["offline"]))
        let answer = try await router.chat(Fixture.ask("Apa persyaratan membuat KTP-el?"), context: ctx)
        let text = try #require(answer.message.content)
        #expect(text.hasPrefix("Mode luring (ekstraktif)"))
        #expect(text.contains("Persyaratan KTP-el adalah fotokopi Kartu Keluarga. [1]"))
        #expect(text.contains("[1] Syarat KTP-el — Bab II"))
        #expect(!text.contains("Posyandu"))
        #expect(answer.provider == "offline")
        #expect(answer.model == "extractive")
    }

    /// Asked for requirements, the answer is the list under the matching heading (whose items share
    /// no word with the question), not the heading alone; the document title line is not repeated.
    @Test func aMatchingHeadingBringsTheListUnderIt() async throws {
        let ktp = Passage(documentID: 8, chunkID: 46, collection: "layanan-disdukcapil", title: "Standar Pelayanan KTP-el",
                          section: "Persyaratan Pembuatan KTP-el Baru",
                          text: "Persyaratan Pembuatan KTP-el Baru\n1. Telah berusia 17 tahun, sudah kawin, atau pernah kawin.\n2. Kartu Keluarga (KK) yang memuat data pemohon.\n3. Hadir sendiri untuk perekaman data biometrik.",
                          classification: .biasa, score: 9)
        let intro = Passage(documentID: 8, chunkID: 44, collection: "layanan-disdukcapil", title: "Standar Pelayanan KTP-el", section: "",
                            text: "Standar Pelayanan KTP-el\nKTP-el diterbitkan oleh Disdukcapil Kota Samarinda.", classification: .biasa, score: 4)
        let text = OfflineProvider().answer(question: "Apa syarat membuat KTP-el baru?", passages: [ktp, intro])
        #expect(text.contains("Persyaratan Pembuatan KTP-el Baru [1]:\n1. Telah berusia 17 tahun, sudah kawin, atau pernah kawin.\n2. Kartu Keluarga (KK) yang memuat data pemohon.\n3. Hadir sendiri"), "\(text)")
        #expect(!text.contains("Standar Pelayanan KTP-el [2]"), "\(text)")
        #expect(TextAnalysis.sentences("1. Telah berusia 17 tahun. 2. KK asli.") == ["1. Telah berusia 17 tahun.", "2. KK asli."])
    }

    /// "Bagaimana…" asks for a procedure: the Prosedur section of the document about the question is
    /// quoted even though its heading shares no word with the question; another document's
    /// Prosedur section is not.
    @Test func aQuestionForAProcedureQuotesTheProcedureSection() async throws {
        let akta = Passage(documentID: 6, chunkID: 35, collection: "layanan-disdukcapil", title: "Standar Pelayanan Akta Kelahiran", section: "Prosedur",
                           text: "Prosedur\n1. Pelapor mengisi formulir pelaporan kelahiran.\n2. Petugas memverifikasi data.\n3. Kutipan akta kelahiran diterbitkan.",
                           classification: .biasa, score: 8)
        let pbg = Passage(documentID: 13, chunkID: 70, collection: "layanan-dpmptsp", title: "Persetujuan Bangunan Gedung", section: "Prosedur",
                          text: "Prosedur\n1. Pemohon mendaftar pada SIMBG.", classification: .biasa, score: 3)
        let text = OfflineProvider().answer(question: "Bagaimana mengurus akta kelahiran?", passages: [akta, pbg])
        #expect(text.contains("Prosedur [1]:\n1. Pelapor mengisi formulir pelaporan kelahiran.\n2. Petugas memverifikasi data.\n3. Kutipan"), "\(text)")
        #expect(!text.contains("SIMBG"), "\(text)")
    }

    @Test func saysPlainlyWhenThereAreNoDocuments() async throws {
        let router = Fixture.router(Fixture.config([], alias: ["offline"]))
        let answer = try await router.chat(Fixture.ask("Apa syarat KTP-el?"), context: ModelCallContext(principal: Fixture.staff))
        #expect(answer.message.content?.contains("Tidak ditemukan dokumen yang relevan") == true)
    }

    @Test func streamsTheSameAnswer() async throws {
        let router = Fixture.router(Fixture.config([], alias: ["offline"]))
        let whole = try await router.chat(Fixture.ask("kapan posyandu dibuka?"), context: ctx)
        let events = await router.stream(Fixture.ask("kapan posyandu dibuka?"), context: ctx).collect()
        #expect(events.text == whole.message.content)
        #expect(events.text.contains("Posyandu dibuka setiap Selasa. [2]"))
        #expect(events.last == .finish(reason: "stop"))
    }

    @Test func localEmbeddingsAreDeterministicAndTopical() async throws {
        let router = Fixture.router(Fixture.config([], alias: ["offline"]))
        let e = try await router.embed(EmbeddingRequest(model: "test", input: ["syarat membuat KTP-el", "persyaratan KTP-el", "jadwal posyandu balita"]), context: ctx)
        #expect(e.vectors.count == 3)
        #expect(e.vectors[0].count == LocalEmbedding.dimensions)
        func cos(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(cos(e.vectors[0], e.vectors[1]) > cos(e.vectors[0], e.vectors[2]))
        #expect(LocalEmbedding.embed("syarat membuat KTP-el") == e.vectors[0])
    }
}
