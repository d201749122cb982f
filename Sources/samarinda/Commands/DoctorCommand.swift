import ArgumentParser
import SamarindaRuntime
import SamarindaSSO

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check configuration, database integrity, migrations, system libraries and the plugins folder.",
        discussion: "Prints one line per check and exits 1 if any check failed.")
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config = try options.load()
        let checks = Doctor(config: config).run()
        for c in checks {
            print("[\(c.status.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0))] \(c.name): \(c.detail)")
        }
        // [auth.oidc]: the provider's discovery document and JWKS (issue 19).
        let sso = await OIDCDoctor.run(config: config)
        for c in sso {
            print("[\(c.status.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0))] \(c.name): \(c.detail)")
        }
        let failed = checks.filter { $0.status == .failed }.count + sso.filter { $0.status == .failed }.count
        print(failed == 0 ? "doctor: all checks passed" : "doctor: \(failed) check(s) failed")
        if failed > 0 { throw ExitCode(1) }
    }
}
