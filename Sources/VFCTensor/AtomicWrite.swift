import Foundation

/// A failed `AtomicWrite.write`, printed as `cannot write PATH: REASON`.
public struct AtomicWriteError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var code: Int32

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
            guard fd >= 0 else { throw AtomicWriteError(path: path, code: errno) }
            let failure = writeAll(fd, bytes)
            close(fd)
            if let failure { throw AtomicWriteError(path: path, code: failure) }
            return
        }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let tmp = "\(directory)/.\(base).tmp.\(getpid())"
        unlink(tmp)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AtomicWriteError(path: path, code: errno) }
        var failure = writeAll(fd, bytes)
        if failure == nil, fsync(fd) != 0 { failure = errno }
        if close(fd) != 0, failure == nil { failure = errno }
        if failure == nil, rename(tmp, path) != 0 { failure = errno }
        if let failure {
            unlink(tmp)
            throw AtomicWriteError(path: path, code: failure)
        }
        // Makes the rename itself durable; a directory that cannot be opened (no read
        // permission) still holds the renamed file.
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            close(dirFD)
        }
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
