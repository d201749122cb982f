import Foundation
import Testing
import SamarindaCore

@Suite(.serialized) struct BackupCommandTests {
    @Test func backupCreateVerifyRestoreFromTheCommandLine() throws {
        let cli = try CLI(extra: "[backup]\ndir = \"backups\"")
        let key = cli.dir.path + "/backup.key"
        #expect(try cli.run(["backup", "keygen", "--out", key], withConfig: false).status == 0)
        #expect(try cli.run(["backup", "keygen", "--out", key], withConfig: false).status == 1, "a key is never overwritten")
        let noKey = try cli.run(["backup", "create"])
        #expect(noKey.status == 2 && noKey.stderr.contains("backup keygen"), "\(noKey.stderr)")
        let created = try cli.run(["backup", "create", "--key-file", key])
        #expect(created.status == 0, "\(created.stderr)")
        let archive = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(archive.hasSuffix(".sambackup") && FileManager.default.fileExists(atPath: cli.dir.path + "/" + archive))
        let verified = try cli.run(["backup", "verify", archive, "--key-file", key])
        #expect(verified.status == 0 && verified.stdout.contains("backup OK"), "\(verified.stderr)")
        let other = cli.dir.path + "/other.key"
        _ = try cli.run(["backup", "keygen", "--out", other], withConfig: false)
        let wrong = try cli.run(["backup", "verify", archive, "--key-file", other])
        #expect(wrong.status == 1 && wrong.stderr.contains("backup NOT valid") && wrong.stderr.contains("different key file"), "\(wrong.stderr)")
        let restored = try cli.run(["backup", "restore", archive, "--to", "restored", "--key-file", key])
        #expect(restored.status == 0 && restored.stdout.contains("samarinda serve --config"), "\(restored.stderr)")
        let again = try cli.run(["backup", "restore", archive, "--to", "restored", "--key-file", key])
        #expect(again.status == 1 && again.stderr.contains("not empty"), "\(again.stderr)")
        let verify = try cli.run(["audit", "verify", "--config", cli.dir.path + "/restored/samarinda.toml"], withConfig: false)
        #expect(verify.status == 0, "audit verify on the restore: \(verify.stderr)")
        let doctor = try cli.run(["doctor"])
        #expect(doctor.stdout.contains("last good backup"), "\(doctor.stdout)")
    }
}
