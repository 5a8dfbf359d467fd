import VFCIR

/// Gradient rules of patchify and the crop-sample ops.
extension GradRules {
    static func patchifyVJP(_ p: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        throw b.internalError("patchify: gradient rule not written yet")
    }
    static func cropSampleVJP(_ grid: Int, _ source: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        throw b.internalError("crop_sample: gradient rule not written yet")
    }
    static func cropSampleGradVJP(_ grid: Int, _ source: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        throw b.internalError("crop_sample_grad: gradient rule not written yet")
    }
    static func cropSampleAddVJP(_ grid: Int, _ source: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> [Operand?] {
        throw b.internalError("crop_sample_add: gradient rule not written yet")
    }
}
