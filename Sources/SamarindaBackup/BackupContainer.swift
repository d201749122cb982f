import Crypto
import Foundation
import SamarindaCore

// {====== Entries inside the encrypted stream ======}
//
// The plaintext is a list of entries, the manifest first:  u16 name length ‖ name ‖ u64 size ‖ bytes,
// ended by a zero name length. Hand-written rather than tar: four fields, no permissions, owners,
// links or long-name extensions to get wrong — and every name is checked before it touches the disk.

extension SealedWriter {
    func writeEntry(name: String, size: Int64) throws {
        let nameBytes = Array(name.utf8)
        try write(withUnsafeBytes(of: UInt16(nameBytes.count).bigEndian, Array.init) + nameBytes
                  + withUnsafeBytes(of: UInt64(size).bigEndian, Array.init))
    }

    /// Streams a file into the archive; its size must not change while it is read (it is a
    /// snapshot or a file nobody writes), else the archive would lie about it.
    func writeFile(name: String, path: String, size: Int64) throws {
        try writeEntry(name: name, size: size)
        guard let input = FileHandle(forReadingAtPath: path) else { throw BackupError(.io, "cannot read '\(path)' for the backup") }
        defer { try? input.close() }
        var left = size
        while left > 0 {
            let piece = try input.read(upToCount: Int(min(left, 1 << 20))) ?? Data()
            guard !piece.isEmpty else { throw BackupError(.io, "'\(path)' shrank while it was backed up") }
            try write(piece)
            left -= Int64(piece.count)
        }
    }

    func writeEnd() throws { try write([0, 0]) }
}

extension SealedReader {
    /// The next entry's name and size, or nil at the end marker.
    func nextEntry() throws -> (name: String, size: Int64)? {
        let lengthBytes = try read(2)
        let length = Int(lengthBytes[lengthBytes.startIndex]) << 8 | Int(lengthBytes[lengthBytes.startIndex + 1])
        if length == 0 { return nil }
        let name = String(decoding: try read(length), as: UTF8.self)
        let size = try read(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard size < UInt64(Int64.max) else { throw BackupError(.corrupted, "entry '\(name)' claims an impossible size") }
        return (name, Int64(size))
    }
}

/// SHA-256 of a file, read in pieces.
func sha256(ofFile path: String) throws -> (size: Int64, hex: String) {
    guard let input = FileHandle(forReadingAtPath: path) else { throw BackupError(.io, "cannot read '\(path)' for the backup") }
    defer { try? input.close() }
    var hasher = SHA256()
    var size: Int64 = 0
    while let piece = try input.read(upToCount: 1 << 20), !piece.isEmpty {
        hasher.update(data: piece)
        size += Int64(piece.count)
    }
    return (size, Digest.hex(Array(hasher.finalize())))
}

/// A name from an archive, checked: relative, no `..`, no empty or hidden-control components, and
/// under one of the four known folders. A crafted archive cannot write outside the restore folder.
func checkedEntryName(_ name: String) throws -> String {
    let parts = name.split(separator: "/", omittingEmptySubsequences: false)
    let known = ["database", "audit", "config", "plugins"]
    guard parts.count >= 2, known.contains(String(parts[0])), !name.hasPrefix("/"),
          parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains("\0") }) else {
        throw BackupError(.corrupted, "the archive holds an entry named '\(name)', which is not a path this restore writes: refused")
    }
    return name
}
