import Foundation

/// Which hosts are the city's own, for plugin HTTP calls: personal data goes to them as written and
/// is redacted for every other host (docs/PII.md). Loopback and private (RFC 1918) addresses are
/// always internal; names are internal when they are, or are under, an operator's `[pii] internal_hosts`.
public enum InternalHosts {
    public static func contains(_ host: String, listed: [String]) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]."))
        if h == "localhost" || h.hasSuffix(".localhost") || h == "::1" { return true }
        let octets = h.split(separator: ".").compactMap { UInt8($0) }
        if octets.count == 4, h.split(separator: ".").count == 4 {
            switch (octets[0], octets[1]) {
            case (127, _), (10, _), (192, 168): return true
            case (172, let b) where (16...31).contains(b): return true
            default: return false
            }
        }
        return listed.contains { suffix in
            let s = suffix.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
            return !s.isEmpty && (h == s || h.hasSuffix("." + s))
        }
    }
}
