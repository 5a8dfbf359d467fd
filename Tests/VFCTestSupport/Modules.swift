import VFCIR

/// Parses and verifies IR text: the typed module every pass, backend and the interpreter
/// start from, or the diagnostics of the parser or verifier.
public func verified(_ text: String, file: String = "test.ir") throws(DiagnosticError) -> Module {
    var m = try Parser.parse(text, file: file)
    try Verifier.run(&m)
    return m
}
