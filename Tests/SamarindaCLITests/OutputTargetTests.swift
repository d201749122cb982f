import Foundation
import Testing
import SamarindaCore

/// Issue 27: every file a person names is written the way its target needs. `/dev/null` stays the
/// machine's character device (tests run as root, so a rename over it would succeed), a FIFO gets the
/// bytes through its reader, a symbolic link stays a link and its target gets the content.
@Suite("Files named on the command line: devices, FIFOs, links, standard output", .serialized)
struct OutputTargetTests {
    /// One command per kind of output, and a piece of text its content always holds.
    static let commands: [(name: String, arguments: [String], marker: String)] = [
        ("export", ["audit", "export"], "\"type\":\"header\""),
        ("receipt", ["audit", "receipt", "1"], "\"tree_size\""),
        ("report", ["audit", "report", "--month", "2026-11"], "Laporan Transparansi"),
        ("checkpoint", ["audit", "checkpoint"], "samarinda.ai/audit"),
    ]

    static func cliWithOneEvent() throws -> CLI {
        let cli = try CLI()
        let made = try cli.run(["keys", "create", "--name", "loket", "--department", "dinkes", "--role", "staff"])
        #expect(made.status == 0, "\(made.stderr)")
        return cli
    }

    static func fileType(_ path: String, follow: Bool = false) -> mode_t? {
        var info = stat()
        let rc = follow ? stat(path, &info) : lstat(path, &info)
        return rc == 0 ? info.st_mode & S_IFMT : nil
    }

