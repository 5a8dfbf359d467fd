import Foundation

/// Reads from file descriptors with POSIX calls, retrying EINTR and short reads. Each caller
/// turns a failure into its own error type and message, so the loops live here once while
/// the source-text, run-file, image and safetensors readers keep their wording.
public enum PosixRead {
    /// Why `exactly` stopped short.
    public enum ShortRead: Error, Equatable, Sendable {
        /// The system call failed with this errno.
        case system(Int32)
        /// The file ended after `done` of the bytes asked for.
        case endOfFile(done: Int)
    }

    /// Why `toEnd` stopped.
    public enum EndlessRead: Error, Equatable, Sendable {
        /// The system call failed with this errno.
        case system(Int32)
        /// More than the limit was available (an endless input such as /dev/zero).
        case overLimit
    }

    /// Exactly `count` bytes at byte `offset` of `fd` (pread: the file position is unused).
    public static func exactly(_ fd: Int32, count: Int, offset: Int) -> Result<[UInt8], ShortRead> {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress! + done, Swift.min(count - done, 1 << 24), off_t(offset + done))
            }
            if got < 0 {
                if errno == EINTR { continue }
                return .failure(.system(errno))
            }
            if got == 0 { return .failure(.endOfFile(done: done)) }
            done += got
        }
        return .success(bytes)
    }

    /// Everything from `fd`'s position to its end (pipes and devices included), failing
    /// with `.overLimit` once more than `limit` bytes have arrived.
    public static func toEnd(_ fd: Int32, limit: Int = Int.max) -> Result<[UInt8], EndlessRead> {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                return .failure(.system(errno))
            }
            if got == 0 { return .success(bytes) }
            bytes.append(contentsOf: chunk[0..<got])
            if bytes.count > limit { return .failure(.overLimit) }
        }
    }
}

// At file scope so the name resolves to the C function.
private func systemRead(_ fd: Int32, _ buf: UnsafeMutableRawPointer?, _ n: Int) -> Int { read(fd, buf, n) }
