import Foundation

// File I/O of safetensors files: bounded reads of regular files only, and atomic writes.
extension SafetensorsFile {
    /// The whole file, with errno-based messages instead of Foundation's opaque ones.
    /// Refuses anything but a regular file (opened non-blocking, so a FIFO cannot hang
    /// the open), and reads the 8-byte header length first: a length over the limit or
    /// past the end of the file is reported before the rest is read, and no more than
    /// the file's size is ever read.
    static func readAllBytes(path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw SafetensorsError.io("read", path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SafetensorsError.io("read", path, errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SafetensorsError.file(path: path, .notRegularFile(kind: fileKind(info.st_mode)))
        }
        let size = Int(info.st_size)
        guard size >= 8 else {
            throw SafetensorsError.file(path: path, .noHeaderLength(size: size))
        }
        let head = try readExactly(fd, count: 8, offset: 0, path: path)
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(head[i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(maxHeaderBytes) else {
            throw SafetensorsError.file(path: path, .headerTooLong(length: headerLength, limit: maxHeaderBytes))
        }
        guard Int(headerLength) <= size - 8 else {
            throw SafetensorsError.file(path: path, .headerTruncated(length: headerLength, available: size - 8))
        }
        return head + (try readExactly(fd, count: size - 8, offset: 8, path: path))
    }

    /// `count` bytes at `offset` of `fd`; a file that ends early (it shrank while being
    /// read) is an error.
    static func readExactly(_ fd: Int32, count: Int, offset: Int, path: String) throws -> [UInt8] {
        switch PosixRead.exactly(fd, count: count, offset: offset) {
        case .success(let bytes):
            return bytes
        case .failure(.endOfFile(let done)):
            throw SafetensorsError.file(path: path, .shrank(done: done, count: count))
        case .failure(.system(let code)):
            throw SafetensorsError.io("read", path, errno: code)
        }
    }

    /// "a FIFO", "a directory", ... for a `stat` mode.
    static func fileKind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "not a plain file"
        }
    }

    /// The bytes `encode` writes for one tensor's elements (little-endian, rounded to
    /// its dtype): what a per-tensor checksum covers.
    public static func elementBytes(_ t: Tensor) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(t.count * t.dtype.byteSize)
        t.withUnsafeBufferPointer { SafetensorsFile().appendElements($0, dtype: t.dtype, to: &out) }
        return out
    }
}
