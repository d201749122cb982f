import Crypto
import Foundation

// {====== Checkpoints as C2SP signed notes ======}
//
// A checkpoint (C2SP tlog-checkpoint) is the text
//
//     <origin>\n<tree size>\n<base64 root hash>\n
//
// signed as a C2SP signed note: the text, a blank line, then one line per
// signature, `— <key name> <base64(key ID ‖ Ed25519 signature)>\n`, where the
// key ID is the first 4 bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key).
// Using the standard format means an auditor can check our checkpoints with
// any signed-note tool (Go's golang.org/x/mod/sumdb/note, for one).

/// A signed tree head: the trail had `treeSize` events and this root hash.
public struct Checkpoint: Sendable, Equatable {
    public let origin: String
    public let treeSize: Int
    public let rootHash: Hash
    /// The whole signed note, as stored and exported.
    public let note: String

    /// The text that is signed (origin, size, root, each ending in a newline), then the signing time
    /// as a C2SP extension line (`time 2026-11-30T10:49:07+08:00`, WITA), so a printed note says when
    /// it was made; verifiers that do not know the line ignore it, as C2SP allows.
    static func body(origin: String, treeSize: Int, rootHash: Hash, signedAt: Date? = Date()) -> String {
        var text = "\(origin)\n\(treeSize)\n\(Data(rootHash).base64EncodedString())\n"
        if let signedAt {
            let f = ISO8601DateFormatter()
            f.timeZone = AuditTime.wita
            text += "time \(f.string(from: signedAt))\n"
        }
        return text
    }
}

/// The verifier side of a signing key: name, key ID and Ed25519 public key.
/// Its text form is the C2SP verifier key `<name>+<hex key ID>+<base64(0x01 ‖ public key)>`,
/// which `samarinda audit key` prints and `audit verify --key` accepts.
public struct NoteVerifierKey: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let keyID: [UInt8]
    public let publicKey: Curve25519.Signing.PublicKey

    public static func == (a: Self, b: Self) -> Bool { a.name == b.name && a.publicKey.rawRepresentation == b.publicKey.rawRepresentation }

    init(name: String, publicKey: Curve25519.Signing.PublicKey) {
        self.name = name
        self.publicKey = publicKey
        self.keyID = Self.keyID(name: name, publicKey: publicKey.rawRepresentation)
    }

    static func keyID(name: String, publicKey: Data) -> [UInt8] {
        Array(sha256(Array(name.utf8), [0x0A, 0x01], Array(publicKey)).prefix(4))
    }

    /// Parses the text form `<name>+<hex key ID>+<base64(0x01 ‖ key)>`.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = trimmed.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false) // base64 may contain "+"
        let usage = "expected the form NAME+KEYID+KEY as printed by 'samarinda audit key'"
        guard parts.count == 3, !parts[0].isEmpty else { throw AuditError(.invalidArgument, "the audit public key '\(trimmed)' is not a verifier key: \(usage)") }
        guard let id = unhex(String(parts[1])), id.count == 4 else { throw AuditError(.invalidArgument, "the key ID in '\(trimmed)' is not 8 hex digits: \(usage)") }
        guard let raw = Data(base64Encoded: String(parts[2])), raw.count == 33, raw.first == 0x01,
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw.dropFirst()) else {
            throw AuditError(.invalidArgument, "the key in '\(trimmed)' is not an Ed25519 public key: \(usage)")
        }
        self.init(name: String(parts[0]), publicKey: key)
        guard keyID == id else { throw AuditError(.invalidArgument, "the key ID in '\(trimmed)' does not match its key: the key was altered or mistyped") }
    }

    public var description: String {
        "\(name)+\(hex(keyID))+\((Data([0x01]) + publicKey.rawRepresentation).base64EncodedString())"
    }

    /// How a signed note fares against this key.
    enum Check: Equatable {
        case valid(body: String)
        /// No signature line from this key (name and key ID); the names found are given.
        case unknownKey(signers: [String])
        case badSignature
        case malformed(String)
    }

    func check(note: String) -> Check {
        // The signatures follow the last blank line (C2SP: the text never contains a blank line).
        guard let split = note.range(of: "\n\n", options: .backwards) else { return .malformed("no blank line before the signatures") }
        let body = String(note[..<split.lowerBound]) + "\n"
        let signatureBlock = note[split.upperBound...]
        guard signatureBlock.hasSuffix("\n") else { return .malformed("the last signature line does not end in a newline") }
        var signers: [String] = []
        for line in signatureBlock.dropLast().split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("\u{2014} ") else { return .malformed("a signature line does not start with an em dash") }
            let words = line.dropFirst(2).split(separator: " ", omittingEmptySubsequences: false)
            guard words.count == 2, let blob = Data(base64Encoded: String(words[1])), blob.count > 4 else {
                return .malformed("a signature line is not '— NAME BASE64'")
            }
            let id = Array(blob.prefix(4))
            signers.append("\(words[0])+\(hex(id))")
            guard words[0] == name, id == keyID else { continue }
            // C2SP: a known key's failed signature rejects the note (later lines are not consulted).
            let signature = blob.dropFirst(4)
            return publicKey.isValidSignature(signature, for: Data(body.utf8)) ? .valid(body: body) : .badSignature
        }
        return .unknownKey(signers: signers)
    }
}

