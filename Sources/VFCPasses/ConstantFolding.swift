import Foundation
import VFCIR

/// A value known at compile time: a `constant` result, or a literal typed as rank 0.
struct KnownConstant {
    var type: TensorType
    var value: ConstantValue

    /// The value of every element, when they are all equal by construction.
    var uniform: Double? {
        switch value {
        case .splat(let v): return v
        case .dense(let vs): return vs.count == 1 ? vs[0] : nil
        }
    }

    var isDense: Bool {
        if case .dense = value { return true }
        return false
    }

    /// Element `i` in row-major order; a one-element constant broadcasts (rank-0 operands
    /// of elementwise ops).
    func element(_ i: Int) -> Double {
        switch value {
        case .splat(let v): return v
        case .dense(let vs): return vs.count == 1 ? vs[0] : vs[i]
        }
    }
}

/// Evaluates ops on constants with the semantics of the element type, so that a folded
/// module computes what the unfolded one would. When the result is not certain (integer
/// division, out-of-range or non-finite results, float-to-`i1` conversions of values
/// other than 0 and 1) folding gives up and the op stays for run time.
enum ConstantFolder {
    /// Dense results are only built up to this many elements: folding must not turn a
    /// small module into a huge one (a splat stays a splat at any size).
    static let maxDenseElements = 1024

    /// The folded value of `op` on `inputs` (all of its operands), typed `result`, or nil.
    static func fold(_ op: Op, _ inputs: [KnownConstant], result: TensorType) -> ConstantValue? {
        switch op {
        case .unary(let u):
            let t = result.dtype
            return elementwise(inputs, result) { v in unary(u, v[0], t) }
        case .binary(let b):
            let t = result.dtype
            return elementwise(inputs, result) { v in binary(b, v[0], v[1], t) }
        case .compare(let c):
            return elementwise(inputs, result) { v in compare(c, v[0], v[1]) ? 1 : 0 }
        case .select:
            return elementwise(inputs, result) { v in v[0] != 0 ? v[1] : v[2] }
        case .convert(let t):
            return elementwise(inputs, result) { v in convert(v[0], to: t) }
        case .reshape:
            return relayout(inputs[0], result) { $0 }
        case .transpose(let perm):
            guard let xs = inputs[0].type.staticShape, let rs = result.staticShape else { return relayout(inputs[0], result) { _ in 0 } }
            let xStrides = strides(xs)
            return relayout(inputs[0], result) { i in
                zip(unravel(i, rs), perm).reduce(0) { $0 + $1.0 * xStrides[$1.1] }
            }
        case .broadcast(_, let dims):
            guard let xs = inputs[0].type.staticShape, let rs = result.staticShape else { return relayout(inputs[0], result) { _ in 0 } }
            let xStrides = strides(xs)
            return relayout(inputs[0], result) { i in
                let r = unravel(i, rs)
                return dims.indices.reduce(0) { $0 + (xs[$1] == 1 ? 0 : r[dims[$1]] * xStrides[$1]) }
            }
        default:
            return nil
        }
    }

    // MARK: shapes of the result

    /// The element count when the shape is static and the count small enough to fold densely.
    static func denseCount(_ t: TensorType) -> Int? {
        guard let s = t.staticShape else { return nil }
        var n = 1
        for d in s {
            n *= d
            if n > maxDenseElements { return nil }
        }
        return n
    }

    static func strides(_ shape: [Int]) -> [Int] { rowMajorStrides(shape) }

    static func unravel(_ i: Int, _ shape: [Int]) -> [Int] {
        var out = [Int](repeating: 0, count: shape.count)
        var rest = i
        for k in shape.indices.reversed() where shape[k] > 0 {
            out[k] = rest % shape[k]
            rest /= shape[k]
        }
        return out
    }

    /// Folds an elementwise op: splat when every input is uniform (a dense input keeps the
    /// result dense if it is small), else element by element.
    static func elementwise(_ inputs: [KnownConstant], _ result: TensorType, _ f: ([Double]) -> Double?) -> ConstantValue? {
        func at(_ i: Int) -> Double? {
            var v: [Double] = []
            for c in inputs {
                guard let x = normalize(c.element(i), c.type.dtype) else { return nil }
                v.append(x)
            }
            return f(v).flatMap { normalize($0, result.dtype) }
        }
        let allUniform = inputs.allSatisfy { $0.uniform != nil }
        let n = denseCount(result)
        if allUniform, n == nil || !inputs.contains(where: \.isDense) {
            return at(0).map { .splat($0) }
        }
        guard let n else { return nil }
        var out: [Double] = []
        out.reserveCapacity(n)
        for i in 0..<n {
            guard let v = at(i) else { return nil }
            out.append(v)
        }
        return .dense(out)
    }

    /// Folds a data-movement op: result element `i` is operand element `source(i)`.
    static func relayout(_ x: KnownConstant, _ result: TensorType, _ source: (Int) -> Int) -> ConstantValue? {
        guard case .dense(let vs) = x.value else { return x.value }
        guard let n = denseCount(result) else { return vs.count == 1 ? .splat(vs[0]) : nil }
        return .dense((0..<n).map { vs[source($0)] })
    }

