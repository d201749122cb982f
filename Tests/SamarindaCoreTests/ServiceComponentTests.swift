import Testing
@testable import SamarindaCore

@Suite struct ServiceComponentTests {
    @Test(arguments: [
        ("Bagaimana mengurus akta kelahiran?", [ServiceComponent.procedure]),
        ("Berapa biaya membuat KTP-el?", [.cost]),
        ("Apa syarat membuat KK baru?", [.requirements]),
        ("Berapa lama PBG selesai?", [.duration]),
        ("Ke mana saya mengadu soal pungutan?", [.complaints]),
        ("Apakah KTP lama masih berlaku?", []),           // "lama" alone is "old", not a duration
        ("Siapa kepala dinas?", []),
    ])
    func questionsAskForTheirPart(_ question: String, _ parts: [ServiceComponent]) {
        #expect(ServiceComponent.asked(in: question) == Set(parts), "\(question)")
    }

    @Test func headingsNameTheirPart() {
        #expect(ServiceComponent.named(byHeading: "Persyaratan Pembuatan (Penerbitan) KTP-el Baru") == [.requirements])
        #expect(ServiceComponent.named(byHeading: "Prosedur") == [.procedure])
        #expect(ServiceComponent.named(byHeading: "BAB III > Tata Cara Pembayaran") == [.procedure, .cost])
        #expect(ServiceComponent.named(byHeading: "Dasar Hukum").isEmpty)
        #expect(ServiceComponent.named(byHeading: "Biayanya").isEmpty, "whole words only")
    }
}
