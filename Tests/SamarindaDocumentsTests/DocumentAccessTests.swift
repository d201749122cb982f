import Foundation
import SamarindaCore
import Testing
@testable import SamarindaDocuments

/// bapenda's terbatas memo and rahasia report, a public PBB leaflet and dinkes' own SOP.
private func cityStore(shares: [String: [String]] = [:]) async throws -> StoreFixture {
    let f = try StoreFixture(shares: shares)
    _ = try await f.store.ingest(paths: [try f.write("memo.md", "# Nota Dinas Tunggakan PBB\n\nDaftar tunggakan pajak bumi dan bangunan kawasan Sungai Kunjang.")],
                                 collection: "bapenda-internal", classification: .terbatas, department: "bapenda", by: People.admin)
    _ = try await f.store.ingest(paths: [try f.write("lhp.md", "# Pemeriksaan Wajib Pajak\n\nTemuan kurang bayar pajak hotel oleh WP-A.")],
                                 collection: "bapenda-internal", classification: .rahasia, department: "bapenda", by: People.admin)
    _ = try await f.store.ingest(paths: [try f.write("pbb.md", "# Informasi PBB-P2\n\nPembayaran pajak bumi dan bangunan melalui bank.")],
                                 collection: "layanan-bapenda", classification: .biasa, department: "public", by: People.admin)
    _ = try await f.store.ingest(paths: [try f.write("sop.md", "# SOP Rujukan\n\nRujukan pasien dari puskesmas; pajak tidak dibahas.")],
                                 collection: "dinkes-internal", classification: .biasa, department: "dinkes", by: People.admin)
    return f
}

