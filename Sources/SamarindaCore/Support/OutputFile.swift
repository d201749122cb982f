import Foundation

/// A file a person named on the command line (`--output`, exports, receipts, reports), or a data file
/// of the platform (the latest checkpoint), written the way its target needs:
///
/// - `-`: standard output.
/// - a regular file, or nothing yet: atomically (a temporary file beside it, fsync, rename), so a
///   reader never sees half a file and a crash never leaves one; an existing file keeps its mode and owner.
/// - a character device, FIFO or socket (`/dev/null`, `/dev/stdout`, a pipe a reader waits on): written
///   directly. Renaming a temporary file over `/dev/null` would replace the device with an empty
///   file for the whole machine (issue 27: tmux and daemons then fail until root recreates it).
/// - a symbolic link: followed, and its target handled as above (the link itself stays a link).
/// - a folder, a block device or a dangling link: refused with a message saying what to do.
///
/// Data files pass `confinedTo:` (the data folder): then a device, FIFO or socket is refused, and so
/// is a link leading outside that folder, so the platform never writes its secrets through a path
/// someone pointed elsewhere.
public final class OutputFile {
    public enum Kind: Sendable, Equatable { case standardOutput, direct, atomic }

    /// The path as the person gave it.
    public let path: String
    public let kind: Kind
    /// Where the bytes finally land (the link's target for a symbolic link).
    public let target: String
    private var fd: Int32
    private let temporary: String?
    private var finished = false

    /// Opens `path` for writing; nothing at the target changes until `commit()` (for atomic targets).
    /// `mode` is for a file that does not exist yet.
    public init(path: String, mode: mode_t = 0o600, confinedTo folder: String? = nil) throws {
        self.path = path
        if path == "-" && folder == nil {
            kind = .standardOutput
            target = "-"
            fflush(nil)  // what print() buffered comes first
            fd = STDOUT_FILENO
            temporary = nil
            return
        }
        guard !path.isEmpty else { throw OutputFileError("the output path is empty: name a file, or '-' for standard output") }
        var info = stat()
        var resolved = path
        if lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK {
            guard let real = realpath(path, nil) else {
                throw OutputFileError("'\(path)' is a symbolic link to something that does not exist (\(Self.linkText(path))): create the target first, or name a file directly")
            }
            resolved = String(cString: real)
            free(real)
            if let folder, !Self.isInside(resolved, folder: folder) {
                throw OutputFileError("'\(path)' is a symbolic link leading outside the data folder '\(folder)' (to '\(resolved)'): the platform does not write its data through it. Remove the link or point it inside the data folder")
            }
        }
        target = resolved
        if stat(resolved, &info) != 0 {
            guard errno == ENOENT else { throw OutputFileError("cannot use '\(path)': \(Self.lastError())") }
            kind = .atomic
            (fd, temporary) = try Self.temporaryFile(beside: resolved, named: path, mode: mode, owner: nil)
            return
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            kind = .atomic
            // A person's file keeps its mode and owner; a data file gets the platform's private mode.
            (fd, temporary) = folder != nil ? try Self.temporaryFile(beside: resolved, named: path, mode: mode, owner: nil)
                : try Self.temporaryFile(beside: resolved, named: path, mode: info.st_mode & 0o7777, owner: (info.st_uid, info.st_gid))
        case S_IFCHR, S_IFIFO, S_IFSOCK:
            if let folder {
                throw OutputFileError("'\(path)' is a device, FIFO or socket, not a file: the platform keeps its data in regular files in '\(folder)'. Remove it and let the platform create the file")
            }
            kind = .direct
            temporary = nil
            fd = (info.st_mode & S_IFMT) == S_IFSOCK ? try Self.connect(socket: resolved, named: path) : open(resolved, O_WRONLY | O_CLOEXEC | O_NOCTTY)
            guard fd >= 0 else { throw OutputFileError("cannot open '\(path)' for writing: \(Self.lastError())") }
        case S_IFDIR:
            throw OutputFileError("'\(path)' is a folder: name a file inside it, e.g. \(path.hasSuffix("/") ? path : path + "/")out.jsonl")
        default:
            throw OutputFileError("'\(path)' is a block device or another special file: refusing to write to it. Name a regular file, '-' for standard output, or /dev/null")
        }
    }

    deinit { if !finished { discard() } }

    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write(raw: $0) }
    }

    public func write(_ text: String) throws { try write(Data(text.utf8)) }

    private func write(raw: UnsafeRawBufferPointer) throws {
        guard !finished else { throw OutputFileError("'\(path)' is already closed") }
        var offset = 0
        while offset < raw.count {
            let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw OutputFileError("cannot write to '\(path)': \(Self.lastError())")
            }
            offset += n
        }
    }

    /// Makes the written bytes the target's content: fsync and rename for an atomic target, close for the rest.
    public func commit() throws {
        guard !finished else { return }
        finished = true
        switch kind {
        case .standardOutput:
            return
        case .direct:
            close(fd)
        case .atomic:
            guard fsync(fd) == 0 else {
                let message = Self.lastError()
                close(fd); unlink(temporary!)
                throw OutputFileError("cannot write '\(path)': \(message) (is the disk full?)")
            }
            close(fd)
            guard rename(temporary!, target) == 0 else {
                let message = Self.lastError()
                unlink(temporary!)
                throw OutputFileError("cannot replace '\(path)': \(message)")
            }
            // The rename is durable only once the folder's entry is on disk.
            let folderFD = open(Self.folder(of: target), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if folderFD >= 0 { _ = fsync(folderFD); close(folderFD) }
        }
    }

    /// Abandons the output: an atomic target stays as it was.
    public func discard() {
        guard !finished else { return }
        finished = true
        if kind != .standardOutput { close(fd) }
        if let temporary { unlink(temporary) }
    }

    /// Writes `data` to `path` in one go (see the type's rules).
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o600, confinedTo folder: String? = nil) throws {
        let file = try OutputFile(path: path, mode: mode, confinedTo: folder)
        try file.write(data)
        try file.commit()
    }

    // MARK: Helpers

    private static func temporaryFile(beside target: String, named path: String, mode: mode_t, owner: (uid_t, gid_t)?) throws -> (Int32, String) {
        let folder = folder(of: target)
        let base = (target as NSString).lastPathComponent
        var template = Array("\(folder)/.\(base).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw OutputFileError("cannot write '\(path)': \(lastError()) in the folder '\(folder)'. Check that it exists and is writable")
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        fchmod(fd, mode)
        // As root, an operator overwriting another user's report must not take it over.
        if let owner, owner.0 != geteuid() || owner.1 != getegid() { _ = fchown(fd, owner.0, owner.1) }
        return (fd, temporary)
    }

    private static func connect(socket path: String, named name: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw OutputFileError("cannot open a socket for '\(name)': \(lastError())") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw OutputFileError("the socket path '\(name)' is too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (i, b) in bytes.enumerated() { buffer[i] = b }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let message = lastError()
            close(fd)
            throw OutputFileError("cannot connect to the socket '\(name)': \(message)")
        }
        return fd
    }

    static func folder(of path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    static func isInside(_ resolved: String, folder: String) -> Bool {
        guard let real = realpath(folder, nil) else { return false }
        defer { free(real) }
        let root = String(cString: real)
        return resolved == root || resolved.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    private static func linkText(_ path: String) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        return n > 0 ? "'\(String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self))'" : "unreadable"
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}

public struct OutputFileError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
