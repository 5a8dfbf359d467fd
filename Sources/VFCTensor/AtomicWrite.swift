import Foundation

/// A failed `AtomicWrite.write`, printed as `cannot write PATH: REASON`.
public enum AtomicWriteError: Error, Sendable, CustomStringConvertible {
    /// A device or pipe, written in place, that could not be opened (`call` "open") or written.
    case inPlace(path: String, call: String, errno: Int32)
    /// The temporary file could not be written or renamed over `path` (which is untouched).
    case replace(path: String, AtomicWrite.Failure)

    public var path: String {
        switch self {
        case let .inPlace(path, _, _), let .replace(path, _): return path
        }
    }

    /// The errno of the system call that failed.
    public var code: Int32 {
        switch self {
        case let .inPlace(_, _, code): return code
        case let .replace(_, failure): return failure.code
        }
    }

    public var description: String { "cannot write \(path): \(String(cString: strerror(code)))" }
}

/// Writes of whole output files (tensors, objects, plots) that never leave a partial file.
public enum AtomicWrite {
    /// Replaces `path` with `bytes` atomically: a hidden temporary file in the same
    /// directory (`.NAME.tmp.PID`) is written, flushed and renamed over `path`, then the
    /// directory is flushed, so a crash at any point leaves either the old file or the new
    /// one, and readers never see half a file. A `path` that exists and is not a regular
    /// file (a FIFO, `/dev/null`, `/dev/stdout`) is written in place instead: renaming over
    /// it would replace the device or pipe itself.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG, (info.st_mode & S_IFMT) != S_IFDIR {
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw AtomicWriteError.inPlace(path: path, call: "open", errno: errno) }
            let failure = writeAll(fd, bytes)
            close(fd)
            if let failure { throw AtomicWriteError.inPlace(path: path, call: "write", errno: failure) }
            return
        }
        if let failure = replace(path, with: bytes) { throw AtomicWriteError.replace(path: path, failure) }
        // Makes the rename itself durable; a directory that cannot be opened (no read
        // permission) still holds the renamed file.
        let dirFD = open(directory(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            close(dirFD)
        }
    }

    /// The system call that made `replace` fail, and its errno.
    public struct Failure: Sendable, Equatable {
        /// "open", "write", "fsync", "close" or "rename".
        public var call: String
        public var code: Int32
    }

    /// The part every atomic writer shares: `bytes` into the hidden temporary file of
    /// `path` (`temporaryPath`), flushed, closed and renamed over `path`; on failure the
    /// temporary file is removed and `path` is untouched. Flushing the directory is the
    /// caller's: how strictly differs between run files and other outputs.
    public static func replace(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644) -> Failure? {
        let tmp = temporaryPath(for: path)
        unlink(tmp)  // a leftover of an earlier process with our pid
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { return Failure(call: "open", code: errno) }
        var failure = writeAll(fd, bytes).map { Failure(call: "write", code: $0) }
        if failure == nil, fsync(fd) != 0 { failure = Failure(call: "fsync", code: errno) }
        if close(fd) != 0, failure == nil { failure = Failure(call: "close", code: errno) }
        if failure == nil, rename(tmp, path) != 0 { failure = Failure(call: "rename", code: errno) }
        if failure != nil { unlink(tmp) }
        return failure
    }

    /// The temporary name `replace` uses for `path`: hidden, in the same directory, tagged
    /// with the process id so two processes never share one.
    public static func temporaryPath(for path: String) -> String {
        let base = path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
        return "\(directory(of: path))/.\(base).tmp.\(getpid())"
    }

    /// The directory part of `path` ("." when it has none).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Writes all of `bytes` to `fd`, retrying short writes and EINTR; errno on failure.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBytes { raw -> Int32? in
            guard let base = raw.baseAddress else { return nil }
            var done = 0
            while done < raw.count {
                let n = systemWrite(fd, base + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += n
            }
            return nil
        }
    }
}

// At file scope so the name resolves to the C function.
private func systemWrite(_ fd: Int32, _ buf: UnsafeRawPointer, _ n: Int) -> Int { write(fd, buf, n) }
