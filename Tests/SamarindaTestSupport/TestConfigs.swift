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

    /// The offline provider behind `samarinda-default` and the alias `lokal` to an OpenAI-compatible
    /// provider at `url` (a `ScriptedModel` or another stand-in for a model server), with `extra` lines
    /// (e.g. `max_classification`) in its table.
    public static func withScriptedLokal(_ url: String, extra: String = "") -> String {
        """
        [[providers]]
        name = "offline"
        kind = "offline"
        [[providers]]
        name = "lokal"
        kind = "openai"
        base_url = "\(url)"
        model = "scripted"
        \(extra)
        [models]
        samarinda-default = ["offline"]
        lokal = ["lokal"]
        """
    }
}
