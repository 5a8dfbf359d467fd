import VFCIR
import VFCTensor

/// Integer arithmetic with the IR's semantics (docs/IR.md, "Integer arithmetic"): add, sub,
/// mul and neg wrap modulo 2^bits (two's complement for i32/i64, modulo 256 for u8);
/// division truncates toward zero, a zero divisor gives 0 and `MIN / -1` wraps to `MIN`.
/// The compiled code does the same with native integer instructions, so both backends agree
/// bit for bit wherever the interpreter's f64 elements hold the integers exactly.
extension Kernels {
    /// An element of an integer tensor as an `Int64`: the stored value is already an integer
    /// of the type's range (NaN and out-of-range values only arise from bugs; they saturate
    /// rather than trap).
    @inline(__always)
    static func integer(_ x: Double) -> Int64 {
        if x.isNaN { return 0 }
        if x >= 9_223_372_036_854_775_808.0 { return .max }
        if x < -9_223_372_036_854_775_808.0 { return .min }
        return Int64(x)
    }

    /// `v` reduced to `dtype`'s width, as a two's complement (or unsigned, for u8) integer.
    @inline(__always)
    static func wrap(_ v: Int64, _ dtype: DType) -> Double {
        switch dtype {
        case .i32: return Double(Int32(truncatingIfNeeded: v))
        case .u8: return Double(UInt8(truncatingIfNeeded: v))
        case .i1: return v & 1 == 0 ? 0 : 1
        case .i64, .f32, .f64:
            // Double(Int64.max) rounds up to 2^63, which the dtype rounding saturates to
            // the largest f64 below it.
            return Double(v)
        }
    }

    /// The quotient with the IR's rules: toward zero, `x / 0 = 0`, `MIN / -1 = MIN` (wrapping).
    @inline(__always)
    static func integerQuotient(_ a: Int64, _ b: Int64, _ dtype: DType) -> Int64 {
        if b == 0 { return 0 }
        switch dtype {
        case .i32:
            return Int64(Int32(truncatingIfNeeded: a).dividedReportingOverflow(by: Int32(truncatingIfNeeded: b)).partialValue)
        default:
            return a.dividedReportingOverflow(by: b).partialValue
        }
    }

    /// add, sub, mul or div of an integer dtype (i32, i64, u8), wrapping.
    static func integerBinary(_ op: BinaryOp, _ a: Side, _ b: Side, _ dtype: DType, _ spec: ResultSpec) throws -> Tensor? {
        let f: (Int64, Int64) -> Int64
        switch op {
        case .add: f = { $0 &+ $1 }
        case .sub: f = { $0 &- $1 }
        case .mul: f = { $0 &* $1 }
        case .div: f = { integerQuotient($0, $1, dtype) }
        case .max, .min, .pow, .and, .or: return nil
        }
        return try map2(a, b, spec) { x, y in wrap(f(integer(x), integer(y)), dtype) }
    }

    /// neg and abs of an integer dtype: `-MIN` and `abs(MIN)` wrap to `MIN`.
    static func integerUnary(_ u: UnaryOp, _ x: Tensor, _ spec: ResultSpec) throws -> Tensor? {
        let d = x.dtype
        switch u {
        case .neg: return try map1(x, spec) { wrap(0 &- integer($0), d) }
        case .abs:
            return try map1(x, spec) { v in
                let i = integer(v)
                return wrap(i < 0 ? 0 &- i : i, d)
            }
        case .exp, .log, .sqrt, .rsqrt, .tanh, .erf, .gelu, .not: return nil
        }
    }
}
