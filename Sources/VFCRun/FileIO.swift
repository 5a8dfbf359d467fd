import Foundation
import VFCTensor

/// An I/O failure in a run directory, printed as `cannot VERB PATH: REASON`.
public enum RunIOError: Error, Sendable, CustomStringConvertible {
    /// A system call on `path` failed with `errno` (`verb` says what was being done).
    case system(verb: String, path: String, errno: Int32)
    /// A component of `path` could not be made; `at` is that component when it is not `path`.
    case createDirectory(path: String, at: String?, errno: Int32)
    /// A write to an `AppendFile` after it was closed.
    case closed(path: String)

    static func io(_ verb: String, _ path: String, _ code: Int32 = errno) -> RunIOError {
        .system(verb: verb, path: path, errno: code)
    }

    /// The file the failure is about.
    public var path: String {
        switch self {
        case let .system(_, path, _), let .createDirectory(path, _, _), let .closed(path): return path
        }
    }

    public var description: String {
        switch self {
        case let .system(verb, path, code): return "cannot \(verb) \(path): \(String(cString: strerror(code)))"
        case let .createDirectory(path, at, code):
            return "cannot create directory \(path)\(at.map { " (at \($0))" } ?? ""): \(String(cString: strerror(code)))"
        case .closed(let path): return "cannot write \(path): file is closed"
        }
    }
}

/// Small POSIX helpers shared by the run-output writers: whole-buffer writes, fsync of
/// files and directories, and atomic replacement of a file's contents.
public enum RunFiles {
    /// Creates `path` and its missing parents (like `mkdir -p`). Failures name the
    /// component that could not be made and the system's reason ("Not a directory" for a
    /// path under a regular file), not Foundation's error dump.
    public static func createDirectory(_ path: String) throws {
        if isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            if mkdir(prefix, 0o755) == 0 || errno == EEXIST && isDirectory(prefix) { continue }
            let code = errno == EEXIST ? ENOTDIR : errno
            throw RunIOError.createDirectory(path: path, at: prefix == path ? nil : prefix, errno: code)
        }
    }

    /// Writes all of `bytes` to `fd`, retrying short writes and EINTR. Returns errno on failure.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? { AtomicWrite.writeAll(fd, bytes) }

    /// Flushes a directory's entries (a rename or unlink inside it) to stable storage.
    public static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw RunIOError.io("open directory", path) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw RunIOError.io("fsync directory", path) }
    }

    /// The directory part of `path` ("." when it has none).
    static func directory(of path: String) -> String { AtomicWrite.directory(of: path) }

    /// The last component of `path`.
    static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// The temporary name `atomicWrite` uses for `path` (`AtomicWrite.temporaryPath`).
    public static func temporaryPath(for path: String) -> String { AtomicWrite.temporaryPath(for: path) }

    /// Replaces the contents of `path` with `bytes` so that after a crash at any point the
    /// file holds either its old contents or all of the new ones, never a mixture:
    /// write a temporary file in the same directory, fsync it, rename it over `path`,
    /// fsync the directory (which makes the rename itself durable).
    public static func atomicWrite(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        if let failure = AtomicWrite.replace(path, with: bytes, mode: mode) {
            throw RunIOError.io(failure.call == "open" ? "write" : "\(failure.call) (writing)", path, failure.code)
        }
        try syncDirectory(directory(of: path))
    }

    /// The whole file, or a `RunIOError` naming it.
    public static func readAll(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw RunIOError.io("read", path) }
        defer { close(fd) }
        switch PosixRead.toEnd(fd) {
        case .success(let bytes): return bytes
        case .failure(.system(let code)): throw RunIOError.io("read", path, code)
        case .failure(.overLimit): throw RunIOError.io("read", path, EFBIG)  // unreachable: no limit given
        }
    }

    /// The names in a directory (not `.` and `..`), sorted; empty when it does not exist.
    static func listDirectory(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    /// Whether `path` exists and is a directory.
    public static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}

/// An append-only file written with one `write(2)` per record and no user-space buffer,
/// so every record is in the kernel (and survives kill -9) as soon as `append` returns.
final class AppendFile {
    let path: String
    private var fd: Int32

    /// Opens `path` for appending; `truncate` empties it first.
    init(path: String, truncate: Bool = false, exclusive: Bool = false) throws {
        self.path = path
        var flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC
        if truncate { flags |= O_TRUNC }
        if exclusive { flags |= O_EXCL }
        fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw RunIOError.io("open", path) }
    }

    func append(_ bytes: [UInt8]) throws {
        guard fd >= 0 else { throw RunIOError.closed(path: path) }
        if let e = RunFiles.writeAll(fd, bytes) { throw RunIOError.io("write", path, e) }
    }

    /// fsync: the records written so far survive a power loss too.
    func sync() throws {
        guard fd >= 0 else { return }
        if fsync(fd) != 0 { throw RunIOError.io("fsync", path) }
    }

    func close() {
        if fd >= 0 { sysClose(fd) }
        fd = -1
    }

    deinit { close() }
}

// At file scope so the name resolves to the C function, not to the method of the same name.
private func sysClose(_ fd: Int32) { _ = close(fd) }
