import CLLVM

/// f32 elementary functions in f32 arithmetic, built from IR arithmetic (no libm calls) so
/// that loops over them vectorise at 16 lanes per AVX-512 register instead of the 8 that
/// the double versions in Emitter+Math.swift get. All values are scalar f32 (the loop
/// vectoriser widens them). The polynomials are weighted minimax fits with f32
/// coefficients made by scripts/fit_f32_math.py (each coefficient rounded to f32 and the
/// remaining ones refitted). The `mulAdd` steps (Horner and the final a x + b of each
/// approximation) carry `contract`, fused multiply-add where the target has one; nothing
/// else does, so the exactness arguments below (split squares, TwoSum, Cody-Waite) hold.
///
/// Accuracy, measured with the JIT on an AVX-512 host (so with the Horner steps fused)
/// against libm's double functions on 2e6-point grids (exp over -104 ... 89, erf -7 ... 7,
/// gelu -15 ... 12, tanh -12 ... 12; an ulp is that of the correctly rounded result, at
/// least the smallest subnormal), checked by MathF32Tests: see each function's comment.
/// (A numpy simulation of the same steps without fma gave erf 1.15 ulp.)
extension Emitter {
    // MARK: helpers

    private func c32(_ v: Double) -> LLVMValueRef { LLVMConstReal(f32, v) }
    private func i32c(_ v: Int32) -> LLVMValueRef { LLVMConstInt(i32, UInt64(bitPattern: Int64(v)), 1) }
    private func add32(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildFAdd(builder, a, b, "")! }
    private func sub32(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildFSub(builder, a, b, "")! }
    private func mul32(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildFMul(builder, a, b, "")! }
    private func less(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildFCmp(builder, LLVMRealOLT, a, b, "")! }
    private func select(_ c: LLVMValueRef, _ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildSelect(builder, c, a, b, "")! }
    private func isNaN(_ x: LLVMValueRef) -> LLVMValueRef { LLVMBuildFCmp(builder, LLVMRealUNO, x, x, "")! }

