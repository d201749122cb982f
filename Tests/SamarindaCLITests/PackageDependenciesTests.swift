import Foundation
import Testing

/// `Package.swift` is the architecture (docs/ARCHITECTURE.md): every module a target imports must be one it
/// declares, so the target list tells the truth. SwiftPM does not check this itself: a module built
/// anyway for another target can be imported without being declared.
@Suite struct PackageDependenciesTests {
    /// Modules of the toolchain and the system, which need no declaration.
    static let system: Set<String> = ["Foundation", "FoundationEssentials", "FoundationNetworking", "FoundationXML", "Glibc", "Musl",
                                      "Darwin", "Dispatch", "Synchronization", "Testing", "XCTest", "_Concurrency"]

    struct Target {
        let name: String
        let declared: Set<String>
        let folder: String
    }

    /// The targets of Package.swift with the quoted names in their dependency lists (target and product names).
    static func targets() throws -> [Target] {
        let manifest = try String(contentsOfFile: Repo.root + "/Package.swift", encoding: .utf8)
        let starts = try Regex(#"\.(?:target|executableTarget|testTarget)\("#)
        let pieces = manifest.split(separator: starts).dropFirst()
        return try pieces.compactMap { piece in
            let text = String(piece)
            guard let name = try Regex(#"^\s*name:\s*"([^"]+)""#).firstMatch(in: text)?.output[1].substring else { return nil }
            let head = text.components(separatedBy: "swiftSettings")[0]
            let declared = Set(head.matches(of: try Regex(#""([A-Za-z_]+)""#)).compactMap { $0.output[1].substring.map(String.init) })
            let path = try Regex(#"path:\s*"([^"]+)""#).firstMatch(in: head)?.output[1].substring.map(String.init)
            let folder = path ?? (FileManager.default.fileExists(atPath: Repo.root + "/Sources/" + name) ? "Sources/" + name : "Tests/" + name)
            return Target(name: String(name), declared: declared, folder: folder)
        }
    }

    /// Module name → the first file that imports it.
    static func imports(under folder: String) throws -> [String: String] {
        var found: [String: String] = [:]
        let pattern = try Regex(#"^(?:@testable\s+|@_\w+\s+)?import\s+(?:struct\s+|enum\s+|class\s+|func\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*$"#)
        let root = Repo.root + "/" + folder
        for case let file as String in FileManager.default.enumerator(atPath: root) ?? NSEnumerator() where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                if let module = line.wholeMatch(of: pattern)?.output[1].substring, found[String(module)] == nil {
                    found[String(module)] = folder + "/" + file
                }
            }
        }
        return found
    }

    @Test func everyImportedModuleIsADeclaredDependency() throws {
        let targets = try Self.targets()
        let cli = try #require(targets.first { $0.name == "samarinda" }, "the executable target is read from Package.swift")
        #expect(cli.declared.contains("SamarindaModels") && cli.declared.contains("ArgumentParser"))
        #expect(targets.count >= 20, "all targets are read (\(targets.map(\.name)))")
        var undeclared: [String] = []
        for target in targets {
            for (module, file) in try Self.imports(under: target.folder).sorted(by: { $0.key < $1.key })
            where module != target.name && !target.declared.contains(module) && !Self.system.contains(module) {
                undeclared.append("\(target.name) imports \(module) (\(file)) without declaring it in Package.swift")
            }
        }
        #expect(undeclared.isEmpty, "\(undeclared.joined(separator: "\n"))")
    }
}
