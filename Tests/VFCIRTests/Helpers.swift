import Testing
@testable import VFCIR
import VFCTestSupport

/// Parses and verifies `text`, returning the module or the thrown diagnostics.
func check(_ text: String) -> Result<Module, DiagnosticError> {
    Result { () throws(DiagnosticError) in try verified(text, file: "t.ir") }
}

/// The inferred type of value `name` in the first function, for a valid module.
func typeOf(_ name: String, in text: String) throws -> String {
    let m = try check(text).get()
    let f = m.functions[0]
    guard let v = f.values.first(where: { $0.name == name }), let t = v.type else {
        throw DiagnosticError(.unknown, "no value \(name)")
    }
    return t.description
}

/// The single error message (with location) for an invalid module.
func errorOf(_ text: String) -> String {
    switch check(text) {
    case .success: return "<no error>"
    case .failure(let e): return e.description
    }
}

/// Wraps one op line in a function with the given arguments.
func fn(_ args: String, _ body: String, ret: String = "%r") -> String {
    "func @f(\(args)) {\n\(body)\n  return \(ret)\n}\n"
}