    static func deviceNumber(_ path: String) -> UInt? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt(info.st_rdev) : nil
    }

    @Test(arguments: commands.map(\.name))
    func writingToDevNullLeavesTheDeviceInPlace(_ name: String) throws {
        let command = try #require(Self.commands.first { $0.name == name })
        let cli = try Self.cliWithOneEvent()
        let before = try #require(Self.deviceNumber("/dev/null"))
        #expect(Self.fileType("/dev/null") == S_IFCHR)
        let result = try cli.run(command.arguments + ["--output", "/dev/null"])
        #expect(result.status == 0, "\(name): \(result.stderr)")
        #expect(Self.fileType("/dev/null") == S_IFCHR, "\(name) replaced /dev/null")
        #expect(Self.deviceNumber("/dev/null") == before)
        #expect(!result.stdout.contains(command.marker), "the content went to /dev/null, not standard output")
    }

    @Test(arguments: commands.map(\.name))
    func writingToAFIFOFeedsItsReaderAndLeavesTheFIFO(_ name: String) async throws {
        let command = try #require(Self.commands.first { $0.name == name })
        let cli = try Self.cliWithOneEvent()
        let fifo = cli.dir.path + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        // The reader is a real `cat pipe`, as a person would run it. (A reader Task could deadlock: its
        // blocking open may never be scheduled while the test pool's few threads wait on the writer.)
        // The content is one event, far below a pipe's buffer, so cat never waits on us while we wait on the CLI.
        let cat = Process()
        cat.executableURL = URL(fileURLWithPath: "/bin/cat")
        cat.arguments = [fifo]
        let catOutput = Pipe()
        cat.standardOutput = catOutput
        try cat.run()
        let result = try cli.run(command.arguments + ["--output", fifo])
        #expect(result.status == 0, "\(name): \(result.stderr)")
        // Should the CLI have failed before opening the FIFO, an open-and-close here gives cat its end of file.
        let release = open(fifo, O_WRONLY | O_NONBLOCK)
        if release >= 0 { close(release) }
        let received = String(decoding: catOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        cat.waitUntilExit()
        #expect(received.contains(command.marker), "\(name): the reader got \(received.prefix(200))")
        #expect(Self.fileType(fifo) == S_IFIFO, "\(name) replaced the FIFO")
    }

    @Test(arguments: commands.map(\.name))
    func writingThroughASymlinkWritesItsTargetAndKeepsTheLink(_ name: String) throws {
        let command = try #require(Self.commands.first { $0.name == name })
        let cli = try Self.cliWithOneEvent()
        let target = cli.dir.path + "/real-output.txt"
        let link = cli.dir.path + "/output-link"
        try "old content".write(toFile: target, atomically: false, encoding: .utf8)
        #expect(chmod(target, 0o640) == 0)
        #expect(symlink(target, link) == 0)
        let result = try cli.run(command.arguments + ["--output", link])
        #expect(result.status == 0, "\(name): \(result.stderr)")
        #expect(Self.fileType(link) == S_IFLNK, "\(name) replaced the link with a file")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
        let content = try String(contentsOfFile: target, encoding: .utf8)
        #expect(content.contains(command.marker) && !content.contains("old content"), "\(name): \(content.prefix(200))")
        var info = stat()
        #expect(stat(target, &info) == 0 && info.st_mode & 0o777 == 0o640, "an existing file keeps its mode")
    }

    @Test(arguments: commands.map(\.name))
    func dashAndNoOutputMeanStandardOutputAndANewFileIsPrivate(_ name: String) throws {
        let command = try #require(Self.commands.first { $0.name == name })
        let cli = try Self.cliWithOneEvent()
        let dash = try cli.run(command.arguments + ["--output", "-"])
        #expect(dash.status == 0 && dash.stdout.contains(command.marker), "\(name): \(dash.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cli.dir.path + "/-"))
        let plain = try cli.run(command.arguments)
        #expect(plain.status == 0 && plain.stdout.contains(command.marker), "\(name): \(plain.stderr)")
        let file = cli.dir.path + "/new-\(name).out"
        let written = try cli.run(command.arguments + ["--output", file])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains(command.marker))
        var info = stat()
        #expect(stat(file, &info) == 0 && info.st_mode & 0o777 == 0o600, "audit content is for its owner only")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cli.dir.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "no temporary file is left behind: \(leftovers)")
    }

    @Test(arguments: commands.map(\.name))
    func aFolderOrADanglingLinkIsRefusedSayingWhy(_ name: String) throws {
        let command = try #require(Self.commands.first { $0.name == name })
        let cli = try Self.cliWithOneEvent()
        let folder = try cli.run(command.arguments + ["--output", cli.dir.path])
        #expect(folder.status == 1 && folder.stderr.contains("is a folder"), "\(name): \(folder.stderr)")
        let link = cli.dir.path + "/dangling"
        #expect(symlink(cli.dir.path + "/nowhere/x", link) == 0)
        let dangling = try cli.run(command.arguments + ["--output", link])
        #expect(dangling.status == 1 && dangling.stderr.contains("symbolic link to something that does not exist"), "\(name): \(dangling.stderr)")
        #expect(Self.fileType(link) == S_IFLNK)
        let missingFolder = try cli.run(command.arguments + ["--output", cli.dir.path + "/no/such/folder/out"])
        #expect(missingFolder.status == 1 && missingFolder.stderr.contains("Check that it exists"), "\(name): \(missingFolder.stderr)")
    }

    // MARK: The helper itself, for what a command line cannot easily reach

    @Test func aUnixSocketIsWrittenDirectly() throws {
        let dir = try TemporaryDirectory(prefix: "samarinda-out")
        let path = dir.path + "/s.sock"
        let server = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(server >= 0)
        defer { close(server) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in for (i, b) in Array(path.utf8).enumerated() { buffer[i] = b } }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(server, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0 && listen(server, 1) == 0)
        try OutputFile.write(Data("through the socket\n".utf8), to: path)
        let client = accept(server, nil, nil)
        #expect(client >= 0)
        defer { close(client) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = read(client, &buffer, buffer.count)
        #expect(n > 0 && String(decoding: buffer[..<max(0, n)], as: UTF8.self) == "through the socket\n")
        #expect(Self.fileType(path) == S_IFSOCK)
    }

    @Test func aDiscardedOutputLeavesTheOldFileWhole() throws {
        let dir = try TemporaryDirectory(prefix: "samarinda-out")
        let path = dir.path + "/report.md"
        try "the old report".write(toFile: path, atomically: false, encoding: .utf8)
        let output = try OutputFile(path: path)
        #expect(output.kind == .atomic)
        try output.write("half of a new re")
        output.discard()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "the old report")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["report.md"])
    }

    /// The platform's own files (the latest checkpoint) are never written to a device, nor through a
    /// link that leads out of the data folder; a link inside it is followed.
    @Test func dataFilesRefuseDevicesAndLinksOutOfTheDataFolder() throws {
        let dir = try TemporaryDirectory(prefix: "samarinda-out")
        let data = dir.path + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let outside = dir.path + "/elsewhere.txt"
        try "keep".write(toFile: outside, atomically: false, encoding: .utf8)
        #expect(symlink(outside, data + "/audit-checkpoint.latest") == 0)
        #expect(throws: OutputFileError.self) { try OutputFile.write(Data("x".utf8), to: data + "/audit-checkpoint.latest", confinedTo: data) }
        #expect(try String(contentsOfFile: outside, encoding: .utf8) == "keep")
        #expect(symlink("/dev/null", data + "/to-null") == 0)
        let refused = #expect(throws: OutputFileError.self) { try OutputFile.write(Data("x".utf8), to: data + "/to-null", confinedTo: data) }
        #expect(refused?.message.contains("outside the data folder") == true, "\(String(describing: refused))")
        #expect(Self.fileType("/dev/null") == S_IFCHR)
        let inside = data + "/real.latest"
        try "old".write(toFile: inside, atomically: false, encoding: .utf8)
        #expect(chmod(inside, 0o644) == 0)
        #expect(symlink(inside, data + "/via-link") == 0)
        try OutputFile.write(Data("new".utf8), to: data + "/via-link", mode: DataFileModes.file, confinedTo: data)
        #expect(try String(contentsOfFile: inside, encoding: .utf8) == "new")
        var info = stat()
        #expect(stat(inside, &info) == 0 && info.st_mode & 0o777 == 0o600, "a data file gets the private mode even if it was wider")
    }
}

