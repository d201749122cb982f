import ArgumentParser
import Foundation
import SamarindaBackup
import SamarindaCore

/// `samarinda backup …`: encrypted online backups of the whole installation, checked and restored.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Take, check and restore encrypted backups (database, audit signing key, configuration, plugins).",
        discussion: """
            The key is --key-file FILE, else [backup] key_file, else the passphrase in $SAMARINDA_BACKUP_PASSPHRASE.
            Keep the key away from the archives: whoever holds both can read every document and the audit signing key.
            """,
        subcommands: [Create.self, Verify.self, Restore.self, Keygen.self, FillDrill.self])

    struct KeyOption: ParsableArguments {
        @Option(name: .customLong("key-file"), help: ArgumentHelp("The archive key (from 'backup keygen').", valueName: "file")) var keyFile: String?

        func secret(_ config: SamarindaConfig?) async throws -> BackupSecret {
            try await exiting(2, on: BackupError.self) { try BackupSecret.resolve(keyFile: keyFile, configured: config?.backup.keyFile ?? "") }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Snapshot the installation while it runs into one encrypted archive; prints the archive's path.")
        @OptionGroup var options: ConfigOptions
        @OptionGroup var key: KeyOption
        @Option(help: ArgumentHelp("The folder for the archive (default: [backup] dir).", valueName: "dir")) var to: String?

        func run() async throws {
            let config = try options.load()
            let secret = try await key.secret(config)
            // A BackupError is printed by main (exit 1).
            try await CLIPlatform.run(config: config) { handle in
                let created = try await Backup.create(database: handle.platform.database, auditLog: handle.platform.auditLog, config: config,
                                                      secret: secret, to: to ?? config.backup.dir, actor: AuditActor(handle.operatorPrincipal))
                FileHandle.standardError.write(Data(String(format: "backup: %d files, %d bytes, audit tree size %d, %.1f s\n",
                                                           created.manifest.files.count, created.archiveBytes,
                                                           created.manifest.audit.treeSize, created.seconds).utf8))
                print(created.path)
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decrypt an archive, check every file against its manifest and verify its audit trail; exit 1 if anything is wrong.")
        @OptionGroup var options: ConfigOptions
        @OptionGroup var key: KeyOption
        @Argument(help: "The archive (.sambackup).") var file: String

        func run() async throws {
            let secret = try await key.secret(try? options.load())
            try await checkArchive(failure: "backup NOT valid") { try await Backup.verify(archive: file, secret: secret) }
            print("backup OK: \(file)")
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore an archive into an empty data folder, checking it as 'verify' does.",
            discussion: "Then start the service with: samarinda serve --config DIR/samarinda.toml")
        @OptionGroup var options: ConfigOptions
        @OptionGroup var key: KeyOption
        @Argument(help: "The archive (.sambackup).") var file: String
        @Option(help: ArgumentHelp("The folder to restore into; it must be empty or not exist yet.", valueName: "dir")) var to: String

        func run() async throws {
            let secret = try await key.secret(try? options.load())
            let checked = try await checkArchive(failure: "restore failed") { try await Backup.restore(archive: file, secret: secret, to: to) }
            print("restored into \(to); start it with: samarinda serve --config \(checked.configPath ?? to + "/samarinda.toml")")
        }
    }

    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new random archive key file (readable by its owner only).")
        @Option(help: ArgumentHelp("Where to write the key; never overwritten.", valueName: "file")) var out: String

        func run() async throws {
            try await exiting(1, on: BackupError.self) { try BackupSecret.generateKeyFile(at: out) }
            print("wrote \(out); keep a copy off this machine: without it no archive can be restored")
        }
    }
}

/// Runs a verify or restore and prints what the archive holds; a bad archive prints `failure: why` and exits 1.
@discardableResult
private func checkArchive(failure: String, _ body: () async throws -> Backup.Checked) async throws -> Backup.Checked {
    let checked = try await exiting(1, on: BackupError.self, saying: { "\(failure): \($0.message)" }, body)
    let m = checked.manifest
    print("taken \(ISO8601DateFormatter().string(from: m.createdAt)) on \(m.host) by samarinda \(m.samarindaVersion)")
    print("\(m.files.count) files, \(m.files.reduce(0) { $0 + $1.size }) bytes; audit tree size \(m.audit.treeSize), root \(m.audit.rootHash)")
    print("audit: \(checked.audit)")
    return checked
}
