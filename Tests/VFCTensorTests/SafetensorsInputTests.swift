import Foundation
import Testing
import VFCIR
import VFCTensor
import VFCTestSupport

/// The error `read(path:)` throws, as text ("" when it wrongly succeeds).
func readError(_ path: String) -> String {
    do {
        _ = try SafetensorsFile.read(path: path)
        return ""
    } catch {
        return "\(error)"
    }
}

@Test func nonRegularFilesAreRefusedBeforeReading() throws {
    let dir = makeTempDirectory("vfc-st")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // A FIFO nobody writes to would block a plain open or read forever.
    #expect(mkfifo("\(dir)/fifo", 0o600) == 0)
    #expect(readError("\(dir)/fifo") == "\(dir)/fifo: not a regular file (a FIFO): safetensors inputs must be regular files")
    #expect(readError("/dev/zero") == "/dev/zero: not a regular file (a character device): safetensors inputs must be regular files")
    #expect(readError(dir) == "\(dir): not a regular file (a directory): safetensors inputs must be regular files")
}

@Test func theHeaderLengthIsCheckedAgainstTheFileSizeFirst() throws {
    let dir = makeTempDirectory("vfc-st")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // A 1 MiB sparse file whose header length (under the limit) runs past its end.
    let path = "\(dir)/sparse.safetensors"
    var head: [UInt8] = []
    withUnsafeBytes(of: UInt64(90_000_000).littleEndian) { head.append(contentsOf: $0) }
    FileManager.default.createFile(atPath: path, contents: Data(head))
    #expect(truncate(path, 1 << 20) == 0)
    #expect(readError(path) == "\(path): file is truncated: header says 90000000 bytes of JSON but the file has \((1 << 20) - 8) bytes after the length")
}

@Test func atomicWritesReplaceFilesAndWriteDevicesInPlace() throws {
    let dir = makeTempDirectory("vfc-st")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = "\(dir)/out.bin"
    try AtomicWrite.write([1, 2, 3], to: path)
    try AtomicWrite.write([4, 5], to: path)
    #expect(FileManager.default.contents(atPath: path) == Data([4, 5]))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.bin"])
    try AtomicWrite.write([7], to: "/dev/null")
    var info = stat()
    #expect(stat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR)
    #expect(throws: AtomicWriteError.self) { try AtomicWrite.write([1], to: "\(dir)/out.bin/x") }
}
