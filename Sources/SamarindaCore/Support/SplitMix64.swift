/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny deterministic generator, so a generated corpus
/// (the PII harness, the OCR quality set) is the same on every machine and every run. Not for
/// secrets: keys and tokens come from `SystemRandomNumberGenerator`. Written out because the
/// standard library offers no seedable generator and the algorithm is eight lines.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in [0, 1) from the top 53 bits.
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
