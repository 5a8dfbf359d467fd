import CLLVM
import VFCIR

/// Elementary functions built from arithmetic, so that loops calling them vectorise (a
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

    /// exp of a value of dtype `d` (f32 goes through double and rounds once).
    func exp(_ x: LLVMValueRef, _ d: DType) -> LLVMValueRef {
        guard d == .f32 else { return expF64(x) }
        return LLVMBuildFPTrunc(builder, expF64(LLVMBuildFPExt(builder, x, f64, "")), f32, "")
    }

    /// erfc(z) for f32 results, computed in double: Numerical Recipes' erfcc (Chebyshev
    /// fit, fractional error below 1.2e-7 everywhere, i.e. about one f32 ulp) with the
    /// vectorisable exp, so that gelu loops vectorise. Not used for f64 (libm's erfc is).
    func erfcForF32(_ z: LLVMValueRef) -> LLVMValueRef {
        let d = f64
        func c(_ v: Double) -> LLVMValueRef { LLVMConstReal(d, v) }
        let a = intrinsic("llvm.fabs", d, [z])
        let t: LLVMValueRef = LLVMBuildFDiv(builder, c(1), LLVMBuildFAdd(builder, c(1), LLVMBuildFMul(builder, c(0.5), a, ""), ""), "")
        let coefficients = [0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223]
        var p = c(coefficients[0])
        for k in coefficients.dropFirst() { p = LLVMBuildFAdd(builder, LLVMBuildFMul(builder, p, t, ""), c(k), "") }
        let exponent = LLVMBuildFAdd(builder, LLVMBuildFNeg(builder, LLVMBuildFMul(builder, a, a, ""), ""), p, "")!
        let tail: LLVMValueRef = LLVMBuildFMul(builder, t, expF64(exponent), "")
        let negative = LLVMBuildFCmp(builder, LLVMRealOLT, z, c(0), "")
        return LLVMBuildSelect(builder, negative, LLVMBuildFSub(builder, c(2), tail, ""), tail, "")!
    }

    /// erf(x) for f32 results, computed in double from arithmetic only, so that loops over
    /// it vectorise (libm's erff is a scalar call; fused, it kept whole GELU-backward
    /// kernels scalar). Two branches, both evaluated and one selected:
    /// - |x| < 1: the Maclaurin series 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1)) to
    ///   n = 13 (the first omitted term is below 4e-12 of the sum), which keeps full
    ///   relative accuracy down to the smallest subnormal (1 - erfc would cancel there);
    /// - |x| >= 1: sign(x) (1 - erfc(|x|)) with `erfcForF32` (relative error below 1.2e-7
    ///   of erfc(1) = 0.157, so below 2.3e-8 of erf, under half an f32 ulp).
    /// The result rounds once to f32. erf(+-inf) = +-1, NaN stays NaN.
    func erfForF32(_ x: LLVMValueRef) -> LLVMValueRef {
        let d = f64
        func c(_ v: Double) -> LLVMValueRef { LLVMConstReal(d, v) }
        let a = intrinsic("llvm.fabs", d, [x])
        let x2: LLVMValueRef = LLVMBuildFMul(builder, x, x, "")
        // Horner in x^2 over the series' coefficients (-1)^n / (n! (2n+1)), highest first.
        var coefficients: [Double] = []
        var factorial = 1.0
        for n in 0...13 {
            if n > 0 { factorial *= Double(n) }
            coefficients.append((n % 2 == 0 ? 1 : -1) / (factorial * Double(2 * n + 1)))
        }
        var p = c(coefficients[13])
        for k in coefficients.dropLast().reversed() { p = LLVMBuildFAdd(builder, LLVMBuildFMul(builder, p, x2, ""), c(k), "") }
        let series: LLVMValueRef = LLVMBuildFMul(builder, LLVMBuildFMul(builder, x, p, ""), c(1.1283791670955126), "")
        let tail = LLVMBuildFSub(builder, c(1), erfcForF32(a), "")!
        let large = intrinsic("llvm.copysign", d, [tail, x])
        // NaN compares false, so it takes the erfc branch, which keeps it.
        let small = LLVMBuildFCmp(builder, LLVMRealOLT, a, c(1), "")
        return LLVMBuildSelect(builder, small, series, large, "")!
    }

    /// tanh(x) for f32 results, computed in double as sign(x) (1 - 2 / (exp(2|x|) + 1)),
    /// which loses no f32 digit for |x| >= 1e-8 (x itself below), with the vectorisable exp.
    func tanhForF32(_ x: LLVMValueRef) -> LLVMValueRef {
        let d = f64
        func c(_ v: Double) -> LLVMValueRef { LLVMConstReal(d, v) }
        let a = intrinsic("llvm.fabs", d, [x])
        let e2 = expF64(LLVMBuildFMul(builder, a, c(2), "")!)
        let magnitude = LLVMBuildFSub(builder, c(1), LLVMBuildFDiv(builder, c(2), LLVMBuildFAdd(builder, e2, c(1), ""), ""), "")!
        let signed = intrinsic("llvm.copysign", d, [magnitude, x])
        let tiny = LLVMBuildFCmp(builder, LLVMRealOLT, a, c(1e-8), "")
        return LLVMBuildSelect(builder, tiny, x, signed, "")!
    }
}
