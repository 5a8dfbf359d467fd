/// Elementwise unary ops. `gelu` is the erf form: x * 0.5 * (1 + erf(x / sqrt(2))).
public enum UnaryOp: String, CaseIterable, Hashable, Sendable {
    case neg, exp, log, sqrt, rsqrt, tanh, erf, abs, gelu
    /// Logical negation of an `i1`/`u8` mask.
    case not
}

/// Elementwise binary ops; a rank-0 operand (a scalar literal or an `[]` value) broadcasts.
public enum BinaryOp: String, CaseIterable, Hashable, Sendable {
    case add, sub, mul, div, max, min, pow
    /// Logical ops on masks (`i1`/`u8`).
    case and, or
}

/// Elementwise comparisons; the result is `i1`.
public enum CompareOp: String, CaseIterable, Hashable, Sendable {
    case eq, ne, lt, le, gt, ge
}

/// Reductions over a set of axes. `mean` divides the sum by the reduced element count.
public enum ReduceOp: String, CaseIterable, Hashable, Sendable {
    case sum, max, min, mean
}

/// The value of a `constant` op: one value splatted over the result shape, or every element.
public enum ConstantValue: Hashable, Sendable {
    case splat(Double)
    case dense([Double])
}

/// What `value_and_grad` differentiates with respect to.
public enum GradTarget: Hashable, Sendable, CustomStringConvertible {
    /// The callee's argument at this index.
    case argument(Int)
    /// One param, by name.
    case param(String)
    /// Every float param the callee reads (directly or through calls), in declaration order.
    case allParams

    public var description: String {
        switch self {
        case .argument(let i): return String(i)
        case .param(let p): return "@" + p
        case .allParams: return "params"
        }
    }
}

/// Initialisers of `param` declarations (method.md section 6 uses trunc_normal, zeros, ones).
public enum Initializer: Hashable, Sendable, CustomStringConvertible {
    case zeros
    case ones
    case normal(std: Double)
    /// Normal with standard deviation `std`, cut at +-2 std (method.md section 6).
    case truncNormal(std: Double)
    case uniform(lo: Double, hi: Double)
    /// The initial value of another param of the same type (a teacher starting as a copy of
    /// its student). The source must not itself be a copy.
    case copy(of: String)

    public var description: String {
        switch self {
        case .zeros: return "zeros"
        case .ones: return "ones"
        case .normal(let s): return "normal(\(formatNumber(s)))"
        case .truncNormal(let s): return "trunc_normal(\(formatNumber(s)))"
        case .uniform(let lo, let hi): return "uniform(\(formatNumber(lo)), \(formatNumber(hi)))"
        case .copy(let source): return "copy(@\(source))"
        }
    }
}

/// Prints a number so that it parses back to the same Double (`1`, `0.5`, `1e-06`).
public func formatNumber(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x < 0 ? "-inf" : "inf" }
    if x == 0, x.sign == .minus { return "-0.0" }
    if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
    return "\(x)"
}
