/// What a principal may do. Departments scope `dept_admin`, `staff` and
/// `service`; `admin` is city-wide; `auditor` (Inspektorat) reads the audit
/// trail and nothing else.
public enum Role: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case admin
    case deptAdmin = "dept_admin"
    case staff
    case auditor
    case service

    public var description: String { rawValue }
    public static var allowedNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
