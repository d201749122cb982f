import SamarindaCore

/// What a plugin was granted to search: `docs.search:<department>` and `docs.search:public`
/// capabilities, and optionally the highest classification its tool may return.
/// A plugin searches with its caller's rights *intersected* with this grant, never more.
public struct DocumentGrant: Sendable, Equatable {
    /// Departments whose collections the plugin may search (`public` for public collections).
    public var departments: Set<String>
    /// Who holds the grant, for the audit trail (e.g. "disdukcapil.syarat").
    public var holder: String
    /// The highest classification the plugin may receive; nil: the caller's clearance alone decides.
    public var maxClassification: Classification?

    public init(departments: Set<String>, holder: String, maxClassification: Classification? = nil) {
        self.departments = departments
        self.holder = holder
        self.maxClassification = maxClassification
    }

    /// Reads the `docs.search:*` capabilities of a plugin; other capabilities are ignored.
    public init(capabilities: [String], holder: String, maxClassification: Classification? = nil) {
        let prefix = "docs.search:"
        self.init(departments: Set(capabilities.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }),
                  holder: holder, maxClassification: maxClassification)
    }
}

/// The collections and classification a principal (through a grant, if any) may read: the policy's
/// answers for each collection (`AccessAction.readCollection`, `.readDocument`), asked once per request
/// with the facts this module holds (owner department, shares, the plugin's grant), then applied inside
/// the SQL of every query, so invisible documents never leave SQLite.
struct AccessScope: Sendable {
    /// nil: every collection (admin without a grant).
    var collectionIDs: Set<Int64>?
    var maxClassification: Classification

    var isEmpty: Bool { collectionIDs?.isEmpty == true }

    /// The SQL condition on a table alias that has `collection_id` and `classification`, with its arguments.
    func condition(alias: String) -> (sql: String, arguments: [SQLValue]) {
        var sql = "\(alias).classification <= ?"
        var args: [SQLValue] = [.integer(Int64(maxClassification.rawValue))]
        if let ids = collectionIDs {
            sql += " AND \(alias).collection_id IN (SELECT value FROM json_each(?))"
            args.append(.text("[" + ids.sorted().map(String.init).joined(separator: ",") + "]"))
        }
        return (sql, args)
    }
}

extension DocumentGrant {
    /// The grant as the policy sees it.
    public var access: DocumentGrantAccess {
        DocumentGrantAccess(holder: holder, departments: departments, maxClassification: maxClassification)
    }
}

extension DocumentStore {
    /// A collection's facts for the policy: its name, its department, whom `[documents.shares]` opens it to.
    func collectionAccess(name: String, department: String) -> CollectionAccess {
        CollectionAccess(name: name, department: department, sharedWith: config.shares[name] ?? [])
    }

    /// The highest level of `collection` the policy lets `principal` read (through `grant`); nil: nothing.
    /// Asked level by level, so the rule stays in the policy and this only turns it into an SQL bound.
    func highestReadable(_ collection: CollectionAccess, for principal: Principal, through grant: DocumentGrant?) -> Classification? {
        Classification.allCases.sorted().last {
            policy.decide(.readDocument(collection, classification: $0, through: grant?.access), for: principal).allowed
        }
    }
}
