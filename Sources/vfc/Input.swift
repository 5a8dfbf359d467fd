import ArgumentParser
import Foundation
import VFCIR

/// Errors of the driver itself (files, flags), printed as `vfc: error: ...`.
struct DriverError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// Reads a source file, or standard input for `-`: UTF-8 text, or a located error.
func readSource(_ path: String) throws -> String {
    try SourceText.decode(try readSourceBytes(path), file: displayName(path))
}

/// The bytes of a source file, or of standard input for `-`.
func readSourceBytes(_ path: String) throws -> [UInt8] {
    if path == "-" {
        return [UInt8](FileHandle.standardInput.readDataToEndOfFile())
    }
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
        throw DriverError("cannot read '\(path)': no such file")
    }
    guard !isDir.boolValue else { throw DriverError("cannot read '\(path)': it is a directory") }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw DriverError("cannot read '\(path)': permission denied or unreadable")
    }
    return [UInt8](data)
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
    } catch let e as DiagnosticError {
        printError(e.description)
        throw ExitCode(1)
    } catch let e as ExitCode {
        throw e
    } catch {
        // Located errors (interpreter, safetensors) already carry their own prefix.
        let text = "\(error)"
        if text.contains(": error: ") {
            printError(text)
        } else {
            printError("vfc: error: " + (text.hasPrefix("error: ") ? String(text.dropFirst(7)) : text))
        }
        throw ExitCode(1)
    }
}
