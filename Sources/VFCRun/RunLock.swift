import Foundation

/// An exclusive lock on a run directory: `RUN/.lock`, held with `flock` for as long as
/// this value lives (and released by the kernel when the process ends, however it ends).
/// The file holds the holder's process id, so that a second `vfc train` on the same
/// directory fails at once with a message naming it.
public final class RunLock {
    public static let fileName = ".lock"

    public let path: String
    private var fd: Int32
    /// Whether `init` created the run directory (removed again by `release` if it still
    /// holds nothing but the lock file).
    private let createdDirectory: Bool

    /// Locks `runDirectory`, creating it first when `create` is set (a fresh run).
    /// Throws when another process holds the lock.
    public init(runDirectory: String, create: Bool) throws {
        var existed = RunFiles.isDirectory(runDirectory)
        if !existed {
            var info = stat()
            if stat(runDirectory, &info) == 0 {
                throw RunDirectoryError.notDirectory(runDirectory)
            }
            guard create else { throw RunDirectoryError.missing(runDirectory) }
            try RunFiles.createDirectory(runDirectory)
            existed = false
        }
        createdDirectory = !existed
        path = "\(runDirectory)/\(RunLock.fileName)"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunIOError.io("open the lock file", path) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let code = errno
            let holder = RunLock.holder(fd)
            Foundation.close(fd)
            fd = -1
            guard code == EWOULDBLOCK else { throw RunIOError.io("lock", path, code) }
            throw RunDirectoryError.locked(runDirectory, pid: holder, lockFile: path)
        }
        let text = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) != 0 || pwrite(fd, text, text.count, 0) != text.count {
            throw RunIOError.io("write the lock file", path)
        }
    }

    /// The process id written in the lock file, if it reads as one.
    static func holder(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Releases the lock. A run directory this lock created and that holds nothing else
    /// (the run failed before writing anything) is removed. The lock file itself is kept
    /// otherwise: deleting it while another process has it open would let two processes
    /// lock two different files.
    public func release() {
        guard fd >= 0 else { return }
        let directory = RunFiles.directory(of: path)
        if createdDirectory, RunFiles.listDirectory(directory) == [RunLock.fileName] {
            unlink(path)
            rmdir(directory)
        }
        Foundation.close(fd)
        fd = -1
    }

    deinit { release() }
}
