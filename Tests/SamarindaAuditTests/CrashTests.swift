import Foundation
import SamarindaCore
import Testing
@testable import SamarindaAudit

/// kill -9 in the middle of group commits loses no acknowledged event and leaves a trail that verifies.
@Suite struct CrashTests {
    /// The child binary sits beside the test bundle in the build folder.
    static var childPath: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        if dir.pathExtension == "xctest" || dir.lastPathComponent == "MacOS" { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("AuditCrashChild").path
    }

    @Test func sigkillLosesNoAcknowledgedEvent() async throws {
        let dir = try TemporaryDirectory(prefix: "samarinda-crash")
        let dbPath = dir.path + "/samarinda.db"
        #expect(FileManager.default.isExecutableFile(atPath: Self.childPath), "build the AuditCrashChild target first: \(Self.childPath)")
        for _ in 0..<2 { // twice: the second run also recovers from the first crash
            let child = Process()
            child.executableURL = URL(fileURLWithPath: Self.childPath)
            child.arguments = [dbPath]
            let out = Pipe()
            child.standardOutput = out
            try child.run()
            var text = ""
            let deadline = Date().addingTimeInterval(20)
            // Let it get going, then kill it while appends are in flight.
            while Date() < deadline {
                text += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
                if text.components(separatedBy: "ack ").count > 400 { break }
            }
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            #expect(child.terminationReason == .uncaughtSignal)
            text += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            // Only whole lines count: the last one may have been cut by the kill.
            let acked = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                .compactMap { $0.hasPrefix("ack ") ? Int64($0.dropFirst(4)) : nil }
            #expect(acked.count > 100)

            var config = SamarindaConfig()
            config.storage.path = dbPath
            let log = try AuditLog(database: Database(path: dbPath), config: config)
            let stored = Set(try log.database.read { c in try c.query("SELECT seq FROM audit_events") { $0.int64(0) } })
            let missing = acked.filter { !stored.contains($0) }
            #expect(missing.isEmpty, "acknowledged but lost: \(missing.prefix(10))")
            let v = try log.verify()
            #expect(v.ok, "\(v)")
            try await log.close()
        }
    }
}
