import Foundation

/// Why a backup could not be made, read or restored, in words an operator can act on.
public struct BackupError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// The key file or passphrase is missing or unreadable.
        case noKey
        /// The key does not open this archive.
        case wrongKey
        /// Not an archive of ours at all.
        case notAnArchive
        /// Bytes were changed: an authentication tag or a hash does not match.
        case corrupted
        /// The archive ends before its final chunk.
        case truncated
        /// The restored data does not pass its checks (database integrity, audit verification).
        case integrity
        /// `restore --to DIR` with a DIR that holds files.
        case destinationNotEmpty
        /// Reading or writing files failed.
        case io
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
