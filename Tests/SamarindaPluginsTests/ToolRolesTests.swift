import Foundation
import SamarindaCore
import SamarindaRuntime
import Testing
@testable import SamarindaPlugins

/// `roles = [...]` on a tool: parsed with file:line errors, enforced by the platform's policy for
/// listing and calling (issue 16).
@Suite("Tool roles") struct ToolRolesTests {
    static func manifest(roles: String) -> String {
        ManifestTests.valid.replacingOccurrences(of: "description = \"cek\"", with: "description = \"cek\"\n\(roles)")
    }

    func parse(_ text: String) -> Result<PluginManifest, ConfigErrors> {
        PluginManifest.parse(file: "Plugins/dinkes.uji/plugin.toml", text: text, folderName: nil, config: SamarindaConfig())
    }

    @Test func rolesAreParsed() throws {
        let m = try parse(Self.manifest(roles: "roles = [\"staff\", \"dept_admin\"]")).get()
        #expect(m.tools.first?.roles == [.staff, .deptAdmin])
        #expect(try parse(ManifestTests.valid).get().tools.first?.roles == [], "no roles: open to every role that calls tools")
    }

    @Test func badRolesAreErrorsWithFileKeyAndLine() {
        let cases: [(String, String)] = [
            ("roles = [\"staf\"]", "Plugins/dinkes.uji/plugin.toml:16: tools[0].roles[0]: unknown role 'staf'; tools may be restricted to: admin, dept_admin, staff, service"),
            ("roles = [\"staff\", \"auditor\"]", "tools[0].roles[1]: unknown role 'auditor'"),
            ("roles = []", "tools[0].roles: an empty list would open the tool to no one"),
            ("roles = \"staff\"", "tools[0].roles"),
            ("roles = [1]", "tools[0].roles[0]: expected a string"),
        ]
        for (line, expected) in cases {
            guard case .failure(let e) = parse(Self.manifest(roles: line)) else { Issue.record("expected an error for \(line)"); continue }
            #expect(e.description.contains(expected), "\(line): \(e.description)")
        }
    }

    @Test func thePolicyDecidesByRoleDepartmentAndClearance() {
        let policy = Policy()
        let tool = ToolAccess(name: "bapenda.pbb.atur_tarif", departments: ["bapenda"], roles: [.deptAdmin], classification: .terbatas)
        func decide(_ role: Role, _ department: String, _ clearance: Classification = .rahasia) -> String {
            policy.decide(.callTool(tool), for: Principal(id: "p", name: "p", department: department, role: role, clearance: clearance)).code
        }
        #expect(decide(.deptAdmin, "bapenda") == "ok")
        #expect(decide(.staff, "bapenda") == "role_not_allowed")
        #expect(decide(.service, "bapenda") == "role_not_allowed")
        #expect(decide(.deptAdmin, "dinkes") == "department_not_allowed")
        #expect(decide(.deptAdmin, "bapenda", .biasa) == "classification_denied")
        #expect(decide(.admin, "diskominfo") == "ok", "admins may call any tool")
        #expect(decide(.auditor, "bapenda") == "forbidden", "auditors call no tools")
    }
}
