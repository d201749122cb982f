import Foundation
import Testing
@testable import SamarindaModels

/// Personal data as clerks really write it (issue 17): Unicode spaces and punctuation, labels glued
/// to the number or separated by punctuation, digit groups, tables, JSON, URLs; the identifiers of
/// Indonesian government work; and look-alikes of each that must pass unchanged.
@Suite("PII in real Indonesian text")
struct PIIRealTextTests {
    let redactor = PIIRedactor()
    static let nik = PIIRedactorTests.nikMale
    static let nikGroups = "6472 0115 0890 0001"

    func kinds(_ text: String) -> [PIIKind] { redactor.findings(in: text).map(\.kind) }
    func redacted(_ text: String) throws -> String { try redactor.redact(text).text }

    @Test(arguments: [
        "NIK\(nik)", "NIK:\(nik)", "NIK=\(nik)", "NIK.\(nik)", "NIK-\(nik)", "NIK/\(nik)", "NIK#\(nik)", "nik : \(nik)",
        "NIK\u{00A0}\(nik)", "NIK “\(nik)”", "NIK (\(nik))", "[\(nik)]", "NIK \(nikGroups)", "NIK 6472-0115-0890-0001",
        "NIK 6472.0115.0890.0001", "\(nik)\nnama: Budi", "| Budi | \(nik) |", "{\"nik\":\"\(nik)\"}", "cek?nik=\(nik)&x=1",
        "Subject: Re: NIK \(nik) mendesak", "NIK ６４７２０１１５０８９００００１", "NIK 6472\u{202F}0115\u{202F}0890\u{202F}0001",
        "NIK 6472\u{200B}011508900001", "NIK 6472–0115–0890–0001", "{\"q\": \"NIK\\u00a0\(nik)\"}",
    ])
    func nikInEveryWritingForm(_ text: String) throws {
        let r = try redactor.redact(text)
        #expect((r.counts[.nik] ?? 0) + (r.counts[.npwp] ?? 0) >= 1, "\(text.debugDescription) → \(r.text.debugDescription)")
        #expect(PIIHarness.leaks(PIIHarness.Case(identifier: "NIK", context: "", text: text, written: Self.nik, digits: Self.nik, valid: true), in: r.text) == false,
                "\(text.debugDescription) → \(r.text.debugDescription)")
    }

    @Test func redactionCutsTheOriginalTextAndRestoresItExactly() throws {
        // The value is cut out of the original bytes (NBSP, full-width digits and all) and comes back as written.
        let text = "Nomor\u{00A0}NIK：６４７２０１１５０８９００００１。HP\u{00A0}(0812)\u{00A0}3456‑7890."
        let r = try redactor.redact(text)
        #expect(r.text == "Nomor\u{00A0}NIK：[NIK_1]。HP\u{00A0}[TELEPON_1].")
        #expect(r.mapping["[NIK_1]"] == "６４７２０１１５０８９００００１")
        #expect(r.mapping["[TELEPON_1]"] == "(0812)\u{00A0}3456‑7890")
        var session = PIIRedactionSession()
        let sent = try session.redact(text)
        #expect(session.restore(sent) == text)
    }

    @Test(arguments: ["(0812) 3456-7890", "0812.3456.7890", "+62-812-3456-7890", "+62 (812) 3456 7890", "+62 812‑3456‑7890", "HP0812 3456 7890",
                      "WA:081234567890", "62 812 3456 7890"])
    func phonesInTheirWrittenForms(_ text: String) throws {
        #expect(kinds(text) == [.phone], "\(text)")
        #expect(!(try redacted(text)).contains("3456"), "\(text)")
    }

    @Test func newIdentifiersOfGovernmentWork() throws {
        #expect(kinds("NIP 198503122010011002") == [.nip])
        #expect(kinds("NIP. 19850312 201001 1 002") == [.nip])
        #expect(kinds("pegawai 198503122010011002 hadir") == [.nip])
        #expect(kinds("NPWP 0013121660091000") == [.npwp])
        #expect(kinds("NPWP baru \(Self.nik)") == [.npwp], "the 16-digit NPWP is the NIK")
        #expect(kinds("No. BPJS Kesehatan: 0001234567890") == [.bpjsKesehatan])
        #expect(kinds("No. KIS 0001 2345 6789 0") == [.bpjsKesehatan])
        #expect(kinds("BPJS Ketenagakerjaan 19012345678") == [.bpjsKetenagakerjaan])
        #expect(kinds("No. KPJ: 19012345678") == [.bpjsKetenagakerjaan])
        #expect(kinds("No. SIM 1234-5678-9012") == [.sim])
        #expect(kinds("kartu 4111 1111 1111 1111 berlaku") == [.card])
        #expect(kinds("dibayar dengan 5500-0000-0000-0004") == [.card])
        #expect(kinds("mobil KT 1234 AB parkir") == [.plate])
        #expect(kinds("motor KT1234AB dan B-1-XYZ") == [.plate, .plate])
        #expect(kinds("nopol B 1234") == [.plate])
        #expect(kinds("Alamat: Jl. Cendana No. 12 RT 003 RW 005, Kel. Sidodadi") == [.address])
        #expect(try redacted("Jl. Cendana No. 12 RT.03/RW.05 Samarinda") == "[ALAMAT_1] Samarinda")
        #expect(kinds("tinggal di rt 3 / rw 5") == [.address])
        #expect(kinds("RT/RW 003/005") == [.address])
    }

    @Test func lookAlikesOfTheNewIdentifiersAreLeftAlone() throws {
        let texts = [
            "NIP 198513122010011002",          // month 13
            "NIP 198503122010013002",          // sex 3
            "NIP 198503121990011002",          // appointed at 5
            "NIP 198503122010011000",          // serial 000
            "kartu 4111 1111 1111 1112",       // Luhn fails
            "nomor 1234 5678 9012 3456",       // no issuer prefix, no label
            "No. BPJS 000123456",              // too short
            "No. SIM 12345",                   // too short
            "ZZ 1234 AB", "KT 12345 AB", "KT 0123 AB", "B 1234", "PP 71 TAHUN 2019", "UU 27 TAHUN 2022",
            "hasil RT-PCR 2 kali", "RT 1234 RW 5", "Pasal 5 ayat 2",
            "Rp 1.250.000,00 dibayar 12-08-2024 pukul 08.00", "tahun 2024 nomor 0541 741234",
            "kode 99.71.08.080807.0132", "950700 081074 0730", "NPWP：０８．７３２．１４９．７－７６９．０００",
        ]
        for text in texts { #expect(try redacted(text) == text, "\(text)") }
    }

    @Test func theNearestLabelDecidesTheKind() throws {
        #expect(kinds("NIK \(Self.nik), rek BRI 1234567890, hp 081234567890") == [.nik, .bankAccount, .phone])
    }

    @Test func healthOrCriminalTermsBesideAnIdentifierAreFlagged() throws {
        #expect(try redactor.redact("Pasien NIK \(Self.nik) didiagnosis TBC").sensitive == [.health])
        #expect(try redactor.redact("SKCK atas nama NIK \(Self.nik), mantan narapidana").sensitive == [.criminal])
        #expect(try redactor.redact("Data rekam medis pasien").sensitive.isEmpty, "no identifier: nothing personal to flag")
        #expect(try redactor.redact("NIK \(Self.nik) mengurus KTP").sensitive.isEmpty)
        #expect(try redactor.redact("NIK \(Self.nik) menulis tentang pidanakan").sensitive.isEmpty, "whole words only")
        // Across the messages of one request.
        var s = PIIRedactionSession()
        _ = try s.redact("Riwayat penyakit jantung")
        #expect(s.sensitive.isEmpty)
        _ = try s.redact("NIK \(Self.nik)")
        #expect(s.sensitive == [.health])
        #expect(s.countsSummary == "NIK=1,SENSITIF=1")
    }

    @Test func hostileUnicodeStaysSafe() throws {
        // Lone combining marks, zero-width runs, full-width everything, and escapes cut short.
        let text = String(repeating: "\u{200B}", count: 3000) + String(repeating: "\u{0301}６", count: 2000) + "\\u00a" + "\\u" + "\u{FFFF}"
        _ = try redactor.redact(text)
        let spaced = String(repeating: "1\u{00A0}", count: 5000)
        #expect(try redactor.redact(spaced).mapping.isEmpty)
    }
}
