import ArgumentParser
import VFCIR

/// `vfc check FILE.ir`: parse, verify, infer shapes, print the typed module.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parse and verify a module, infer every shape, and print the typed module.",
        discussion: "Exit code 0 when the module is valid; otherwise the errors, located as FILE:LINE:COL, and exit code 1.")

    @Argument(help: "The .ir file to check ('-' for standard input).")
    var file: String

    @Flag(help: "Check the errors against '// expected-error {{...}}' comments (as in MLIR) instead of printing the module.")
    var verifyDiagnostics = false

    @Flag(name: .shortAndLong, help: "Print nothing on success.")
    var quiet = false

    func run() throws {
        try reportingErrors {
            if verifyDiagnostics {
                try runVerifyDiagnostics(file)
                return
            }
            let module = try loadModule(file)
            if !quiet { print(Printer.print(module), terminator: "") }
        }
    }
}

/// Loads `path` expecting exactly the errors its comments announce; exit 1 on any mismatch.
func runVerifyDiagnostics(_ path: String) throws {
    let bytes = try readSourceBytes(path)
    let name = displayName(path)
    // Expectations are read from the text even when it is not all UTF-8.
    let text = String(decoding: bytes, as: UTF8.self)
    var produced: [Diagnostic] = []
    do {
        var module = try Parser.parse(try SourceText.decode(bytes, file: name), file: name)
        try Verifier.run(&module)
    } catch {
        produced = error.diagnostics
    }
    var expectations = DiagnosticExpectations(source: text)
    let failures = expectations.check(produced, file: name)
    if !failures.isEmpty {
        printError(failures.joined(separator: "\n"))
        throw ExitCode(1)
    }
}
