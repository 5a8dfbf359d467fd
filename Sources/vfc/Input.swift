import ArgumentParser
import Foundation
import VFCIR
import VFCRun
import VFCTensor

/// Errors of the driver itself (files, flags), printed as `vfc: error: ...`.
enum DriverError: Error, CustomStringConvertible {
    /// A file or flag is wrong; the message says which and why.
    case failed(String)
    /// `underlying` stopped the work on `subject` (a path, a flag): `SUBJECT: UNDERLYING`.
    case about(String, any Error)

    init(_ message: String) { self = .failed(message) }

    var description: String {
        switch self {
        case .failed(let message): return message
        case let .about(subject, underlying): return "\(subject): \(underlying)"
        }
    }
}

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
        throw DriverError("cannot read '\(path)': \(errno == ENOENT ? "no such file" : String(cString: strerror(errno)))")
    }
    defer { if fd != STDIN_FILENO { close(fd) } }
    var info = stat()
    if fstat(fd, &info) == 0 {
        if (info.st_mode & S_IFMT) == S_IFDIR { throw DriverError("cannot read '\(path)': it is a directory") }
        if (info.st_mode & S_IFMT) == S_IFREG && Int(info.st_size) > maxSourceBytes {
            throw DriverError("cannot read '\(path)': it has \(info.st_size) bytes, more than the \(maxSourceBytes >> 20) MiB limit for source text")
        }
    }
    switch PosixRead.toEnd(fd, limit: maxSourceBytes) {
    case .success(let bytes):
        return bytes
    case .failure(.overLimit):
        throw DriverError("cannot read '\(displayName(path))': more than the \(maxSourceBytes >> 20) MiB limit for source text (an endless input?)")
    case .failure(.system(let code)):
        throw DriverError("cannot read '\(displayName(path))': \(String(cString: strerror(code)))")
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