@Suite struct DocumentAccessTests {
    @Test func dinkesStaffNeverSeesBapendasRestrictedDocuments() async throws {
        let f = try await cityStore()
        let hits = try await f.store.search(query: "tunggakan pajak bumi bangunan Sungai Kunjang", principal: People.dinkesStaff, limit: 50)
        #expect(!hits.isEmpty)
        #expect(hits.allSatisfy { $0.collection != "bapenda-internal" })
        #expect(hits.allSatisfy { !$0.snippet.contains("Kunjang") && !$0.text.contains("Kunjang") })
        // Counts and listings leave it out too, and naming the collection reveals nothing.
        let collections = try f.store.collections(for: People.dinkesStaff)
        #expect(collections.map(\.name).sorted() == ["dinkes-internal", "layanan-bapenda"])
        #expect(try f.store.list(for: People.dinkesStaff).allSatisfy { $0.collection != "bapenda-internal" })
        await #expect(throws: DocumentsError.self) {
            _ = try await f.store.search(query: "tunggakan", principal: People.dinkesStaff, collections: ["bapenda-internal"])
        }
        let memoID = try #require(try f.store.list(for: People.admin).first { $0.sourceName == "memo.md" }?.id)
        do {
            _ = try await f.store.document(id: memoID, for: People.dinkesStaff)
            Issue.record("dinkes staff fetched bapenda's memo")
        } catch let e as DocumentsError {
            #expect(e.kind == .notFound)
            #expect(e.message == "no document \(memoID) that you may read; see 'samarinda docs list'")
        }
        // The audit trail names only what was returned.
        let event = try #require(f.audit.events.last { $0.action == "docs.search" && $0.actor.principalID == People.dinkesStaff.id && $0.outcome == .ok })
        let memoChunks = try f.database.read { c in try c.query("SELECT id FROM doc_chunks WHERE document_id = ?", [.integer(memoID)]) { String($0.int64(0)) } }
        let returned: [String] = (event.fields["chunks"] ?? "").split(separator: ",").map { String($0) }
        #expect(Set(returned).isDisjoint(with: Set(memoChunks)))
    }

    @Test func adminSeesEverything() async throws {
        let f = try await cityStore()
        let hits = try await f.store.search(query: "tunggakan pajak Sungai Kunjang kurang bayar", principal: People.admin, limit: 50)
        #expect(Set(hits.map(\.collection)).isSuperset(of: ["bapenda-internal"]))
        #expect(hits.contains { $0.classification == .rahasia })
        #expect(try f.store.collections(for: People.admin).first { $0.name == "bapenda-internal" }?.documentCount == 2)
    }

    @Test func clearanceCapsWhatOwnDepartmentSees() async throws {
        let f = try await cityStore()
        let staff = try await f.store.search(query: "pajak", principal: People.bapendaStaff, limit: 50)
        #expect(staff.contains { $0.classification == .terbatas })
        #expect(!staff.contains { $0.classification == .rahasia })
        #expect(try f.store.collections(for: People.bapendaStaff).first { $0.name == "bapenda-internal" }?.documentCount == 1)
        let head = try await f.store.search(query: "pajak", principal: People.bapendaHead, limit: 50)
        #expect(head.contains { $0.classification == .rahasia })
    }

    @Test func sharesInConfigurationOpenACollectionToAnotherDepartment() async throws {
        let f = try await cityStore(shares: ["bapenda-internal": ["dinkes"]])
        let hits = try await f.store.search(query: "tunggakan Sungai Kunjang", principal: People.dinkesStaff, limit: 50)
        #expect(hits.contains { $0.collection == "bapenda-internal" && $0.classification == .terbatas })
        #expect(!hits.contains { $0.classification == .rahasia })
    }

    @Test func auditorsSeeNoDocuments() async throws {
        let f = try await cityStore()
        await #expect(throws: DocumentsError.self) { _ = try await f.store.search(query: "pajak", principal: People.auditor) }
        #expect(f.audit.events.last?.outcome == .denied(code: "access_denied"))
        #expect(throws: DocumentsError.self) { _ = try f.store.list(for: People.auditor) }
    }

    @Test func pluginGrantIsIntersectedWithTheCallersRights() async throws {
        let f = try await cityStore()
        // A bapenda plugin granted its own department, called by bapenda staff: terbatas yes, rahasia no (caller's clearance).
        let bapendaPlugin = DocumentGrant(capabilities: ["docs.search:bapenda", "model.generate"], holder: "bapenda.pajak")
        let own = try await f.store.search(query: "pajak tunggakan", principal: People.bapendaStaff, limit: 50, grant: bapendaPlugin)
        #expect(Set(own.map(\.collection)) == ["bapenda-internal"])
        #expect(!own.contains { $0.classification == .rahasia })
        // The same plugin called by dinkes staff gets nothing of bapenda's: the caller may not see it.
        let viaDinkes = try await f.store.search(query: "pajak tunggakan", principal: People.dinkesStaff, limit: 50, grant: bapendaPlugin)
        #expect(viaDinkes.isEmpty)
        // A public-only plugin called by an admin sees public documents only.
        let publicPlugin = DocumentGrant(capabilities: ["docs.search:public"], holder: "diskominfo.faq")
        let asAdmin = try await f.store.search(query: "pajak", principal: People.admin, limit: 50, grant: publicPlugin)
        #expect(Set(asAdmin.map(\.collection)) == ["layanan-bapenda"])
        #expect(f.audit.events.last?.fields["grant"] == "diskominfo.faq")
        // A grant's classification cap applies too.
        let capped = DocumentGrant(departments: ["bapenda"], holder: "bapenda.ringkas", maxClassification: .biasa)
        #expect(try await f.store.search(query: "pajak", principal: People.bapendaHead, limit: 50, grant: capped).isEmpty)
    }

    @Test func removingADocumentDeletesItsTextAndIsAudited() async throws {
        let f = try await cityStore()
        let memo = try #require(try f.store.list(for: People.admin).first { $0.sourceName == "memo.md" })
        await #expect(throws: DocumentsError.self) { try await f.store.remove(id: memo.id, by: People.dinkesStaff) }
        try await f.store.remove(id: memo.id, by: People.bapendaHead)
        #expect(f.audit.events.last?.action == "docs.remove")
        #expect(try await f.store.search(query: "Sungai Kunjang", principal: People.admin).isEmpty)
        let remaining = try f.database.read { c in try c.queryFirst("SELECT count(*) FROM doc_chunks WHERE document_id = ?", [.integer(memo.id)]) { $0.int(0) } }
        #expect(remaining == 0)
    }
}