/// Issue 15 item 12: the data folder is 0700 and every file in it 0600; wider modes are tightened or
/// named by `doctor`.
@Suite("Data at rest is for the platform's owner only", .serialized)
struct DataModesTests {
    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o777 : nil
    }

    @Test func aNewInstallationIsPrivate() throws {
        let cli = try CLI()
        #expect(try cli.run(["keys", "create", "--name", "loket", "--department", "dinkes", "--role", "staff"]).status == 0)
        #expect(try cli.run(["audit", "checkpoint", "--output", "/dev/null"]).status == 0)
        let data = cli.dir.path + "/data"
        #expect(Self.mode(data) == 0o700)
        for file in ["samarinda.db", "audit-signing.key", "audit-checkpoint.latest"] {
            #expect(Self.mode(data + "/" + file) == 0o600, "\(file): \(String(Self.mode(data + "/" + file) ?? 0, radix: 8))")
        }
        // Every file the process left in the folder (WAL, SHM, history) is private too.
        for file in try FileManager.default.contentsOfDirectory(atPath: data) {
            #expect(Self.mode(data + "/" + file) == 0o600, "\(file)")
        }
        let doctor = try cli.run(["doctor"])
        #expect(doctor.stdout.contains("[ok  ] data permissions"), "\(doctor.stdout)")
    }

    /// The library alone (no umask from the command line): a database it creates is 0600 in a 0700 folder,
    /// and so are its WAL and SHM files.
    @Test func theDatabaseCreatesItsFilesPrivateWhateverTheUmask() throws {
        let dir = try TemporaryDirectory(prefix: "samarinda-modes")
        let old = umask(0o022)
        defer { umask(old) }
        let path = dir.path + "/fresh/samarinda.db"
        let db = try Database(path: path)
        try db.write { c in try c.run("CREATE TABLE t (x)"); try c.run("INSERT INTO t VALUES (1)") }
        #expect(Self.mode(dir.path + "/fresh") == 0o700)
        for file in DataFileModes.companions(of: path) where FileManager.default.fileExists(atPath: file) {
            #expect(Self.mode(file) == 0o600, "\(file)")
        }
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test func wideFilesAreTightenedAndDoctorNamesAWideFolder() throws {
        let cli = try CLI()
        #expect(try cli.run(["keys", "list"]).status == 0)
        let data = cli.dir.path + "/data"
        let db = data + "/samarinda.db"
        #expect(chmod(data, 0o755) == 0 && chmod(db, 0o644) == 0)
        let doctor = try cli.run(["doctor"])
        #expect(doctor.stdout.contains("[warn] data permissions: folder \(data) is mode 755: run chmod 700"), "\(doctor.stdout)")
        #expect(doctor.stdout.contains("\(db) is mode 644: run chmod 600"), "\(doctor.stdout)")
        // Opening the platform takes the group and other bits off its database files.
        #expect(try cli.run(["keys", "list"]).status == 0)
        #expect(Self.mode(db) == 0o600)
    }

    @Test func aDatabasePathThatIsADeviceIsRefusedAndALinkIsNamedByDoctor() throws {
        let device = try CLI(extra: "", seedDir: "")
        let text = try String(contentsOfFile: device.configPath, encoding: .utf8)
            .replacingOccurrences(of: "path = \"\(device.dir.path)/data/samarinda.db\"", with: "path = \"/dev/null\"")
        try text.write(toFile: device.configPath, atomically: true, encoding: .utf8)
        let refused = try device.run(["keys", "list"])
        #expect(refused.status != 0 && refused.stderr.contains("is a device, FIFO or socket"), "\(refused.stderr)")
        #expect(OutputTargetTests.fileType("/dev/null") == S_IFCHR)

        let linked = try CLI()
        #expect(try linked.run(["keys", "list"]).status == 0)
        let db = linked.dir.path + "/data/samarinda.db"
        try FileManager.default.moveItem(atPath: db, toPath: linked.dir.path + "/moved.db")
        #expect(symlink(linked.dir.path + "/moved.db", db) == 0)
        let doctor = try linked.run(["doctor"])
        #expect(doctor.stdout.contains("\(db) is a symbolic link"), "\(doctor.stdout)")
    }
}
