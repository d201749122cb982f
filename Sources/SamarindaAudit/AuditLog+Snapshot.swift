import Foundation
import SamarindaCore

extension AuditLog {
    /// Signs a checkpoint of the trail as it stands in `snapshot` (a copy made with
    /// `Database.snapshot(into:)`), with this trail's key. A backup carries it as its own checkpoint:
    /// `backup verify` then checks the restored trail reproduces exactly this size and root. The
    /// events after the snapshot's last stored checkpoint are checked against their hash chain first,
    /// so an edited tail is refused rather than signed.
    public func signCheckpoint(ofSnapshot snapshot: Database) throws -> Checkpoint {
        try snapshot.read { c in
            let last = try c.queryFirst("SELECT seq, chain FROM audit_events ORDER BY seq DESC LIMIT 1") { ($0.int64(0), $0.blob(1)) }
            let head = try Self.loadHead(c, size: Int(last?.0 ?? 0), chain: last?.1 ?? Self.chainSeed)
            return try signer.sign(origin: config.audit.origin, treeSize: head.frontier.size, rootHash: head.frontier.root)
        }
    }
}
