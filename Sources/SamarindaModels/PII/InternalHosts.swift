import Foundation

/// Which hosts are the city's own, for plugin HTTP calls: personal data goes to them as written and
/// is redacted for every other host (docs/PII.md). A host is internal when it is, or is under, one of
/// the operator's `[pii] internal_hosts` (names or IP literals, compared as written). Nothing is
/// internal by shape alone: a private address can be a contractor's machine, so it is listed or it is external.
public enum InternalHosts {
    public static func contains(_ host: String, listed: [String]) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]."))
        guard !h.isEmpty else { return false }
        return listed.contains { entry in
            let s = entry.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]."))
            return !s.isEmpty && (h == s || h.hasSuffix("." + s))
        }
    }
}
