import Crypto
import Foundation

/// SHA-256 digests as text, the one way every module writes them (audit fields, content hashes of
/// ingested files, digests of prompts, queries and tool arguments).
public enum Digest {
    /// Lowercase hex of SHA-256 of `bytes`.
    public static func sha256Hex(_ bytes: some DataProtocol) -> String { hex(Array(SHA256.hash(data: bytes))) }

    /// Lowercase hex of SHA-256 of the UTF-8 text.
    public static func sha256Hex(_ text: String) -> String { sha256Hex(Data(text.utf8)) }

    /// `sha256:<hex>`: how content that is not stored in full appears in the audit trail.
    public static func content(_ text: String) -> String { "sha256:" + sha256Hex(text) }
    public static func content(_ bytes: some DataProtocol) -> String { "sha256:" + sha256Hex(bytes) }

    /// Lowercase hex of any bytes.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
