import VFCIR

/// Parses and verifies IR text: the typed module every pass, backend and the interpreter
/// start from, or the diagnostics of the parser or verifier.
public func verified(_ text: String, file: String = "test.ir") throws(DiagnosticError) -> Module {
    var m = try Parser.parse(text, file: file)
    try Verifier.run(&m)
    return m
}

/// A module that verifies but that the autodiff pass rejects: the gradient of `@f` would
/// have to flow through a comparison (`gt`, line 2 column 8).
public let nonDifferentiableModule = """
    func @f(%x: f32[4]) -> f32[] {
      %c = gt %x, 0
      %m = convert %c {dtype = f32}
      %s = reduce_sum %m {axes = [0]}
      return %s
    }
    func @main(%x: f32[4]) {
      %l, %g = value_and_grad @f(%x) {wrt = [0]}
      return %l, %g
    }
    """
