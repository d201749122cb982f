import ArgumentParser
import Foundation
import SamarindaCore

extension BackupCommand {
    /// `backup fill-drill`: fills a scratch installation to a realistic size for `Scripts/restore-drill`
    /// (synthetic Indonesian-looking documents and audit events). Hidden: never for a real installation.
    struct FillDrill: PlatformCommand {
        static let configuration = CommandConfiguration(
            commandName: "fill-drill", abstract: "Fill a SCRATCH installation with synthetic documents and audit events (restore drill).",
            shouldDisplay: false)
        @OptionGroup var options: ConfigOptions
        @Option(help: "Document chunks to add.") var chunks = 100_000
        @Option(help: "Audit events to reach in total.") var events = 1_000_000

        func run(on handle: PlatformHandle) async throws {
            let platform = handle.platform
            let words = ["penduduk", "kartu", "keluarga", "akta", "kelahiran", "pajak", "bumi", "bangunan", "retribusi", "izin",
                         "usaha", "puskesmas", "rujukan", "sekolah", "jalan", "drainase", "anggaran", "belanja", "daerah", "kota",
                         "samarinda", "kecamatan", "kelurahan", "pelayanan", "persyaratan", "dokumen", "pemohon", "petugas", "loket", "tahun"]
            var rng = SystemRandomNumberGenerator()
            let perDocument = 100
            let chunkChars = platform.config.documents.chunkChars
            let documents = max(1, chunks / perDocument)
            for d in 0..<documents {
                var text = "# Dokumen uji \(d)\n\n"
                for s in 0..<perDocument {
                    text += "## Bagian \(s)\n\n"
                    var paragraph = ""
                    while paragraph.count < chunkChars - 150 { paragraph += words.randomElement(using: &rng)! + " " }
                    text += paragraph + "\n\n"
                }
                _ = await platform.documents.ingest(data: Data(text.utf8), sourceName: "uji-\(d).md", collection: "drill",
                                                    classification: .biasa, department: "disdukcapil", by: handle.operatorPrincipal)
                if d % 50 == 0 { FileHandle.standardError.write(Data("fill-drill: \(d)/\(documents) documents\n".utf8)) }
            }
            // Audit events in concurrent waves, so the trail's group commit writes them in large batches.
            var have = try platform.auditLog.count()
            while have < events {
                let wave = Int(min(Int64(2000), Int64(events) - have))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in 0..<wave {
                        group.addTask {
                            try await platform.auditLog.append(AuditEvent(
                                actor: AuditActor(principalID: "key:drill\(i % 40)", department: words[i % 12], role: "staff", keyID: "drill\(i % 40)"),
                                action: "tool.call", target: "disdukcapil.cek-nik/cek_nik", durationMicros: Int64(i % 900),
                                fields: ["arguments": "hmac-sha256:" + String(repeating: "0", count: 64), "result_bytes": "\(i % 4000)"]))
                        }
                    }
                    try await group.waitForAll()
                }
                have += Int64(wave)
                if have % 100_000 < 2000 { FileHandle.standardError.write(Data("fill-drill: \(have)/\(events) audit events\n".utf8)) }
            }
            print("filled: \(try platform.auditLog.count()) audit events")
        }
    }
}
