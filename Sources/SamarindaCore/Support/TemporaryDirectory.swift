import Foundation

/// A fresh folder under the system temporary directory, removed when released.
/// Used by tests and benchmarks across modules, so it lives in the core.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(prefix: String = "samarinda") throws {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/\(prefix)-\(UUID().uuidString.prefix(8))"
        // 0700: uploads are unpacked here (a PDF for pdftotext); other local users must not read them.
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    public var url: URL { URL(fileURLWithPath: path) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