/// The audit trail's Ed25519 signing key, kept in a file only the owner can read.
/// The file uses the signed-note private key form `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 ‖ seed)>`.
struct NoteSigner: Sendable {
    let privateKey: Curve25519.Signing.PrivateKey
    let verifier: NoteVerifierKey

    init(name: String, privateKey: Curve25519.Signing.PrivateKey) {
        self.privateKey = privateKey
        self.verifier = NoteVerifierKey(name: name, publicKey: privateKey.publicKey)
    }

    func sign(origin: String, treeSize: Int, rootHash: Hash) throws -> Checkpoint {
        let body = Checkpoint.body(origin: origin, treeSize: treeSize, rootHash: rootHash)
        let signature = try privateKey.signature(for: Data(body.utf8))
        let blob = Data(verifier.keyID) + signature
        let note = body + "\n\u{2014} \(verifier.name) \(blob.base64EncodedString())\n"
        return Checkpoint(origin: origin, treeSize: treeSize, rootHash: rootHash, note: note)
    }

    var fileText: String {
        "PRIVATE+KEY+\(verifier.name)+\(hex(verifier.keyID))+\((Data([0x01]) + privateKey.rawRepresentation).base64EncodedString())\n"
    }

    init(fileText: String, path: String) throws {
        let parts = fileText.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY",
              let raw = Data(base64Encoded: String(parts[4])), raw.count == 33, raw.first == 0x01,
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw.dropFirst()) else {
            throw AuditError(.signingKey, "the audit signing key file '\(path)' is not a signing key (expected one line PRIVATE+KEY+NAME+ID+KEY). Restore it from backup; only if it is truly lost, move it aside so a new key is created, and publish the new public key ('samarinda audit key'): checkpoints signed by the old key then need the old public key to verify.")
        }
        self.init(name: String(parts[2]), privateKey: key)
        guard hex(verifier.keyID) == parts[3] else {
            throw AuditError(.signingKey, "the audit signing key file '\(path)' is damaged: its key ID does not match its key. Restore it from backup.")
        }
    }

    /// Loads the key at `path`, or creates it (mode 0600, never overwriting) on first start.
    static func loadOrCreate(path: String, name: String) throws -> NoteSigner {
        if name.isEmpty || name.contains(where: { $0 == "+" || $0.isWhitespace }) {
            throw AuditError(.signingKey, "the audit origin '\(name)' cannot name a signing key: it must be non-empty without spaces or '+' ([audit] origin in samarinda.toml), e.g. \"samarinda.ai/audit\"")
        }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        // O_EXCL: two processes starting at once must not both create (and one overwrite) the key.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 {
            let signer = NoteSigner(name: name, privateKey: Curve25519.Signing.PrivateKey())
            let bytes = Array(signer.fileText.utf8)
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            let synced = fsync(fd)
            close(fd)
            guard written == bytes.count, synced == 0 else {
                unlink(path)
                throw AuditError(.signingKey, "cannot write the audit signing key '\(path)': \(String(cString: strerror(errno))). Check that the data folder is writable and the disk not full.")
            }
            return signer
        }
        guard errno == EEXIST else {
            throw AuditError(.signingKey, "cannot create the audit signing key '\(path)': \(String(cString: strerror(errno))). Check that the data folder exists and is writable.")
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw AuditError(.signingKey, "cannot read the audit signing key '\(path)': \(String(cString: strerror(errno)))")
        }
        if info.st_mode & 0o077 != 0 {
            throw AuditError(.signingKey, "the audit signing key '\(path)' can be read by other users (mode \(String(info.st_mode & 0o777, radix: 8))): anyone who can read it can forge checkpoints. Run: chmod 600 \(path)")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw AuditError(.signingKey, "cannot read the audit signing key '\(path)': check that this user owns it")
        }
        return try NoteSigner(fileText: text, path: path)
    }
}

extension Checkpoint {
    /// Parses the body of a verified note: origin, tree size and root hash.
    static func parse(body: String, note: String) throws -> Checkpoint {
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4, let size = Int(lines[1]), size >= 0, String(size) == lines[1],
              let root = Data(base64Encoded: String(lines[2])), root.count == 32 else {
            throw AuditError(.malformed, "a checkpoint is not '<origin>\\n<size>\\n<base64 root>\\n'")
        }
        return Checkpoint(origin: String(lines[0]), treeSize: size, rootHash: Array(root), note: note)
    }
}
