import _CryptoExtras
import Crypto
import Foundation

/// What an archive is encrypted under: a 32-byte key file (`samarinda backup keygen`) or a passphrase.
public enum BackupSecret: Sendable {
    case keyFile(path: String, key: [UInt8])
    case passphrase(String)

    /// The environment variable that holds the passphrase when no key file is given.
    public static let passphraseVariable = "SAMARINDA_BACKUP_PASSPHRASE"

    /// `--key-file`, else `[backup] key_file`, else `$SAMARINDA_BACKUP_PASSPHRASE`.
    public static func resolve(keyFile: String?, configured: String,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> BackupSecret {
        if let path = keyFile ?? (configured.isEmpty ? nil : configured) {
            return try .keyFile(path: path, key: readKeyFile(path))
        }
        if let phrase = environment[passphraseVariable], !phrase.isEmpty {
            guard phrase.count >= 12 else {
                throw BackupError(.noKey, "$\(passphraseVariable) is shorter than 12 characters: use a long passphrase, or a key file (samarinda backup keygen --out FILE)")
            }
            return .passphrase(phrase)
        }
        throw BackupError(.noKey, "no backup key: pass --key-file FILE (make one with 'samarinda backup keygen --out FILE'), set [backup] key_file, or put a passphrase in $\(passphraseVariable)")
    }

    /// A key file holds 32 random bytes as one line of base64 (or 64 hex digits).
    static func readKeyFile(_ path: String) throws -> [UInt8] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw BackupError(.noKey, "cannot read the backup key file '\(path)': check the path and that this user may read it")
        }
        let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let data = Data(base64Encoded: line), data.count == 32 { return Array(data) }
        if line.count == 64, let bytes = hexBytes(line) { return bytes }
        throw BackupError(.noKey, "the backup key file '\(path)' does not hold a key (one line: 32 bytes in base64, as 'samarinda backup keygen' writes)")
    }

    /// Writes a new random key file, readable by its owner only. Refuses to overwrite one.
    public static func generateKeyFile(at path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw BackupError(.io, "'\(path)' exists already: a backup key is never overwritten (archives made with it would become unreadable)")
        }
        let key = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        guard FileManager.default.createFile(atPath: path, contents: Data((key.base64EncodedString() + "\n").utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw BackupError(.io, "cannot write the backup key file '\(path)': check the folder exists and is writable")
        }
    }

    var kdfName: String {
        switch self {
        case .keyFile: "key-file"
        case .passphrase: "scrypt"
        }
    }

    /// The 32-byte master key. A passphrase goes through scrypt (memory-hard, so guessing it from a
    /// stolen archive is slow); a key file is already random.
    func masterKey(kdf: ArchiveHeader.KDF) throws -> SymmetricKey {
        switch self {
        case .keyFile(_, let key):
            guard kdf.kind == "key-file" else {
                throw BackupError(.wrongKey, "this archive was encrypted with a passphrase, not a key file: set $\(Self.passphraseVariable) and leave out --key-file")
            }
            return SymmetricKey(data: key)
        case .passphrase(let phrase):
            guard kdf.kind == "scrypt", let salt = Data(base64Encoded: kdf.salt ?? ""), let log2n = kdf.log2n, let r = kdf.r, let p = kdf.p else {
                throw BackupError(.wrongKey, "this archive was encrypted with a key file, not a passphrase: pass --key-file FILE")
            }
            guard (10...22).contains(log2n), (1...32).contains(r), (1...16).contains(p) else {
                throw BackupError(.corrupted, "the archive's header asks for absurd scrypt parameters (N=2^\(log2n), r=\(r), p=\(p)): it is damaged or not ours")
            }
            return try KDF.Scrypt.deriveKey(from: Array(phrase.utf8), salt: salt, outputByteCount: 32,
                                            rounds: 1 << log2n, blockSize: r, parallelism: p)
        }
    }
}

func hexBytes(_ text: String) -> [UInt8]? {
    var bytes: [UInt8] = []
    var chars = Array(text.utf8)[...]
    while chars.count >= 2 {
        guard let b = UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) else { return nil }
        bytes.append(b)
        chars = chars.dropFirst(2)
    }
    return chars.isEmpty ? bytes : nil
}
