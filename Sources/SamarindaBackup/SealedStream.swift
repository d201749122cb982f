import Crypto
import Foundation

// {====== The encrypted archive file ======}
//
//   "SAMARINDA-BACKUP\n"                       magic
//   u32 header length ‖ header (JSON)          KDF parameters, salts, nonce prefix, key check; in clear
//   chunks: u8 final ‖ u32 length ‖ AES-256-GCM(ciphertext ‖ tag)
//
// The plaintext is cut into chunks of `chunk_bytes` and each is sealed on its own, so neither side
// ever holds more than one chunk (a database of many gigabytes streams through). This is the STREAM
// construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015): the nonce is prefix ‖ chunk counter ‖
// final flag and every chunk authenticates the header, so chunks cannot be reordered, dropped,
// swapped between archives or cut off at a chunk boundary without failing to open — an archive
// that ends before a chunk marked final is truncated, whatever its length.

struct ArchiveHeader: Codable {
    struct KDF: Codable {
        var kind: String            // "key-file" or "scrypt"
        var salt: String?
        var log2n: Int?
        var r: Int?
        var p: Int?
    }
    var format = "samarinda-backup"
    var version = 1
    var cipher = "AES-256-GCM"
    var kdf: KDF
    /// HKDF salt deriving the chunk key and the key check from the master key.
    var salt: String
    var noncePrefix: String
    /// 16 bytes derived from the key: a wrong key is told apart from a damaged archive.
    var keyCheck: String
    var chunkBytes: Int

    static let magic = Array("SAMARINDA-BACKUP\n".utf8)
    static let maxHeaderBytes = 64 * 1024
}

/// The keys of one archive, derived from the master key.
struct ArchiveKeys {
    let chunkKey: SymmetricKey
    let keyCheck: [UInt8]

    init(master: SymmetricKey, salt: [UInt8]) {
        chunkKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: master, salt: salt, info: Data("samarinda backup v1 chunk key".utf8), outputByteCount: 32)
        keyCheck = HKDF<SHA256>.deriveKey(inputKeyMaterial: master, salt: salt, info: Data("samarinda backup v1 key check".utf8), outputByteCount: 16)
            .withUnsafeBytes { Array($0) }
    }
}

func nonce(prefix: [UInt8], counter: UInt32, final: Bool) throws -> AES.GCM.Nonce {
    try AES.GCM.Nonce(data: prefix + withUnsafeBytes(of: counter.bigEndian, Array.init) + [final ? 1 : 0])
}

/// Writes an encrypted archive, one sealed chunk at a time.
final class SealedWriter {
    private let handle: FileHandle
    private let keys: ArchiveKeys
    private let prefix: [UInt8]
    private let aad: Data
    private let chunkBytes: Int
    private var buffer = Data()
    private var counter: UInt32 = 0
    private(set) var bytesWritten = 0

