import SamarindaCore

/// Why a backup could not be made, read or restored, in words an operator can act on.
public typealias BackupError = ModuleError<BackupErrorKind>

public enum BackupErrorKind: String, ModuleErrorKind {
    /// The key file or passphrase is missing or unreadable.
    case noKey = "no_key"
    /// The key does not open this archive.
    case wrongKey = "wrong_key"
    /// Not an archive of ours at all.
    case notAnArchive = "not_an_archive"
    /// Bytes were changed: an authentication tag or a hash does not match.
    case corrupted
    /// The archive ends before its final chunk.
    case truncated
    /// The restored data does not pass its checks (database integrity, audit verification).
    case integrity
    /// `restore --to DIR` with a DIR that holds files.
    case destinationNotEmpty = "destination_not_empty"
    /// Reading or writing files failed.
    case io

    public var errorKind: ErrorKind {
        switch self {
        case .noKey: .invalidRequest
        case .wrongKey: .forbidden
        case .notAnArchive, .corrupted, .truncated, .integrity: .unprocessable
        case .destinationNotEmpty: .conflict
        case .io: .unavailable
        }
    }
}
