import ArgumentParser
import Foundation
import VFCIR
import VFCRun
import VFCTensor

/// The largest source text read: far above any real module, low enough that an endless
/// input (`/dev/zero`) stops with an error instead of exhausting memory.
let maxSourceBytes = 256 << 20

/// Reads a source file, or standard input for `-`: UTF-8 text, or a located error.
func readSource(_ path: String) throws -> String {
    try SourceText.decode(try readSourceBytes(path), file: displayName(path))
}

/// The bytes of a source file, or of standard input for `-`, with the system's reason on
/// failure. Pipes and devices are read to their end (up to `maxSourceBytes`), so process
/// substitution works; directories are refused.
func readSourceBytes(_ path: String) throws -> [UInt8] {
    let fd = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
        throw DriverError.unreadable(path, errno == ENOENT ? .noSuchFile : .system(errno))
    }
    defer { if fd != STDIN_FILENO { close(fd) } }
    var info = stat()
    if fstat(fd, &info) == 0 {
        if (info.st_mode & S_IFMT) == S_IFDIR { throw DriverError.unreadable(path, .directory) }
        if (info.st_mode & S_IFMT) == S_IFREG && Int(info.st_size) > maxSourceBytes {
            throw DriverError.unreadable(path, .overLimit(bytes: Int(info.st_size), limitMiB: maxSourceBytes >> 20))
        }
    }
    switch PosixRead.toEnd(fd, limit: maxSourceBytes) {
    case .success(let bytes):
        return bytes
    case .failure(.overLimit):
        throw DriverError.unreadable(displayName(path), .overLimit(bytes: nil, limitMiB: maxSourceBytes >> 20))
    case .failure(.system(let code)):
        throw DriverError.unreadable(displayName(path), .system(code))
    }
}

/// The name diagnostics use for a source path.
func displayName(_ path: String) -> String { path == "-" ? "<stdin>" : path }

/// Parses and verifies a module, or throws its diagnostics.
func loadModule(_ path: String) throws -> Module {
    let text = try readSource(path)
    var module = try Parser.parse(text, file: displayName(path))
    try Verifier.run(&module)
    return module
}

func printError(_ s: String) {
    FileHandle.standardError.write(Data((s.hasSuffix("\n") ? s : s + "\n").utf8))
}

/// Runs a command body, turning every failure into a message on stderr and exit code 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as ExitCode {
        throw e
    } catch let e as any LocatedError {
        let located = e.diagnostics
        printError(located.isEmpty ? "vfc: error: " + e.message : located.map(\.description).joined(separator: "\n"))
        throw ExitCode(1)
    } catch {
        printError("vfc: error: \(error)")
        throw ExitCode(1)
    }
}

/// Reads a safetensors file and, when it carries checksums (a vfc checkpoint), checks
/// every tensor's data against them: a corrupt checkpoint is an error naming the file
/// and the tensor, not a silently wrong state.
func readVerifiedSafetensors(_ path: String) throws -> SafetensorsFile {
    do {
        return try TensorChecksums.read(path: path).file
    } catch let e as CheckpointInvalid {
        throw DriverError.about(path, e)
    }
}
