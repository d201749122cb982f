/// Configuration fragments several test suites start from.
public enum TestConfigs {
    /// Providers at two levels (both offline: no network): `samarinda-default` reaches one cleared for
    /// everything, `publik` one cleared only for `biasa`, so a test can send a `rahasia` follow-up to a
    /// provider that must refuse it.
    public static let twoProviderLevels = """
        [[providers]]
        name = "offline"
        kind = "offline"
        max_classification = "sangat_rahasia"
        [[providers]]
        name = "luar"
        kind = "offline"
        max_classification = "biasa"
        [models]
        samarinda-default = ["offline"]
        publik = ["luar"]
        """
}
