import Foundation
import Testing
@testable import SamarindaCore

@Suite struct KeyStoreTests {
    /// Holds the folder for as long as the test holds the fixture.
    final class Fixture {
        let dir: TemporaryDirectory
        let store: KeyStore
        let audit = MemoryAuditSink()
        init() throws {
            dir = try TemporaryDirectory()
            let db = try Database(path: dir.path + "/s.db")
            try db.migrate([KeyStore.migrations])
            store = KeyStore(database: db, config: .defaults, audit: audit)
        }
    }

    @Test func createdKeyVerifiesToItsPrincipal() async throws {
        let f = try Fixture(); let store = f.store, audit = f.audit
        defer { withExtendedLifetime(f) {} }
        let (key, record) = try await store.create(name: "loket", department: "disdukcapil", role: .staff)
        #expect(key.hasPrefix("smd_\(record.id)_"))
        #expect(key.count >= 50)
        let principal = try store.verify(key)
        #expect(principal.department == "disdukcapil")
        #expect(principal.role == .staff)
        #expect(principal.clearance == .terbatas)
        #expect(principal.keyID == record.id)
        #expect(audit.events.map(\.action) == ["key.create"])
        #expect(!audit.events[0].fields.values.contains(key))
    }

    @Test func onlyAHashIsStored() async throws {
        let f = try Fixture(); let store = f.store, dir = f.dir
        defer { withExtendedLifetime(f) {} }
        let (key, _) = try await store.create(name: "svc", department: "bapenda", role: .service)
        let raw = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/s.db"))
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: dir.path + "/s.db-wal"))) ?? Data()
        let secret = String(key.dropFirst("smd_".count + 8 + 1))  // the secret itself may contain "_"
        #expect(secret.count == 43)
        #expect(raw.range(of: Data(secret.utf8)) == nil)
        #expect(wal.range(of: Data(secret.utf8)) == nil)
    }

    @Test func wrongMalformedAndRevokedKeysAreRejected() async throws {
        let f = try Fixture(); let store = f.store, audit = f.audit
        defer { withExtendedLifetime(f) {} }
        let (key, record) = try await store.create(name: "a", department: "dinkes", role: .staff)
        var tampered = Array(key)
        tampered[tampered.count - 1] = tampered.last == "A" ? "B" : "A"
        #expect(throws: KeyVerificationError.unknown) { try store.verify(String(tampered)) }
        #expect(throws: KeyVerificationError.unknown) { try store.verify("smd_00000000_" + String(repeating: "x", count: 43)) }
        #expect(throws: KeyVerificationError.malformed) { try store.verify("Bearer nonsense") }
        #expect(throws: KeyVerificationError.malformed) { try store.verify("smd_zz_zz") }
        // The shape `smd_<8 hex digits>_<secret>`, read as bytes: every other shape is malformed.
        let secret = String(repeating: "x", count: 43)
        for shape in ["smd_\(record.id)_", "smd_\(record.id)", "smd_1234567_" + secret, "smd_123456789_" + secret,
                      "smd__" + secret, "smd_1234567g_" + secret, "smd_１２３４５６７８_" + secret, "smd_12345678" + secret] {
            #expect(throws: KeyVerificationError.malformed, "\(shape)") { try store.verify(shape) }
        }
        // Well-formed but not a key: unknown (the id is looked up; a secret may itself hold '_').
        #expect(throws: KeyVerificationError.unknown) { try store.verify("smd_\(record.id)__" + secret) }
        #expect(throws: KeyVerificationError.unknown) { try store.verify("smd_\(record.id.uppercased())_x") }
        #expect(try store.verify(key).keyID == record.id, "the real key still verifies")
        try await store.revoke(id: record.id)
        #expect(throws: KeyVerificationError.revoked(id: record.id)) { try store.verify(key) }
        #expect(try store.list().first?.revokedAt != nil)
        #expect(audit.events.map(\.action) == ["key.create", "key.revoke"])
    }

    @Test func revokingAnUnknownKeyIsAClearError() async throws {
        let f = try Fixture(); let store = f.store
        defer { withExtendedLifetime(f) {} }
        await #expect {
            try await store.revoke(id: "deadbeef")
        } throws: { ($0 as? KeyStoreError)?.message.contains("keys list") == true }
    }

    @Test func unknownDepartmentIsRefused() async throws {
        let f = try Fixture(); let store = f.store
        defer { withExtendedLifetime(f) {} }
        await #expect(throws: KeyStoreError.self) { try await store.create(name: "x", department: "dinas-luar", role: .staff) }
        #expect(try store.list().isEmpty)
    }

    @Test func listShowsLastUse() async throws {
        let f = try Fixture(); let store = f.store
        defer { withExtendedLifetime(f) {} }
        let (key, _) = try await store.create(name: "b", department: "bapenda", role: .deptAdmin, clearance: .biasa)
        #expect(try store.list().first?.lastUsedAt == nil)
        _ = try store.verify(key)
        let listed = try #require(try store.list().first)
        #expect(listed.lastUsedAt != nil)
        #expect(listed.clearance == .biasa)
    }

    @Test func constantTimeComparison() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2], [1, 2, 3]))
    }
}
