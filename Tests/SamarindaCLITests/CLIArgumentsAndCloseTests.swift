import Foundation
import SamarindaCore
import Testing

/// Issue 16, CLI part: `Classification`, `Role` and `Department` are argument types (a bad value is a usage
/// error, exit 2, naming the values allowed), and every command closes the platform on its error paths too.
@Suite struct CLIArgumentsAndCloseTests {
    @Test func aBadRoleOrClearanceIsAUsageErrorListingTheAllowedValues() throws {
        let cli = try CLI()
        let role = try cli.run(["keys", "create", "--name", "x", "--department", "dinkes", "--role", "root"])
        #expect(role.status == 2, "\(role.stderr)")
        #expect(role.stderr.contains("'root'") && role.stderr.contains("- dept_admin") && role.stderr.contains("- dpo"), "\(role.stderr)")
        let clearance = try cli.run(["users", "create", "budi", "--department", "dinkes", "--role", "staff", "--clearance", "top-secret",
                                     "--password-stdin"], stdin: "kuda-lari-cepat-99\n")
        #expect(clearance.status == 2, "\(clearance.stderr)")
        #expect(clearance.stderr.contains("'top-secret'") && clearance.stderr.contains("'biasa', 'terbatas', 'rahasia' or 'sangat_rahasia'"),
                "\(clearance.stderr)")
        // Nothing was created by either.
        #expect(try cli.run(["keys", "list", "--json"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]")
        #expect(try cli.run(["users", "list", "--json"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]")
    }

    @Test func aBadClassificationIsRefusedBeforeAnythingIsOpened() throws {
        let cli = try CLI()
        let file = cli.dir.path + "/a.txt"
        try "Syarat KTP-el".write(toFile: file, atomically: true, encoding: .utf8)
        let ingest = try cli.run(["docs", "ingest", file, "--collection", "umum", "--classification", "RAHASIA", "--department", "public"])
        #expect(ingest.status == 2, "\(ingest.stderr)")
        #expect(ingest.stderr.contains("'RAHASIA'") && ingest.stderr.contains("'sangat_rahasia'"), "\(ingest.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cli.dir.path + "/data/samarinda.db"), "a usage error opens no database")
        let ask = try cli.run(["ask", "--classification", "", "apa?"])
        #expect(ask.status == 2 && ask.stderr.contains("--classification"), "\(ask.stderr)")
    }

    @Test func aDepartmentIsCheckedForItsFormAndAgainstTheConfiguration() throws {
        let cli = try CLI()
        let malformed = try cli.run(["keys", "create", "--name", "x", "--department", "Dinas Kesehatan", "--role", "staff"])
        #expect(malformed.status == 2, "\(malformed.stderr)")
        #expect(malformed.stderr.contains("'Dinas Kesehatan'") && malformed.stderr.contains("--department"), "\(malformed.stderr)")
        let unknown = try cli.run(["keys", "create", "--name", "x", "--department", "dinas-rahasia", "--role", "staff"])
        #expect(unknown.status == 2, "\(unknown.stderr)")
        #expect(unknown.stderr.contains("unknown department 'dinas-rahasia'") && unknown.stderr.contains("disdukcapil")
                && unknown.stderr.contains("[departments]"), "\(unknown.stderr)")
        let user = try cli.run(["users", "create", "budi", "--department", "dinas-rahasia", "--role", "staff", "--password-stdin"],
                               stdin: "kuda-lari-cepat-99\n")
        #expect(user.status == 2 && user.stderr.contains("unknown department 'dinas-rahasia'"), "\(user.stderr)")
        // A department added in the configuration is accepted.
        let configured = try CLI(extra: "[departments.dinkes]\nname = \"Dinas Kesehatan\"\n[departments.dinas-baru]\nname = \"Dinas Baru\"\n")
        let made = try configured.run(["keys", "create", "--name", "x", "--department", "dinas-baru", "--role", "staff"])
        #expect(made.status == 0, "\(made.stderr)")
    }

    @Test func helpListsTheAllowedValues() throws {
        let cli = try CLI()
        let help = try cli.run(["keys", "create", "--help"], withConfig: false)
        #expect(help.status == 0)
        let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("(values: admin, dept_admin, staff, auditor, service, dpo)"), "\(help.stdout)")
        #expect(text.contains("(values: biasa, terbatas, rahasia, sangat_rahasia)"), "\(help.stdout)")
    }

    /// `docs show` of a document that does not exist records a refused `docs.get` and exits 1. Before the
    /// helper it exited without closing, so that refusal stood after the last signed checkpoint; now the
    /// final checkpoint covers every event, whatever the exit path.
    @Test func anErrorPathStillClosesThePlatformSoTheLastCheckpointCoversItsRefusal() throws {
        let cli = try CLI()
        #expect(try cli.run(["keys", "list"]).status == 0)
        let shown = try cli.run(["docs", "show", "99999"])
        #expect(shown.status == 1, "\(shown.stderr)")
        #expect(shown.stderr.contains("no document 99999"), "\(shown.stderr)")
        let badKey = try cli.run(["docs", "search", "ktp", "--as", "smd_00000000_nope"])
        #expect(badKey.status == 1, "\(badKey.stderr)")
        let db = try Database(path: cli.dir.path + "/data/samarinda.db")
        let (events, refusals, lastAction) = try db.read { c in
            try c.queryFirst("""
                SELECT (SELECT COUNT(*) FROM audit_events),
                       (SELECT COUNT(*) FROM audit_events WHERE action = 'docs.get' AND outcome LIKE 'denied%'),
                       (SELECT action FROM audit_events ORDER BY seq DESC LIMIT 1)
                """) { ($0.int64(0), $0.int64(1), $0.text(2)) }
        } ?? (0, 0, "")
        #expect(refusals == 1, "the refusal of 'docs show' is in the trail")
        #expect(lastAction == "auth.fail", "and so is the bad --as key, last")
        let signed = try db.read { c in try c.queryFirst("SELECT MAX(tree_size) FROM audit_checkpoints") { $0.int64(0) } } ?? 0
        #expect(signed == events, "the final checkpoint covers all \(events) events, the refusal included")
        // And the whole trail still verifies.
        let verify = try cli.run(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
    }
}
