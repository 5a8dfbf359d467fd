import VFCIR

/// `test-internal-error`: fails with an internal compiler error on any module with a
/// function. It exists so that the crash reproducer (`PassManager.reproducer`) can be
/// tested end to end from the command line; it is not listed by `--list-passes`.
public struct TestInternalErrorPass: Pass {
    public static let name = "test-internal-error"
    public static let summary = "test only: fails with an internal compiler error"
    public static var isTestOnly: Bool { true }

    public init() {}

    public func run(_ module: inout Module) throws(DiagnosticError) {
        guard let f = module.functions.first else { return }
        throw DiagnosticError(f.loc, .internalError(pass: "test-internal-error", "failing on purpose in @\(f.name)"))
    }
}

/// `test-break-ir`: gives the first result of the first function a wrong element type, so
/// that the verifier after the pass fails (the other path to a crash reproducer).
public struct TestBreakIRPass: Pass {
    public static let name = "test-break-ir"
    public static let summary = "test only: leaves the module invalid"
    public static var isTestOnly: Bool { true }

    public init() {}

    public func run(_ module: inout Module) throws(DiagnosticError) {
        for i in module.functions.indices {
            guard let r = module.functions[i].body.first?.results.first, let t = module.functions[i][r].type else { continue }
            module.functions[i][r].type = t.with(dtype: t.dtype == .f64 ? .f32 : .f64)
            return
        }
    }
}