    // MARK: scalar semantics

    /// `x` as the element type holds it (f32 rounds), or nil when it is not finite or not
    /// exactly representable (integers out of range; `i64` is limited to 2^53, which a
    /// Double holds exactly).
    static func normalize(_ x: Double, _ t: DType) -> Double? {
        guard x.isFinite else { return nil }
        switch t {
        case .f64: return x
        case .f32:
            let f = Float(x)
            return f.isFinite ? Double(f) : nil
        case .i32, .i64, .u8, .i1:
            guard x == x.rounded(.towardZero) else { return nil }
            let range: ClosedRange<Double> = switch t {
            case .i32: -2_147_483_648...2_147_483_647
            case .i64: -9_007_199_254_740_991...9_007_199_254_740_991
            case .u8: 0...255
            default: 0...1
            }
            guard range.contains(x) else { return nil }
            return x == 0 ? 0 : x  // no negative zero in integer types
        }
    }

    static func unary(_ u: UnaryOp, _ x: Double, _ t: DType) -> Double? {
        switch t {
        case .f32: return floatUnary(u, Float(x)).map(Double.init)
        case .f64: return floatUnary(u, x)
        case .i32, .i64, .u8, .i1:
            switch u {
            case .neg: return -x
            case .abs: return Swift.abs(x)
            // Logical for 0/1; other mask values have no settled meaning yet.
            case .not: return x == 0 ? 1 : x == 1 ? 0 : nil
            case .exp, .log, .sqrt, .rsqrt, .tanh, .erf, .gelu: return nil  // float only
            }
        }
    }

    /// Float ops in the element type's own precision (f32 math for f32 values).
    static func floatUnary<T: FoldableFloat>(_ u: UnaryOp, _ x: T) -> T? {
        switch u {
        case .neg: return -x
        case .abs: return Swift.abs(x)
        case .exp: return T.exp(x)
        case .log: return T.log(x)
        case .sqrt: return x.squareRoot()
        case .rsqrt: return 1 / x.squareRoot()
        case .tanh: return T.tanh(x)
        case .erf: return T.erf(x)
        case .gelu: return x * 0.5 * (1 + T.erf(x / T(2).squareRoot()))
        case .not: return nil
        }
    }

    static func binary(_ b: BinaryOp, _ x: Double, _ y: Double, _ t: DType) -> Double? {
        switch t {
        case .f32: return floatBinary(b, Float(x), Float(y)).map(Double.init)
        case .f64: return floatBinary(b, x, y)
        case .i32, .i64, .u8, .i1:
            switch b {
            // Exact in Double below 2^53; `normalize` rejects anything beyond the type.
            case .add: return x + y
            case .sub: return x - y
            case .mul: return x * y
            case .max: return Swift.max(x, y)
            case .min: return Swift.min(x, y)
            case .and, .or:
                guard (x == 0 || x == 1), (y == 0 || y == 1) else { return nil }
                return b == .and ? x * y : Swift.max(x, y)
            // Integer division (truncation, division by zero) is left to the backends.
            case .div, .pow: return nil
            }
        }
    }

    static func floatBinary<T: FoldableFloat>(_ b: BinaryOp, _ x: T, _ y: T) -> T? {
        switch b {
        case .add: return x + y
        case .sub: return x - y
        case .mul: return x * y
        case .div: return x / y
        case .max: return Swift.max(x, y)
        case .min: return Swift.min(x, y)
        case .pow: return T.pow(x, y)
        case .and, .or: return nil
        }
    }

    /// Inputs are already normalized to their type, so comparing Doubles is exact.
    static func compare(_ c: CompareOp, _ x: Double, _ y: Double) -> Bool {
        switch c {
        case .eq: return x == y
        case .ne: return x != y
        case .lt: return x < y
        case .le: return x <= y
        case .gt: return x > y
        case .ge: return x >= y
        }
    }

    /// `convert`: float to integer truncates toward zero (the IR's rule); a value the
    /// target cannot hold (out of range) is not folded. For `i1` only 0 and 1 fold: whether
    /// 0.5 becomes 0 (truncation) or 1 (non-zero) is the backends' call, not ours.
    static func convert(_ x: Double, to t: DType) -> Double? {
        if t == .i1 { return x == 0 || x == 1 ? x : nil }
        return t.isFloat ? x : x.rounded(.towardZero)
    }
}

/// The float math folding needs, in each type's own precision.
protocol FoldableFloat: BinaryFloatingPoint {
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func erf(_ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
}

extension Float: FoldableFloat {
    static func exp(_ x: Float) -> Float { Foundation.exp(x) }
    static func log(_ x: Float) -> Float { Foundation.log(x) }
    static func tanh(_ x: Float) -> Float { Foundation.tanh(x) }
    static func erf(_ x: Float) -> Float { Foundation.erf(x) }
    static func pow(_ x: Float, _ y: Float) -> Float { Foundation.pow(x, y) }
}

extension Double: FoldableFloat {
    static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    static func log(_ x: Double) -> Double { Foundation.log(x) }
    static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    static func erf(_ x: Double) -> Double { Foundation.erf(x) }
    static func pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
}
