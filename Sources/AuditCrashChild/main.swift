import Foundation
import SamarindaAudit
import SamarindaCore

// The child process of the audit crash test (Tests/SamarindaAuditTests/CrashTests.swift):
// appends events from many concurrent tasks forever and prints "ack <seq>" for each
// one `append` reported as durable. The test kills it with SIGKILL mid-flight.
//
//   AuditCrashChild <database path>

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: AuditCrashChild <database path>\n".utf8))
    exit(2)
}
var config = SamarindaConfig()
config.storage.path = CommandLine.arguments[1]
config.audit.checkpointEvery = 50
let log = try AuditLog(database: Database(path: config.storage.path), config: config)
FileHandle.standardOutput.write(Data("ready\n".utf8))
await withTaskGroup(of: Void.self) { group in
    for worker in 0..<16 {
        group.addTask {
            var n = 0
            while true {
                n += 1
                let event = AuditEvent(actor: AuditActor(principalID: "crash:\(worker)", department: "diskominfo", role: "service"),
                                       action: "crash.test", target: "worker-\(worker)", fields: ["n": String(n)])
                guard let seq = try? await log.append(event) else { continue }
                // One write(2) per line, so a kill never leaves half an acknowledgement that looks whole.
                FileHandle.standardOutput.write(Data("ack \(seq)\n".utf8))
            }
        }
    }
}