    /// a * x + b with `contract`, so that it becomes one fma where the target has one.
    private func mulAdd(_ a: LLVMValueRef, _ x: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef {
        fastMath(LLVMBuildFAdd(builder, fastMath(LLVMBuildFMul(builder, a, x, "")), b, ""))
    }

    /// sum c[i] x^i in Horner form (coefficients lowest degree first).
    private func horner32(_ c: [Double], _ x: LLVMValueRef) -> LLVMValueRef {
        var p = c32(c[c.count - 1])
        for k in c.dropLast().reversed() { p = mulAdd(p, x, c32(k)) }
        return p
    }

    /// 2^e for an i32 `e` in the normal range (-126 ... 127): the exponent field alone.
    private func pow2F32(_ e: LLVMValueRef) -> LLVMValueRef {
        LLVMBuildBitCast(builder, LLVMBuildShl(builder, LLVMBuildAdd(builder, e, i32c(127), ""), i32c(23), ""), f32, "")!
    }

    /// The high part of x^2 and the rest: x with its low 12 significand bits cleared is z,
    /// z^2 (24 bits) is exact and x^2 = z^2 + (x - z)(x + z), the second term small. This
    /// keeps exp(-x^2) accurate where x^2 is large (an f32 x^2 is off by up to 2^-24 x^2,
    /// which exp turns into as much relative error: about 50 ulps at x = 10) without an fma.
    private func splitSquare(_ x: LLVMValueRef) -> (hi: LLVMValueRef, lo: LLVMValueRef) {
        let bits = LLVMBuildBitCast(builder, x, i32, "")
        let z = LLVMBuildBitCast(builder, LLVMBuildAnd(builder, bits, i32c(-4096), ""), f32, "")!
        return (mul32(z, z), mul32(sub32(x, z), add32(x, z)))
    }

    // MARK: exp

    /// Coefficients of exp(r) = 1 + r + r^2 P(r) on |r| <= ln2/2 (relative error of the
    /// fit 3.1e-9, 0.05 ulp).
    private static let expCoefficients = [0.4999999403953552, 0.1666652113199234, 0.04166826233267784,
                                          0.008368670009076595, 0.0013821024913340807]
    private static let log2e = 1.4426950408889634
    /// ln 2 = ln2Hi + ln2Lo, ln2Hi with 9 significant bits, so n * ln2Hi is exact for |n| < 2^15.
    private static let ln2Hi = 0.693359375, ln2Lo = -2.1219444005469057e-4

    /// The pieces of exp(hi + lo) = (1 + q) * 2^a * 2^b (`a`, `b` as f32 powers of two),
    /// for |lo| well below ln2/2 (`hi` carries the magnitude). `hi` is clamped to
    /// [-104, 89], beyond which the f32 result is 0 or inf anyway; callers fix up the ends.
    /// r = (hi - n ln2Hi) - n ln2Lo + lo with n = rint((hi + lo) / ln2): the first
    /// difference is exact (Sterbenz, or n = 0), so lo keeps its digits.
    private func expF32Parts(_ hi: LLVMValueRef, _ lo: LLVMValueRef?) -> (q: LLVMValueRef, a: LLVMValueRef, b: LLVMValueRef) {
        let h = intrinsic("llvm.minnum", f32, [intrinsic("llvm.maxnum", f32, [hi, c32(-104)]), c32(89)])
        let s = lo.map { add32(h, $0) } ?? h
        let n = intrinsic("llvm.rint", f32, [mul32(s, c32(Self.log2e))])
        var r = sub32(sub32(h, mul32(n, c32(Self.ln2Hi))), mul32(n, c32(Self.ln2Lo)))
        if let lo { r = add32(r, lo) }
        let q = mulAdd(mul32(r, r), horner32(Self.expCoefficients, r), r)
        // 2^n as two factors so that n = -150 (results in the subnormals) and n = 128
        // (overflow to inf) need no special case: each factor stays a normal number.
        let ni = LLVMBuildFPToSI(builder, n, i32, "")!
        let half = LLVMBuildAShr(builder, ni, i32c(1), "")!
        return (q, pow2F32(half), pow2F32(LLVMBuildSub(builder, ni, half, "")!))
    }

    /// exp(x) for f32 `x` (with `lo`: exp(x + lo), lo a small correction such as the
    /// rounding error of a difference): Cody-Waite reduction by ln 2 in f32, a degree-6
    /// minimax polynomial on |r| <= ln2/2, the scaling by 2^n from exponent bits. Max
    /// error 0.99 ulp over -104 ... 89 (subnormal results included; 0.5 of that is the
    /// final rounding). Exactly inf above 88.7228 (where expf overflows), 0 below -103.97,
    /// NaN stays NaN.
    func expF32(_ x: LLVMValueRef, lo: LLVMValueRef? = nil) -> LLVMValueRef {
        let (q, a, b) = expF32Parts(x, lo)
        let v = mul32(mul32(add32(c32(1), q), a), b)
        // The clamp alone gives inf and 0 past the ends, except when lo is not finite
        // (x - m for x = -inf makes lo NaN): decide those by x.
        let ends = select(less(x, c32(-104)), c32(0), select(less(c32(89), x), c32(.infinity), v))
        return select(isNaN(x), x, ends)
    }

    /// exp(a - b) for f32 a, b, without the rounding error of a - b: with |a - b| = 20
    /// that error alone would be 20 * 2^-24 relative, 10 ulps. The difference is split
    /// into its rounded value and its exact error (Knuth's TwoSum, 6 operations, no
    /// fast-math flags so they stay as written), which `expF32` adds after the reduction.
    func expDifferenceF32(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef {
        let nb = LLVMBuildFNeg(builder, b, "")!
        let s = add32(a, nb)
        let bb = sub32(s, a)
        let err = add32(sub32(a, sub32(s, bb)), sub32(nb, bb))
        return expF32(s, lo: err)
    }

    // MARK: erf, erfc, gelu

    /// erf(x) = x + x Q(x^2) on |x| <= 1 (relative error of the fit 1.4e-9).
    private static let erfCoefficients = [0.12837916612625122, -0.3761262595653534, 0.11283578723669052, -0.026853347197175026,
                                          0.005187162198126316, -0.0007997853099368513, 7.806903158780187e-05]
    /// log(erfc(t) e^(t^2) (t + 2)) = Q(Y) with Y = (t - 2) / (t + 2), on 0.5 <= t <= 11
    /// (absolute error of the fit 2.6e-9). The map to Y makes the function smooth out to
    /// large t (erfc(t) e^(t^2) ~ 1 / (t sqrt(pi))); its log puts Q's rounding error into
    /// exp's argument, where it is an absolute (so a small relative) error.
    private static let erfcCoefficients = [0.021353095769882202, -0.6726431846618652, 0.04734339937567711, 0.04689400643110275,
                                           -0.009874626994132996, -0.008806507103145123, 0.0017741775372996926,
                                           0.0022575506009161472, -0.0002013435441767797, -0.00048027990851551294]

    /// erf(x) for |x| <= 1, with full relative accuracy down to the subnormals.
    private func erfSmallF32(_ x: LLVMValueRef) -> LLVMValueRef {
        mulAdd(x, horner32(Self.erfCoefficients, mul32(x, x)), x)
    }

    /// erfc(t) for t >= 0.5 given t^2 = sqHi + sqLo (`splitSquare`, or an exact multiple of
    /// it): exp(-t^2 + Q(Y)) / (t + 2), the division folded into the exp's pieces as
    /// (1 + q) / (t + 2) = inv + q inv with inv = 1 / (t + 2), one division. t above 11 is
    /// taken as 11 for Q (the result is 0 there: -t^2 < -104). With `factor`, the result
    /// is factor * erfc(t), the factor applied before the scaling by 2^n so that a product
    /// in the normal range keeps its digits when erfc(t) alone would be subnormal.
    private func erfcLargeF32(_ t: LLVMValueRef, sqHi: LLVMValueRef, sqLo: LLVMValueRef, factor: LLVMValueRef? = nil) -> LLVMValueRef {
        let tc = intrinsic("llvm.minnum", f32, [t, c32(11)])
        let inv = LLVMBuildFDiv(builder, c32(1), add32(tc, c32(2)), "")!
        let y = mul32(sub32(tc, c32(2)), inv)
        let lo = sub32(horner32(Self.erfcCoefficients, y), sqLo)
        let (q, a, b) = expF32Parts(LLVMBuildFNeg(builder, sqHi, "")!, lo)
        let m = mulAdd(q, inv, inv)
        return mul32(mul32(factor.map { mul32(m, $0) } ?? m, a), b)
    }

    /// erf(x) for f32 x: x + x Q(x^2) for |x| < 1, sign(x) (1 - erfc(|x|)) above. Max error
    /// 0.91 ulp (max relative error 6.5e-8, in the polynomial branch near |x| = 1).
    /// erf(+-inf) = +-1, NaN stays NaN.
    func erfF32(_ x: LLVMValueRef) -> LLVMValueRef {
        let a = intrinsic("llvm.fabs", f32, [x])
        let sq = splitSquare(intrinsic("llvm.minnum", f32, [a, c32(11)]))
        let large = sub32(c32(1), erfcLargeF32(a, sqHi: sq.hi, sqLo: sq.lo))
        let v = select(less(a, c32(1)), erfSmallF32(x), intrinsic("llvm.copysign", f32, [large, x]))
        return select(isNaN(x), x, v)
    }

    /// gelu(x) = x/2 erfc(-x / sqrt 2) for f32 x (method.md's erf form without the
    /// cancellation of 1 + erf for negative x). erfc(t), t = -x / sqrt 2, is 1 - erf(t)
    /// below |t| = 0.5 (erf <= 0.52 there, so 1 - erf loses no digit), 2 - erfc(|t|) for
    /// t <= -0.5 and the exp form for t >= 0.5, where x/2 multiplies it before its scaling
    /// by 2^n (x/2 erfc(t) is normal down to x = -13.14, erfc(t) alone is subnormal below
    /// x = -13.01). t is rounded to f32, but exp(-t^2) takes t^2 = x^2 / 2 from x's exact
    /// split, so the rounding of t only reaches the slowly varying Q (a fraction of an ulp)
    /// and not the exponent (it would cost up to 2^-23 t^2 relative, 85 ulps at x = -13).
    /// Max error 3.3 ulp for normal results (at x = -3.0; max relative error 2.5e-7, at
    /// x = -1.1 where the exp form starts: the erfc exp form is the weakest part).
    /// gelu(-inf) is NaN (-inf * 0), as in the f64 interpreter.
    func geluF32(_ x: LLVMValueRef) -> LLVMValueRef {
        let t = mul32(x, c32(-0.70710678118654752))
        let a = intrinsic("llvm.fabs", f32, [t])
        let half = mul32(x, c32(0.5))
        // |x| above 15.5 (|t| > 10.96) only reaches erfc(t) ~ 0 or 2, like 15.5 itself.
        let sq = splitSquare(intrinsic("llvm.minnum", f32, [intrinsic("llvm.fabs", f32, [x]), c32(15.5)]))
        let sqHi = mul32(sq.hi, c32(0.5)), sqLo = mul32(sq.lo, c32(0.5))
        let nearZero = mul32(half, sub32(c32(1), erfSmallF32(t)))
        let positive = mul32(half, sub32(c32(2), erfcLargeF32(a, sqHi: sqHi, sqLo: sqLo)))
        // Below x = -15.5 the result is 0, but a large x/2 times the clamped erfc's
        // mantissa would not underflow: x * 0 there (-0, or NaN for -inf like the f64 path).
        let factor = select(less(x, c32(-15.5)), mul32(x, c32(0)), half)
        let negative = erfcLargeF32(a, sqHi: sqHi, sqLo: sqLo, factor: factor)
        return select(less(a, c32(0.5)), nearZero, select(less(t, c32(0)), positive, negative))
    }

    // MARK: tanh

    /// tanh(x) = x + x^3 P(x^2) on |x| <= 0.625 (relative error of the fit 4.5e-9).
    private static let tanhCoefficients = [-0.3333328068256378, 0.1333141326904297, -0.0537375807762146,
                                           0.020632779225707054, -0.0056985002011060715]

    /// tanh(x) for f32 x: the odd polynomial below |x| = 0.625 (where 1 - 2 / (e^2x + 1)
    /// would cancel), sign(x) (1 - 2 / (exp(2|x|) + 1)) above. Max error 1.27 ulp (max
    /// relative error 1.35e-7, just above the branch point).
    /// tanh(+-inf) = +-1, NaN stays NaN.
    func tanhF32(_ x: LLVMValueRef) -> LLVMValueRef {
        let a = intrinsic("llvm.fabs", f32, [x])
        let x2 = mul32(x, x)
        let small = mulAdd(x, mul32(x2, horner32(Self.tanhCoefficients, x2)), x)
        let e2 = expF32(mul32(a, c32(2)))
        let large = sub32(c32(1), LLVMBuildFDiv(builder, c32(2), add32(e2, c32(1)), "")!)
        return select(less(a, c32(0.625)), small, intrinsic("llvm.copysign", f32, [large, x]))
    }
}
