/// What a principal may do. Departments scope `dept_admin`, `staff` and
/// `service`; `admin` is city-wide; `auditor` (Inspektorat) reads the audit
/// trail and nothing else; `dpo` (the data protection officer, UU 27/2022 Pasal 53) reads the
/// record of processing and runs data subject requests and incidents, and sees no other content.
public enum Role: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case admin
    case deptAdmin = "dept_admin"
    case staff
    case auditor
    case service
    case dpo

    public var description: String { rawValue }
    /// False for the roles that oversee rather than use the platform (auditor, dpo): no documents,
    /// tools or chat content; the DPO sees personal data only in what a data subject request returns.
    public var seesContent: Bool { self != .auditor && self != .dpo }

    public static var allowedNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
