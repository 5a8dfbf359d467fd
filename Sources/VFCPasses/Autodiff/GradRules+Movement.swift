import VFCIR

/// Gradient rules of the data-movement family: each is the transpose of a linear map.
extension GradRules {
    static func broadcastVJP(_ dims: [Int], _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        throw b.internalError("broadcast: gradient rule not written yet")
    }
    static func transposeVJP(_ perm: [Int], _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        throw b.internalError("transpose: gradient rule not written yet")
    }
    static func sliceVJP(_ axis: Int, _ start: Int, _ end: Int, _ step: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        throw b.internalError("slice: gradient rule not written yet")
    }
    static func padVJP(_ axis: Int, _ low: Int, _ high: Int, _ interior: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        throw b.internalError("pad: gradient rule not written yet")
    }
    static func concatVJP(_ axis: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> [Operand?] {
        throw b.internalError("concat: gradient rule not written yet")
    }
    static func takeVJP(_ axis: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        throw b.internalError("take: gradient rule not written yet")
    }
    static func scatterAddVJP(_ axis: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        throw b.internalError("scatter_add: gradient rule not written yet")
    }
}
