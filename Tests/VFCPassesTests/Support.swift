import Testing
import VFCIR
@testable import VFCPasses
import VFCTestSupport

/// Runs `pipeline` on `text` with verification after every pass, checks that the result
/// is typed exactly as the verifier would type it, and returns the printed module.
func optimize(_ pipeline: String, _ text: String) throws -> String {
    var m = try verified(text)
    try PassManager(pipeline: pipeline).run(&m)
    var again = m
    try Verifier.run(&again)
    let printed = Printer.print(m)
    #expect(Printer.print(again) == printed, "types after '\(pipeline)' differ from the verifier's")
    // The output must parse back to the same module (the text format round-trips).
    #expect(Printer.print(try verified(printed)) == printed)
    return printed
}

/// Trims the leading newline of a multi-line literal so expected IR reads naturally.
func ir(_ s: String) -> String {
    s.hasPrefix("\n") ? String(s.dropFirst()) : s
}

/// A pass for tests: sets the first typed value of each function to the wrong type.
struct CorruptTypesPass: Pass {
    static let name = "corrupt-types"
    static let summary = "test only: breaks a type"
    func run(_ module: inout Module) throws(DiagnosticError) {
        for i in module.functions.indices {
            guard let inst = module.functions[i].body.first, let r = inst.results.first,
                  let t = module.functions[i][r].type else { continue }
            module.functions[i][r].type = t.with(dtype: t.dtype == .f64 ? .f32 : .f64)
        }
    }
}
