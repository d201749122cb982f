import Foundation

/// A checkpoint kept off the machine — by the Inspektorat, a second office, a printout — to check
/// the trail against later. The operator holds the signing key, so a trail rewritten on the machine
/// can be re-signed and will verify against its own checkpoints; it can no longer reproduce the root
/// of a checkpoint someone else kept. `samarinda audit checkpoint > 2026-11.note` makes one;
/// `samarinda audit verify --witness 2026-11.note` checks the trail still extends it.
public struct Witness: Sendable {
    static let sourcePrefix = "witness "
    public let note: String
    public let source: String

    public init(note: String, source: String) {
        self.note = note
        self.source = source
    }

    /// Reads a signed note (as `audit checkpoint` prints it) from a file.
    public init(file path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw AuditError(.invalidArgument, "cannot read the witness checkpoint '\(path)': check the path")
        }
        guard text.contains("\n\n\u{2014} ") else {
            throw AuditError(.invalidArgument, "'\(path)' is not a signed checkpoint: save the output of 'samarinda audit checkpoint' (a C2SP signed note)")
        }
        self.init(note: text, source: path)
    }

    var asNote: (claimedSize: Int, note: String, source: String) { (-1, note, Self.sourcePrefix + source) }
}
