/// Release version of the binary and the host API version plugins declare against.
public enum SamarindaVersion {
    public static let current = "0.1.0"
}
