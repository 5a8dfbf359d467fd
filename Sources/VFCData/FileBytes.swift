import Foundation
import VFCTensor
#if canImport(Glibc)
import Glibc
#endif

/// Whole-file and byte-range reads with POSIX calls: a file that is not a regular file
/// (a FIFO, a device such as /dev/zero) is refused instead of blocking or filling memory.
enum FileBytes {
    /// The bytes of a regular file.
    static func read(path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw ImageCodecError(path: path, .openFailed(errno: errno)) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw ImageCodecError(path: path, .notRegularFile)
        }
        return try readRange(fd: fd, offset: 0, count: Int(st.st_size), name: path)
    }

    /// `count` bytes at `offset` of the file at `path` (a tar member); `name` is what
    /// errors are reported as.
    static func read(path: String, offset: Int, count: Int, name: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ImageCodecError(path: name, .containerOpenFailed(container: path, errno: errno)) }
        defer { close(fd) }
        return try readRange(fd: fd, offset: offset, count: count, name: name)
    }

    static func readRange(fd: Int32, offset: Int, count: Int, name: String) throws -> [UInt8] {
        switch PosixRead.exactly(fd, count: count, offset: offset) {
        case .success(let bytes): return bytes
        case .failure(.endOfFile(let done)): throw ImageCodecError(path: name, .shortRead(count: count, offset: offset, end: offset + done))
        case .failure(.system(let code)): throw ImageCodecError(path: name, .readFailed(count: count, offset: offset, errno: code))
        }
    }
}