    /// Creates `path` (which must not exist) and writes the header.
    init(path: String, secret: BackupSecret, chunkBytes: Int = 1 << 20, scryptLog2N: Int = 17) throws {
        var salt = [UInt8](repeating: 0, count: 32)
        var prefix = [UInt8](repeating: 0, count: 7)
        fillRandom(&salt)
        fillRandom(&prefix)
        let kdf: ArchiveHeader.KDF
        switch secret {
        case .keyFile: kdf = .init(kind: "key-file")
        case .passphrase:
            var kdfSalt = [UInt8](repeating: 0, count: 16)
            fillRandom(&kdfSalt)
            kdf = .init(kind: "scrypt", salt: Data(kdfSalt).base64EncodedString(), log2n: scryptLog2N, r: 8, p: 1)
        }
        let keys = ArchiveKeys(master: try secret.masterKey(kdf: kdf), salt: salt)
        let header = ArchiveHeader(kdf: kdf, salt: Data(salt).base64EncodedString(), noncePrefix: Data(prefix).base64EncodedString(),
                                   keyCheck: Data(keys.keyCheck).base64EncodedString(), chunkBytes: chunkBytes)
        let json = try JSONEncoder().encode(header)
        var head = Data(ArchiveHeader.magic)
        head.append(contentsOf: withUnsafeBytes(of: UInt32(json.count).bigEndian, Array.init))
        head.append(json)
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw BackupError(.io, "cannot create the archive '\(path)': check the folder exists and is writable")
        }
        self.handle = handle
        self.keys = keys
        self.prefix = prefix
        self.aad = head
        self.chunkBytes = chunkBytes
        try put(head)
    }

    func write(_ data: Data) throws {
        buffer.append(data)
        // Keep the last (possibly full) chunk back: only `finish` knows which chunk is final.
        while buffer.count > chunkBytes {
            try seal(buffer.prefix(chunkBytes), final: false)
            buffer = Data(buffer.dropFirst(chunkBytes))
        }
    }

    func write(_ bytes: [UInt8]) throws { try write(Data(bytes)) }

    /// Seals the final chunk, flushes to disk and closes.
    func finish() throws {
        try seal(buffer, final: true)
        buffer = Data()
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            throw BackupError(.io, "cannot finish writing the archive: \(error.localizedDescription)")
        }
    }

    private func seal(_ plaintext: Data, final: Bool) throws {
        let box = try AES.GCM.seal(plaintext, using: keys.chunkKey, nonce: nonce(prefix: prefix, counter: counter, final: final), authenticating: aad)
        counter += 1
        var out = Data([final ? 1 : 0])
        let sealed = box.ciphertext + box.tag
        out.append(contentsOf: withUnsafeBytes(of: UInt32(sealed.count).bigEndian, Array.init))
        out.append(sealed)
        try put(out)
    }

    private func put(_ data: Data) throws {
        do {
            try handle.write(contentsOf: data)
            bytesWritten += data.count
        } catch {
            throw BackupError(.io, "cannot write the archive: \(error.localizedDescription) (is the disk full?)")
        }
    }
}

/// Reads and opens an encrypted archive chunk by chunk; any change to it is an error naming where.
final class SealedReader {
    private let handle: FileHandle
    private let path: String
    private let keys: ArchiveKeys
    private let prefix: [UInt8]
    private let aad: Data
    private let chunkBytes: Int
    private var counter: UInt32 = 0
    private var offset = 0
    private var plain = Data()
    private var finalSeen = false

