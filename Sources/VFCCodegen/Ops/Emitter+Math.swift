import CLLVM
import VFCIR

/// Double-precision elementary functions built from arithmetic, so that loops calling them vectorise (a
/// call to libm's `exp` keeps a loop scalar: LLVM-C cannot name a vector math library).
extension Emitter {
    /// exp(x) in double precision (relative error below 1e-15): x = k ln2 + r with k an
    /// integer and |r| <= ln2 / 2 (Cody-Waite split of ln2), exp(r) by its Taylor series to
    /// degree 12 in Horner form, times 2^k built from the exponent bits. Saturates to
    /// +inf above 709.78 and to 0 below -745.13; NaN stays NaN. `x` is an f64 value (scalar
    /// or vector lanes alike).
    func expF64(_ x: LLVMValueRef) -> LLVMValueRef {
        let d = f64
        func c(_ v: Double) -> LLVMValueRef { LLVMConstReal(d, v) }
        let clamped = intrinsic("llvm.minnum", d, [intrinsic("llvm.maxnum", d, [x, c(-745.2)]), c(709.8)])
        let k = intrinsic("llvm.rint", d, [LLVMBuildFMul(builder, clamped, c(1.4426950408889634), "")])
        // r = x - k ln2, with ln2 split so that k * ln2hi is exact.
        let r1 = LLVMBuildFSub(builder, clamped, LLVMBuildFMul(builder, k, c(6.93147180369123816490e-01), ""), "")
        let r = LLVMBuildFSub(builder, r1, LLVMBuildFMul(builder, k, c(1.90821492927058770002e-10), ""), "")
        var p = c(1.0 / 479_001_600)  // 1/12!
        for n in stride(from: 11, through: 0, by: -1) {
            var factorial = 1.0
            if n > 1 { for i in 2...n { factorial *= Double(i) } }
            p = LLVMBuildFAdd(builder, LLVMBuildFMul(builder, p, r, ""), c(1 / factorial), "")
        }
        // 2^k as two factors 2^(k/2) so that k down to -1075 (subnormal results) still works.
        let ki: LLVMValueRef = LLVMBuildFPToSI(builder, k, i64, "")
        let half: LLVMValueRef = LLVMBuildAShr(builder, ki, i64(1), "")
        let rest: LLVMValueRef = LLVMBuildSub(builder, ki, half, "")
        func pow2(_ e: LLVMValueRef) -> LLVMValueRef {
            // (e + 1023) << 52 is the bit pattern of 2^e for normal exponents.
            LLVMBuildBitCast(builder, LLVMBuildShl(builder, LLVMBuildAdd(builder, e, i64(1023), ""), i64(52), ""), d, "")
        }
        let scaled: LLVMValueRef = LLVMBuildFMul(builder, LLVMBuildFMul(builder, p, pow2(half), ""), pow2(rest), "")
        let overflow = LLVMBuildFCmp(builder, LLVMRealOGT, x, c(709.782712893384), "")
        let underflow = LLVMBuildFCmp(builder, LLVMRealOLT, x, c(-745.1332191019412), "")
        let isNaN = LLVMBuildFCmp(builder, LLVMRealUNO, x, x, "")
        let saturated = LLVMBuildSelect(builder, overflow, c(.infinity), LLVMBuildSelect(builder, underflow, c(0), scaled, ""), "")
        return LLVMBuildSelect(builder, isNaN, x, saturated, "")!
    }

    /// exp of a value of dtype `d`: f32 in f32 arithmetic (`expF32`, Emitter+MathF32.swift),
    /// f64 with `expF64`.
    func exp(_ x: LLVMValueRef, _ d: DType) -> LLVMValueRef {
        d == .f32 ? expF32(x) : expF64(x)
    }
}
