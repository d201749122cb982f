import Foundation

/// What an archive holds, written first inside it: every file with its size and SHA-256, and the
/// audit trail's state at the snapshot (tree size, root, and a checkpoint signed for exactly it).
public struct BackupManifest: Codable, Sendable {
    public struct File: Codable, Sendable, Equatable {
        /// Name inside the archive: `database/…`, `audit/…`, `config/…`, `plugins/…`.
        public var name: String
        public var size: Int64
        public var sha256: String
    }

    public struct AuditState: Codable, Sendable {
        public var treeSize: Int
        public var rootHash: String
        /// A C2SP signed note for `treeSize` and `rootHash`, signed with the trail's key.
        public var checkpoint: String
        public var publicKey: String
    }

    public var format = "samarinda-backup-manifest"
    public var version = 1
    public var createdAt: Date
    public var samarindaVersion: String
    public var host: String
    public var files: [File]
    public var audit: AuditState

    static let entryName = "MANIFEST.json"

    var databaseFile: File? { files.first { $0.name.hasPrefix("database/") } }
    var totalBytes: Int64 { files.reduce(0) { $0 + $1.size } }
}

extension BackupManifest {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()
}
