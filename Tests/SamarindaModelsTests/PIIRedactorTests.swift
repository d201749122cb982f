import Foundation
import Testing
@testable import SamarindaModels

@Suite("Indonesian PII redaction")
struct PIIRedactorTests {
    let redactor = PIIRedactor()

    // Kota Samarinda (64.72), kecamatan 01, born 15-08-1990, serial 0001.
    static let nikMale = "6472011508900001"
    // A woman: day + 40.
    static let nikFemale = "6472015508900002"

    func kinds(_ text: String) -> [PIIKind] { redactor.findings(in: text).map(\.kind) }

    @Test func validNIKsAreRedacted() throws {
        let r = try redactor.redact("NIK pemohon \(Self.nikMale), istrinya \(Self.nikFemale).")
        #expect(r.text == "NIK pemohon [NIK_1], istrinya [NIK_2].")
        #expect(r.mapping == ["[NIK_1]": Self.nikMale, "[NIK_2]": Self.nikFemale])
        #expect(r.countsSummary == "NIK=2")
    }

    @Test(arguments: [
        "6472013102900001", // 31 February
        "6472011513900001", // month 13
        "6472017508900001", // day 75 (35 + 40)
        "9972011508900001", // province 99 does not exist
        "6499011508900001", // no regency 64.99
        "6400011508900001", // regency 00
        "6472001508900001", // kecamatan 00
        "6472011508900000", // serial 0000
        "647201150890000",  // 15 digits
        "64720115089000011", // 17 digits
    ])
    func invalidNIKLookAlikesAreLeftAlone(_ number: String) throws {
        let text = "nomor \(number) tercatat"
        #expect(try redactor.redact(text).text == text)
    }

    @Test func numbersGluedToWordsThatAreNotLabelsAreLeftAlone() throws {
        let text = "kode ABC\(Self.nikMale) dan \(Self.nikMale)abc serta v2x\(Self.nikMale)"
        #expect(try redactor.redact(text).text == text)
    }

    @Test func numbersInFileNamesAndURLsAreRedacted() throws {
        // A NIK in a file name or a URL is still the person's NIK.
        let r = try redactor.redact("file_\(Self.nikMale).pdf https://x.id/\(Self.nikMale)?nik=\(Self.nikFemale)&a=1")
        #expect(r.text == "file_[NIK_1].pdf https://x.id/[NIK_1]?nik=[NIK_2]&a=1")
    }

    @Test func npwpNeedsItsCheckDigit() throws {
        #expect(kinds("NPWP 01.312.166.0-091.000") == [.npwp])
        #expect(kinds("npwp: 021832415000000") == [.npwp])
        #expect(kinds("02.183.241.5-000.000 terdaftar") == [.npwp], "the printed form is recognised without context")
        // Wrong check digit (…166.1 instead of …166.0): left alone, with or without context.
        #expect(kinds("NPWP 01.312.166.1-091.000").isEmpty)
        #expect(kinds("NPWP 013121661091000").isEmpty)
        // A bare 15-digit number without context is not assumed to be an NPWP.
        #expect(kinds("nomor 021832415000000").isEmpty)
        // The 16-digit NPWP: 0 + old NPWP, or the NIK, with context.
        #expect(kinds("NPWP 0013121660091000") == [.npwp])
        #expect(kinds("NPWP baru \(Self.nikMale)") == [.npwp])
    }

    @Test func phoneNumbersInTheirCommonForms() throws {
        #expect(kinds("hubungi 081234567890") == [.phone])
        #expect(kinds("hubungi 0812-3456-7890 segera") == [.phone])
        #expect(kinds("WA +62 812 3456 7890.") == [.phone])
        #expect(kinds("atau 6281234567890") == [.phone])
        #expect(kinds("telp kantor 0541 741234") == [.phone], "landlines need a context word")
        #expect(kinds("tahun 0541 741234").isEmpty)
        #expect(kinds("nomor 08123").isEmpty, "too short")
        let r = try redactor.redact("hp 081234567890 dan 081234567890 lagi, juga 085712345678")
        #expect(r.text == "hp [TELEPON_1] dan [TELEPON_1] lagi, juga [TELEPON_2]")
        #expect(r.counts[.phone] == 3)
    }

    @Test func emails() throws {
        let r = try redactor.redact("Kirim ke budi.santoso+ktp@samarindakota.go.id. Terima kasih")
        #expect(r.text == "Kirim ke [EMAIL_1]. Terima kasih")
        #expect(kinds("bukan email: a@b, @handle, x@y.z1").isEmpty)
    }

    @Test func contextDependentKinds() throws {
        #expect(kinds("No. KK 6472012003150007") == [.kk])
        #expect(kinds("Kartu Keluarga nomor 6472012003150007") == [.kk])
        #expect(kinds("transfer ke rekening BRI 0123-01-000456-30-7") == [.bankAccount])
        #expect(kinds("no rek 1234567890") == [.bankAccount])
        #expect(kinds("nomor surat 1234567890").isEmpty, "digits without a bank word are not an account")
        #expect(kinds("Paspor nomor C1234567 berlaku") == [.passport])
        #expect(kinds("kode C1234567 berlaku").isEmpty)
    }

    @Test func restoresAnswersIncludingPlaceholdersSplitAcrossStreamPieces() throws {
        var session = PIIRedactionSession()
        let redacted = try session.redact("Data \(Self.nikMale), hp 081234567890")
        #expect(redacted == "Data [NIK_1], hp [TELEPON_1]")
        #expect(session.restore("Untuk [NIK_1] ([TELEPON_1]) [x] [NIK_9]") == "Untuk \(Self.nikMale) (081234567890) [x] [NIK_9]")
        var restorer = PlaceholderRestorer(mapping: session.mapping)
        let pieces = ["Untuk [NI", "K_", "1", "] dan [[TELEP", "ON_1] [", "bukan]", " ["]
        let out = pieces.map { restorer.feed($0) }.joined() + restorer.flush()
        #expect(out == "Untuk \(Self.nikMale) dan [081234567890 [bukan] [")
    }

    @Test func failsClosedWhenItCannotRedactSafely() throws {
        #expect(throws: ModelError.self) { try redactor.redact("saya menulis [NIK_1] sendiri") }
        let small = PIIRedactor(maxInputBytes: 10)
        do {
            _ = try small.redact(String(repeating: "a", count: 11))
            Issue.record("expected a failure")
        } catch let e as ModelError {
            #expect(e.code == .redactionFailed)
        }
    }

    @Test func hostileInputsStayLinear() throws {
        // Thousands of short digit groups joined by spaces must not make the scanner quadratic or crash.
        let text = String(repeating: "1 2 3 4 5 6 7 8 9 0 ", count: 2000) + String(repeating: "@", count: 5000) + String(repeating: "[NIK_", count: 1000)
        let r = try redactor.redact(text)
        #expect(r.mapping.isEmpty)
    }
}
