import Foundation
import VFCTensor

/// The `-o -` convention of every option that names an output: `-` is standard output
/// wherever the output is one stream of bytes (a safetensors file, a picture, generated
/// code), and is refused with a message naming the option where it is not (a directory of
/// files). While an output goes to standard output, the lines a command would print there
/// go to standard error instead, so the stream holds the output alone.
enum StandardOutput {
    /// Whether `path` names standard output.
    static func named(_ path: String?) -> Bool { path == "-" }

    /// Refuses `-` for an output that is a directory (or several files): `what` says what
    /// the option writes, for the message.
    static func refuse(_ path: String?, option: String, what: String) throws {
        if named(path) {
            throw DriverError.notForStandardOutput(option: option, what: what)
        }
    }

    /// Refuses two outputs on standard output at once (their bytes would interleave).
    static func atMostOne(_ outputs: [NamedPath]) throws {
        let taken = outputs.filter { named($0.path) }.map(\.option)
        if taken.count > 1 {
            throw DriverError.standardOutputTwice(taken)
        }
    }

    /// Writes `bytes` to standard output; binary data is refused on a terminal, where it
    /// would only garble the screen.
    static func write(_ bytes: [UInt8], option: String, binary: Bool = true) throws {
        if binary && isatty(STDOUT_FILENO) != 0 {
            throw DriverError.binaryToTerminal(option: option)
        }
        fflush(nil)  // lines printed before must not follow the bytes
        if let code = AtomicWrite.writeAll(STDOUT_FILENO, bytes) {
            throw DriverError.standardOutputFailed(code: code)
        }
    }

    /// Writes a safetensors file to `path`, or to standard output for `-`.
    static func write(_ file: SafetensorsFile, to path: String, option: String) throws {
        if named(path) {
            try write(file.encode(), option: option)
        } else {
            try file.write(path: path)
        }
    }

    /// Where a command's own lines go: standard output, or standard error while one of its
    /// outputs is standard output.
    static func lines(outputs: [String?]) -> (String) -> Void {
        outputs.contains { named($0) } ? { printError($0) } : { print($0) }
    }
}
