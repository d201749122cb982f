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

/// The collections and classification a principal (through a grant, if any) may read.
/// Computed once per request from the collections table and the configured shares, then
/// applied inside the SQL of every query, so invisible documents never leave SQLite.
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

enum AccessPolicy {
    /// May `principal` read collections of `department` (named `collection`)?
    static func mayRead(principal: Principal, collection: String, department: String, shares: [String: [String]]) -> Bool {
        if !principal.role.seesContent { return false }
        if principal.isAdmin { return true }
        if department == DocumentCollection.publicDepartment { return true }
        if department == principal.department { return true }
        return shares[collection]?.contains(principal.department) == true
    }

    /// May the grant's holder read this collection (independently of the caller)?
    static func grantAllows(_ grant: DocumentGrant, department: String) -> Bool {
        grant.departments.contains(department)
    }

    /// May `principal` add or remove documents of a collection owned by `department`?
    static func mayWrite(principal: Principal, department: String) -> Bool {
        switch principal.role {
        case .admin: return true
        case .auditor, .dpo: return false
        case .deptAdmin: return department == principal.department || department == DocumentCollection.publicDepartment
        case .staff, .service: return department == principal.department
        }
    }
}
