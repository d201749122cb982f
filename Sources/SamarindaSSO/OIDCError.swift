/// Why an OpenID Connect step failed. `code` is stable (audit events, tests); `message` says what
/// was wrong and how to fix it, and never contains a token.
public struct OIDCError: Error, CustomStringConvertible, Equatable {
    public let code: String
    public let message: String
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}
