import Foundation
import VFCIR
import VFCTensor

/// Elementwise kernels: unary, binary, compare, select, convert, constant.
extension Kernels {
    /// One elementwise operand: a full tensor with the result's element count, or one
    /// value broadcast to every element (a literal or a rank-0 tensor).
    enum Side {
        case buffer(Tensor)
        case scalar(Double)
    }

    /// Operand `i` as a `Side`; a literal takes `dtype` (that of the other operands),
    /// rounded like a stored value of that type.
    static func side(_ args: [Arg], _ i: Int, dtype: DType) -> Side {
        switch args[i] {
        case .literal(let x): return .scalar(Tensor.round(x, to: dtype))
        case .tensor(let t): return t.rank == 0 ? .scalar(t[flat: 0]) : .buffer(t)
        }
    }

    /// The runtime dtype of the tensor operands among `indices` (the one a literal adopts).
    static func operandType(_ args: [Arg], _ indices: [Int]) throws -> DType {
        for i in indices { if case .tensor(let t) = args[i] { return t.dtype } }
        throw KernelError.literalsOnly
    }

    @inline(__always)
    static func map1(_ x: Tensor, _ spec: ResultSpec, _ f: (Double) -> Double) throws -> Tensor {
        var out = try alloc(spec)
        x.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { o in
                for i in o.indices { o[i] = f(xb[i]) }
            }
        }
        return out
    }

    @inline(__always)
    static func map2(_ a: Side, _ b: Side, _ spec: ResultSpec, _ f: (Double, Double) -> Double) throws -> Tensor {
        var out = try alloc(spec)
        out.withUnsafeMutableBufferPointer { o in
            switch (a, b) {
            case (.scalar(let x), .scalar(let y)):
                for i in o.indices { o[i] = f(x, y) }
            case (.scalar(let x), .buffer(let t)):
                t.withUnsafeBufferPointer { tb in for i in o.indices { o[i] = f(x, tb[i]) } }
            case (.buffer(let t), .scalar(let y)):
                t.withUnsafeBufferPointer { tb in for i in o.indices { o[i] = f(tb[i], y) } }
            case (.buffer(let t), .buffer(let u)):
                t.withUnsafeBufferPointer { tb in
                    u.withUnsafeBufferPointer { ub in for i in o.indices { o[i] = f(tb[i], ub[i]) } }
                }
            }
        }
        return out
    }

    static func gelu(_ x: Double) -> Double { x * 0.5 * (1 + Foundation.erf(x / 2.0.squareRoot())) }

    static func unary(_ u: UnaryOp, _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let x = try tensor(args, 0)
        if !x.dtype.isFloat, let r = try integerUnary(u, x, spec) { return r }
        switch u {
        case .neg: return try map1(x, spec) { -$0 }
        case .exp: return try map1(x, spec) { Foundation.exp($0) }
        case .log: return try map1(x, spec) { Foundation.log($0) }
        case .sqrt: return try map1(x, spec) { $0.squareRoot() }
        case .rsqrt: return try map1(x, spec) { 1 / $0.squareRoot() }
        case .tanh: return try map1(x, spec) { Foundation.tanh($0) }
        case .erf: return try map1(x, spec) { Foundation.erf($0) }
        case .abs: return try map1(x, spec) { Swift.abs($0) }
        case .gelu: return try map1(x, spec, gelu)
        case .not: return try map1(x, spec) { $0 != 0 ? 0 : 1 }
        }
    }

    /// max/min that propagate NaN (as XLA and numpy's maximum do), so a NaN is never hidden.
    static func maxNaN(_ a: Double, _ b: Double) -> Double { a.isNaN || b.isNaN ? .nan : (a >= b ? a : b) }
    static func minNaN(_ a: Double, _ b: Double) -> Double { a.isNaN || b.isNaN ? .nan : (a <= b ? a : b) }

    static func binary(_ op: BinaryOp, _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let t = try operandType(args, [0, 1])
        let a = side(args, 0, dtype: t), b = side(args, 1, dtype: t)
        if !t.isFloat, let r = try integerBinary(op, a, b, t, spec) { return r }
        switch op {
        case .add: return try map2(a, b, spec) { $0 + $1 }
        case .sub: return try map2(a, b, spec) { $0 - $1 }
        case .mul: return try map2(a, b, spec) { $0 * $1 }
        // Integer add/sub/mul/div took the wrapping path above.
        case .div: return try map2(a, b, spec) { $0 / $1 }
        case .max: return try map2(a, b, spec, maxNaN)
        case .min: return try map2(a, b, spec, minNaN)
        case .pow: return try map2(a, b, spec) { Foundation.pow($0, $1) }
        case .and: return try map2(a, b, spec) { $0 != 0 && $1 != 0 ? 1 : 0 }
        case .or: return try map2(a, b, spec) { $0 != 0 || $1 != 0 ? 1 : 0 }
        }
    }

    static func compare(_ op: CompareOp, _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let t = try operandType(args, [0, 1])
        let a = side(args, 0, dtype: t), b = side(args, 1, dtype: t)
        switch op {
        case .eq: return try map2(a, b, spec) { $0 == $1 ? 1 : 0 }
        case .ne: return try map2(a, b, spec) { $0 != $1 ? 1 : 0 }
        case .lt: return try map2(a, b, spec) { $0 < $1 ? 1 : 0 }
        case .le: return try map2(a, b, spec) { $0 <= $1 ? 1 : 0 }
        case .gt: return try map2(a, b, spec) { $0 > $1 ? 1 : 0 }
        case .ge: return try map2(a, b, spec) { $0 >= $1 ? 1 : 0 }
        }
    }

    static func select(_ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let cond = try tensor(args, 0)
        let t = try operandType(args, [1, 2])
        let a = side(args, 1, dtype: t), b = side(args, 2, dtype: t)
        // Both branches as buffers of the result's size, so one loop serves all four cases.
        let onTrue = try materialize(a, spec), onFalse = try materialize(b, spec)
        var out = try alloc(spec)
        cond.withUnsafeBufferPointer { c in
            onTrue.withUnsafeBufferPointer { x in
                onFalse.withUnsafeBufferPointer { y in
                    out.withUnsafeMutableBufferPointer { o in
                        for i in o.indices { o[i] = c[i] != 0 ? x[i] : y[i] }
                    }
                }
            }
        }
        return out
    }

    /// The side as a tensor of the result's size (a scalar is splatted).
    static func materialize(_ s: Side, _ spec: ResultSpec) throws -> Tensor {
        switch s {
        case .buffer(let t): return t
        case .scalar(let v): return try constant(.splat(v), spec)
        }
    }

    static func constant(_ value: ConstantValue, _ spec: ResultSpec) throws -> Tensor {
        var out = try alloc(spec)
        switch value {
        case .splat(let v):
            out.withUnsafeMutableBufferPointer { o in o.initialize(repeating: v) }
        case .dense(let vs):
            guard vs.count == out.count else {
                throw KernelError.constantCount(values: vs.count, elements: out.count)
            }
            out.withUnsafeMutableBufferPointer { o in _ = o.initialize(from: vs) }
        }
        return out
    }

    static func convert(_ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        try tensor(args, 0).converted(to: spec.dtype)
    }
}
