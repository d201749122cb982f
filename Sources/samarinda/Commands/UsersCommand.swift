import ArgumentParser
import Foundation
import SamarindaCore
#if canImport(Glibc)
import Glibc
#endif

struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Create, reset, disable and list the people who sign in to the staff web.",
        discussion: """
            Passwords are read from the terminal (typed twice, not shown) or, with --password-stdin, from the first line of standard input.
            A password needs at least \(PasswordRules.minimumLength) characters; only its scrypt hash is stored.
            """,
        subcommands: [Create.self, Reset.self, Disable.self, Enable.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a web user with a department, a role and a password.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The user name: lowercase letters, digits, '.', '_', '-', e.g. budi.santoso.") var name: String
        @OptionGroup var who: PrincipalOptions
        @Flag(help: "Read the password from the first line of standard input (for scripts).") var passwordStdin = false

        func validate() throws {
            if let problem = UserStore.problem(withName: name) { throw ValidationError(problem) }
        }

        func run() async throws {
            let password = try readNewPassword(stdin: passwordStdin, user: name)
            try await CLIPlatform.run(options) { handle in
                // The store checks the department itself, so a refused creation is a `user.create` denied event.
                let user: UserRecord
                do {
                    user = try await handle.platform.users.create(name: name, department: who.department.id,
                                                                  role: who.role, clearance: who.clearance,
                                                                  monthlyTokens: who.monthlyTokens, password: password, by: handle.operatorPrincipal)
                } catch let e as UserStoreError where e.kind == .unknownDepartment {
                    printError(e.message + " (set in [departments] of samarinda.toml)")
                    throw ExitCode(2)
                }
                print("created user \(user.name) (\(user.role.rawValue), \(user.department), clearance \(user.clearance.name))")
            }
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a new password for a user; their web sessions end.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The user name.") var name: String
        @Flag(help: "Read the password from the first line of standard input (for scripts).") var passwordStdin = false

        func run() async throws {
            let password = try readNewPassword(stdin: passwordStdin, user: name)
            try await CLIPlatform.run(options) { handle in
                try await handle.platform.users.resetPassword(name: name, password: password, by: handle.operatorPrincipal)
                print("new password set for \(name); their web sessions have ended")
            }
        }
    }

    struct Disable: PlatformCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user: sign-in is refused and their web sessions end.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The user name.") var name: String

        func run(on handle: PlatformHandle) async throws { try await setUser(name, enabled: false, on: handle) }
    }

    struct Enable: PlatformCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user again.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The user name.") var name: String

        func run(on handle: PlatformHandle) async throws { try await setUser(name, enabled: true, on: handle) }
    }

    struct List: PlatformCommand {
        static let configuration = CommandConfiguration(abstract: "List web users (never their passwords).")
        @OptionGroup var options: ConfigOptions
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run(on handle: PlatformHandle) async throws {
            let users = try handle.platform.users.list()
            if json {
                let rows: [[String: String]] = users.map { u in
                    ["name": u.name, "department": u.department, "role": u.role.rawValue, "clearance": u.clearance.name,
                     "created": iso(u.createdAt), "password_changed": iso(u.passwordChangedAt), "disabled": u.disabledAt.map(iso) ?? ""]
                }
                try printJSON(object: rows)
            } else if users.isEmpty {
                print("No web users yet. Create one with: samarinda users create NAME --department DEPT --role staff")
            } else {
                print(TextTable(["NAME", "DEPARTMENT", "ROLE", "CLEARANCE", "CREATED", "PASSWORD CHANGED", "DISABLED"],
                                users.map { [$0.name, $0.department, $0.role.rawValue, $0.clearance.name, iso($0.createdAt),
                                             iso($0.passwordChangedAt), $0.disabledAt.map(iso) ?? "-"] }).render())
            }
        }
    }
}

/// `users enable` and `users disable`.
private func setUser(_ name: String, enabled: Bool, on handle: PlatformHandle) async throws {
    if enabled {
        try await handle.platform.users.enable(name: name, by: handle.operatorPrincipal)
    } else {
        try await handle.platform.users.disable(name: name, by: handle.operatorPrincipal)
    }
    print("\(enabled ? "enabled" : "disabled") user \(name)")
}

/// A new password, from standard input or typed twice at the terminal without echo; checked
/// against the rules before the database is opened, so a weak one fails fast with the reason.
private func readNewPassword(stdin: Bool, user: String) throws -> String {
    let password: String
    if stdin {
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            printError("--password-stdin: standard input had no password on its first line")
            throw ExitCode(2)
        }
        password = line
    } else {
        guard isatty(0) == 1 else {
            printError("no terminal to type a password into: pass --password-stdin and send the password on standard input")
            throw ExitCode(2)
        }
        let first = readSecret("Password for \(user): ")
        let second = readSecret("Repeat password: ")
        guard first == second else {
            printError("the two passwords differ; nothing was changed")
            throw ExitCode(1)
        }
        password = first
    }
    if let problem = PasswordRules.problem(with: password, user: user) {
        printError(problem)
        throw ExitCode(1)
    }
    return password
}

/// Reads a line from the terminal with echo switched off.
private func readSecret(_ prompt: String) -> String {
    FileHandle.standardError.write(Data(prompt.utf8))
    var saved = termios()
    tcgetattr(0, &saved)
    var silent = saved
    silent.c_lflag &= ~tcflag_t(ECHO)
    tcsetattr(0, TCSANOW, &silent)
    defer {
        tcsetattr(0, TCSANOW, &saved)
        FileHandle.standardError.write(Data("\n".utf8))
    }
    return readLine(strippingNewline: true) ?? ""
}