    init(path: String, secret: BackupSecret) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw BackupError(.io, "cannot read the archive '\(path)': check the path")
        }
        self.handle = handle
        self.path = path
        func fail(_ what: String) -> BackupError {
            BackupError(.notAnArchive, "'\(path)' is not a Samarinda backup archive (\(what))")
        }
        let magic = try Self.read(handle, ArchiveHeader.magic.count)
        guard Array(magic) == ArchiveHeader.magic else { throw fail("it does not start with SAMARINDA-BACKUP") }
        let lengthBytes = try Self.read(handle, 4)
        guard lengthBytes.count == 4 else { throw BackupError(.truncated, "the archive '\(path)' is truncated inside its header") }
        let length = Int(lengthBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        guard length <= ArchiveHeader.maxHeaderBytes else { throw fail("its header claims \(length) bytes") }
        let json = try Self.read(handle, length)
        guard json.count == length else { throw BackupError(.truncated, "the archive '\(path)' is truncated inside its header") }
        guard let header = try? JSONDecoder().decode(ArchiveHeader.self, from: json), header.format == "samarinda-backup" else {
            throw BackupError(.corrupted, "the header of '\(path)' is damaged (it is not the JSON a backup starts with)")
        }
        guard header.version == 1 else {
            throw BackupError(.notAnArchive, "'\(path)' is a version \(header.version) archive; this samarinda reads version 1: use the release that wrote it")
        }
        guard let salt = Data(base64Encoded: header.salt), let prefix = Data(base64Encoded: header.noncePrefix), prefix.count == 7,
              let check = Data(base64Encoded: header.keyCheck), (1024...(64 << 20)).contains(header.chunkBytes) else {
            throw BackupError(.corrupted, "the header of '\(path)' is damaged (bad salt, nonce or chunk size)")
        }
        keys = ArchiveKeys(master: try secret.masterKey(kdf: header.kdf), salt: Array(salt))
        guard keys.keyCheck == Array(check) else {
            throw BackupError(.wrongKey, "the key does not open '\(path)': it was encrypted with a different \(header.kdf.kind == "scrypt" ? "passphrase" : "key file"). Use the key it was made with")
        }
        self.prefix = Array(prefix)
        self.aad = Data(ArchiveHeader.magic) + lengthBytes + json
        self.chunkBytes = header.chunkBytes
        self.offset = ArchiveHeader.magic.count + 4 + length
    }

    deinit { try? handle.close() }

    /// Exactly `count` bytes of plaintext.
    func read(_ count: Int) throws -> Data {
        while plain.count < count {
            guard try nextChunk() else {
                throw BackupError(.truncated, "the archive '\(path)' ends in the middle of its contents")
            }
        }
        let out = plain.prefix(count)
        plain = Data(plain.dropFirst(count))
        return Data(out)
    }

    /// Passes exactly `count` bytes of plaintext to `sink`, a chunk at a time.
    func stream(_ count: Int, to sink: (Data) throws -> Void) throws {
        var left = count
        while left > 0 {
            if plain.isEmpty, !(try nextChunk()) {
                throw BackupError(.truncated, "the archive '\(path)' ends in the middle of its contents")
            }
            let piece = plain.prefix(left)
            plain = Data(plain.dropFirst(piece.count))
            left -= piece.count
            try sink(Data(piece))
        }
    }

    /// After the contents: the final chunk must have been read and nothing may follow it.
    func expectEnd() throws {
        while !finalSeen, try nextChunk() {}
        guard plain.isEmpty else { throw BackupError(.corrupted, "the archive '\(path)' holds data after its end marker") }
        guard try Self.read(handle, 1).isEmpty else {
            throw BackupError(.corrupted, "the archive '\(path)' has bytes after its final chunk (at byte \(offset)): it was altered")
        }
    }

    /// Opens the next chunk into `plain`; false after the final one.
    private func nextChunk() throws -> Bool {
        if finalSeen { return false }
        let head = try Self.read(handle, 5)
        if head.isEmpty {
            throw BackupError(.truncated, "the archive '\(path)' is truncated: it ends after \(counter) chunks (\(offset) bytes) without its final chunk. Take the backup again or use an older one")
        }
        guard head.count == 5 else { throw truncatedInChunk() }
        let final = head[head.startIndex]
        let length = Int(head.dropFirst().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        guard final <= 1, length >= 16, length <= chunkBytes + 16 else {
            throw BackupError(.corrupted, "the archive '\(path)' is damaged at chunk \(counter) (byte \(offset)): impossible chunk header")
        }
        let sealed = try Self.read(handle, length)
        guard sealed.count == length else { throw truncatedInChunk() }
        do {
            let box = try AES.GCM.SealedBox(nonce: nonce(prefix: prefix, counter: counter, final: final == 1),
                                            ciphertext: sealed.dropLast(16), tag: sealed.suffix(16))
            plain.append(try AES.GCM.open(box, using: keys.chunkKey, authenticating: aad))
        } catch {
            throw BackupError(.corrupted, "the archive '\(path)' is damaged at chunk \(counter) (byte \(offset)): it fails its authentication tag, so it was altered or the disk corrupted it. Use another backup")
        }
        offset += 5 + length
        counter += 1
        finalSeen = final == 1
        return true
    }

    private func truncatedInChunk() -> BackupError {
        BackupError(.truncated, "the archive '\(path)' is truncated in the middle of chunk \(counter) (after byte \(offset)). Take the backup again or use an older one")
    }

    private static func read(_ handle: FileHandle, _ count: Int) throws -> Data {
        do {
            var out = Data()
            while out.count < count {
                guard let piece = try handle.read(upToCount: count - out.count), !piece.isEmpty else { break }
                out.append(piece)
            }
            return out
        } catch {
            throw BackupError(.io, "cannot read the archive: \(error.localizedDescription)")
        }
    }
}

func fillRandom(_ bytes: inout [UInt8]) {
    var generator = SystemRandomNumberGenerator()
    for i in bytes.indices { bytes[i] = generator.next() }
}
