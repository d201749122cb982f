import Foundation
import SamarindaCore
import Testing

/// `luacheck` (Debian `lua-check`, installed by Scripts/setup) over the shipped plugins with
/// `Plugins/.luacheckrc`, whose globals are exactly the sandbox's.
@Suite struct LuacheckTests {
    static func luacheck(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.currentDirectoryURL = URL(fileURLWithPath: ShippedPlugins.folder)  // exclude_files is relative to it
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["luacheck", "--no-color", "--config", ShippedPlugins.folder + "/.luacheckrc"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test func theShippedPluginsAndTheirTestsPassLuacheck() throws {
        let r = try Self.luacheck(["."])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("0 warnings / 0 errors"), "\(r.output)")
    }

    @Test func whatTheSandboxRemovesIsFlagged() throws {
        let dir = try TemporaryDirectory(prefix: "samarinda-luacheck")
        try "local a = os.execute('ls')\nlocal b = io.open('x')\nlocal c = require('socket')\nlocal d = debug.getinfo(1)\nreturn { a, b, c, d, os.time() }\n"
            .write(toFile: dir.path + "/main.lua", atomically: true, encoding: .utf8)
        let r = try Self.luacheck([dir.path + "/main.lua"])
        #expect(r.status != 0)
        for flagged in ["field 'execute' of global 'os'", "variable 'io'", "variable 'require'", "variable 'debug'"] {
            #expect(r.output.contains(flagged), "\(flagged): \(r.output)")
        }
        #expect(!r.output.contains("'time'"))
    }
}
