import ArgumentParser
import SamarindaCore

// Values of the platform's own types parsed by ArgumentParser: a bad value is a usage error (exit 2)
// whose message lists the values allowed, and `--help` shows them.

extension Classification: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.name) }
    public var defaultValueDescription: String { name }
    /// None: the names say it (the raw values are only the order, which the help need not show).
    public static var allValueDescriptions: [String: String] { [:] }
}

extension Role: ExpressibleByArgument {}

/// A department id as given on the command line, e.g. `disdukcapil`. Departments are configurable
/// (`[departments]` in samarinda.toml), so parsing checks the form and `known(in:)` checks the id
/// against the loaded configuration.
struct Department: ExpressibleByArgument, CustomStringConvertible, Sendable {
    let id: String

    init?(argument: String) {
        guard SamarindaConfig.isValidDepartmentID(argument) else { return nil }
        id = argument
    }

    var description: String { id }

    /// The id, when the configuration knows this department; otherwise says which ones it knows and exits 2.
    func known(in config: SamarindaConfig) throws -> String {
        guard config.department(id) != nil else {
            printError("unknown department '\(id)'; known: \(config.departments.map(\.id).joined(separator: ", ")) (set in [departments] of samarinda.toml)")
            throw ExitCode(2)
        }
        return id
    }
}

/// Who a new principal is (`keys create`, `users create`): department, role, clearance and own budget.
struct PrincipalOptions: ParsableArguments {
    @Option(help: "The department it belongs to, e.g. disdukcapil.") var department: Department
    @Option(help: "What it may do.") var role: Role
    @Option(help: "The highest classification it may see (default: the role's clearance).") var clearance: Classification?
    @Option(help: "Its own monthly token budget, beside its department's (default: none).") var monthlyTokens: Int?

    func validate() throws {
        if let problem = monthlyTokensProblem(monthlyTokens) { throw ValidationError(problem) }
    }
}
