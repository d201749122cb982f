import Foundation
import SamarindaCore
import SamarindaRuntime
import Testing
@testable import SamarindaDocuments

/// Document row rules asked through the one `Policy` (issue 16): the store supplies the facts (the
/// collection's department, its shares, the document's classification, the plugin's grant) and the policy
/// answers, for search, listing, fetching one document, ingest and removal alike.
@Suite struct DocumentPolicyMatrixTests {
    static let disdukcapilStaff = Principal(id: "key:capil", name: "staf capil", department: "disdukcapil", role: .staff, clearance: .terbatas)

    /// bapenda's terbatas memo and rahasia report, shared with dinkes (not with disdukcapil).
    func store() async throws -> (StoreFixture, memo: Int64, report: Int64) {
        let f = try StoreFixture(shares: ["bapenda-internal": ["dinkes"]])
        let memo = try await f.store.ingest(paths: [try f.write("memo.md", "# Nota Dinas Tunggakan PBB\n\nDaftar tunggakan pajak kawasan Sungai Kunjang.")],
                                            collection: "bapenda-internal", classification: .terbatas, department: "bapenda", by: People.admin)
        let report = try await f.store.ingest(paths: [try f.write("lhp.md", "# Pemeriksaan Wajib Pajak\n\nTemuan kurang bayar pajak hotel Sungai Kunjang.")],
                                              collection: "bapenda-internal", classification: .rahasia, department: "bapenda", by: People.admin)
        return (f, try #require(memo.results.first?.documentID), try #require(report.results.first?.documentID))
    }

    /// Whether `principal` (through `grant`) can fetch the document, see it in search and in the list.
    func reaches(_ f: StoreFixture, _ id: Int64, _ principal: Principal, grant: DocumentGrant? = nil) async throws -> (fetch: Bool, search: Bool, list: Bool) {
        let fetched = (try? await f.store.document(id: id, for: principal, grant: grant)) != nil
        let hits = (try? await f.store.search(query: "pajak Sungai Kunjang", principal: principal, limit: 50, grant: grant)) ?? []
        let listed = grant == nil ? ((try? f.store.list(for: principal)) ?? []).contains { $0.id == id } : hits.contains { $0.documentID == id }
        return (fetched, hits.contains { $0.documentID == id }, listed)
    }

    @Test func aSharedCollectionAndARevokedGrantAnswerTheSameEverywhere() async throws {
        let (f, memo, report) = try await store()
        let granted = DocumentGrant(capabilities: ["docs.search:bapenda"], holder: "dinkes.ringkas")
        let revoked = DocumentGrant(capabilities: ["docs.search:dinkes", "model.generate"], holder: "dinkes.ringkas")
        // (who, through which grant, the memo (terbatas), the report (rahasia)): every path must agree.
        let matrix: [(String, Principal, DocumentGrant?, Bool, Bool)] = [
            ("owner's staff", People.bapendaStaff, nil, true, false),
            ("owner's head", People.bapendaHead, nil, true, true),
            ("shared-to department", People.dinkesStaff, nil, true, false),
            ("shared-to, through a granted plugin", People.dinkesStaff, granted, true, false),
            ("shared-to, the plugin's grant revoked", People.dinkesStaff, revoked, false, false),
            ("admin, the plugin's grant revoked", People.admin, revoked, false, false),
            ("a department it is not shared with", Self.disdukcapilStaff, nil, false, false),
            ("not shared, through a granted plugin", Self.disdukcapilStaff, granted, false, false),
            ("auditor", People.auditor, nil, false, false),
            ("admin", People.admin, nil, true, true),
        ]
        for (name, principal, grant, memoVisible, reportVisible) in matrix {
            let m = try await reaches(f, memo, principal, grant: grant)
            let r = try await reaches(f, report, principal, grant: grant)
            #expect(m.fetch == memoVisible && m.search == memoVisible && m.list == memoVisible, "\(name): memo \(m)")
            #expect(r.fetch == reportVisible && r.search == reportVisible && r.list == reportVisible, "\(name): report \(r)")
        }

        // The policy's own answers, with their reasons, for the same facts.
        let policy = Policy()
        let collection = CollectionAccess(name: "bapenda-internal", department: "bapenda", sharedWith: ["dinkes"])
        #expect(policy.decide(.readCollection(collection, through: nil), for: People.dinkesStaff).allowed)
        #expect(policy.decide(.readCollection(collection, through: nil), for: Self.disdukcapilStaff).reason == .department)
        #expect(policy.decide(.readCollection(collection, through: revoked.access), for: People.dinkesStaff).reason == .grant)
        #expect(policy.decide(.readDocument(collection, classification: .rahasia, through: nil), for: People.dinkesStaff).reason == .clearance)
        let capped = DocumentGrantAccess(holder: "bapenda.ringkas", departments: ["bapenda"], maxClassification: .biasa)
        #expect(policy.decide(.readDocument(collection, classification: .terbatas, through: capped), for: People.bapendaHead).reason == .grant)
        #expect(policy.decide(.readCollection(collection, through: nil), for: People.auditor).reason == .role)
        // Sharing opens reading, not writing: dinkes may not file into or remove from bapenda's collection.
        #expect(policy.decide(.writeCollection(collection, classification: .biasa), for: People.dinkesStaff).reason == .department)
        let filed = try await f.store.ingest(paths: [try f.write("x.md", "# X\n\nisi")], collection: "bapenda-internal", classification: .biasa,
                                             by: People.dinkesStaff)
        #expect(filed.skipped.first?.reason.contains("may not add documents") == true)
        await #expect(throws: DocumentsError.self) { try await f.store.remove(id: memo, by: People.dinkesStaff) }
        #expect(try await f.store.document(id: memo, for: People.admin).record.status == "current", "nothing was removed")
    }
}
