import VFCIR

/// Gradient rules of matrix products, as matrix products.
extension GradRules {
    static func matmulVJP(_ ta: Bool, _ tb: Bool, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> [Operand?] {
        throw b.internalError("matmul: gradient rule not written yet")
    }
    static func linearVJP(_ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> [Operand?] {
        throw b.internalError("linear: gradient rule not written yet")
    }
}
