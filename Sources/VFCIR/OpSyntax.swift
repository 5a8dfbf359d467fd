/// The text syntax of op names and attributes: building an `Op` from what was parsed and
/// printing an `Op`'s attributes back in canonical form (every attribute spelled out).
public enum OpSyntax {
    /// Every op name the parser accepts (for "unknown op" suggestions and docs).
    public static var allNames: [String] { OpCode.allCases.map(\.rawValue) }

    /// Builds the op named `name` from its attributes; the callee of `call` and
    /// `value_and_grad` is parsed by the parser and passed as `callee`.
    public static func makeOp(name: String, callee: String? = nil, attrs: inout AttrDict) throws(DiagnosticError) -> Op? {
        guard let code = OpCode(name: name) else { return nil }
        func reduce(_ k: ReduceOp) throws(DiagnosticError) -> Op {
            .reduce(k, axes: try attrs.ints("axes"), keepDims: try attrs.bool("keep_dims"))
        }
        switch code {
        case .neg, .exp, .log, .sqrt, .rsqrt, .tanh, .erf, .abs, .gelu, .not: return UnaryOp(rawValue: name).map(Op.unary)
        case .add, .sub, .mul, .div, .max, .min, .pow, .and, .or: return BinaryOp(rawValue: name).map(Op.binary)
        case .eq, .ne, .lt, .le, .gt, .ge: return CompareOp(rawValue: name).map(Op.compare)
        case .reduceSum: return try reduce(.sum)
        case .reduceMax: return try reduce(.max)
        case .reduceMin: return try reduce(.min)
        case .reduceMean: return try reduce(.mean)
        case .select: return .select
        case .constant:
            let (v, l) = try attrs.raw("value")
            switch v {
            case .int(let i): return .constant(.splat(Double(i)))
            case .float(let d): return .constant(.splat(d))
            case .list(let items):
                var values: [Double] = []
                for item in items {
                    switch item {
                    case .int(let i): values.append(Double(i))
                    case .float(let d): values.append(d)
                    default: throw DiagnosticError(l, .parse(.attribute(op: "constant", .notNumbers("value"))))
                    }
                }
                return .constant(.dense(values))
            default: throw DiagnosticError(l, .parse(.attribute(op: "constant", .notNumbers("value"))))
            }
        case .convert: return .convert(try attrs.dtype("dtype"))
        case .broadcast: return .broadcast(shape: try attrs.dims("shape"), dims: try attrs.ints("dims"))
        case .reshape: return .reshape(shape: try attrs.dims("shape"))
        case .transpose: return .transpose(perm: try attrs.ints("perm"))
        case .slice:
            return .slice(axis: try attrs.int("axis"), start: try attrs.int("start"),
                          end: try attrs.int("end"), step: try attrs.int("step", default: 1))
        case .concat: return .concat(axis: try attrs.int("axis"))
        case .take: return .take(axis: try attrs.int("axis"))
        case .matmul: return .matmul(transposeA: try attrs.bool("transpose_a"), transposeB: try attrs.bool("transpose_b"))
        case .linear: return .linear
        case .softmax: return .softmax(axis: try attrs.int("axis", default: -1))
        case .logSoftmax: return .logSoftmax(axis: try attrs.int("axis", default: -1))
        case .layerNorm: return .layerNorm(eps: try attrs.double("eps", default: 1e-6))
        case .l2Normalize:
            return .l2Normalize(axis: try attrs.int("axis", default: -1), eps: try attrs.double("eps", default: 1e-12))
        case .patchify: return .patchify(patch: try attrs.int("patch"))
        case .cropSample: return .cropSample(grid: try attrs.int("grid"), source: try attrs.int("source"))
        case .cropSampleAdd: return .cropSampleAdd(grid: try attrs.int("grid"), source: try attrs.int("source"))
        case .pad:
            return .pad(axis: try attrs.int("axis"), low: try attrs.int("low", default: 0),
                        high: try attrs.int("high", default: 0), interior: try attrs.int("interior", default: 0))
        case .scatterAdd: return .scatterAdd(axis: try attrs.int("axis"), size: try attrs.dim("size"))
        case .nonzero: return .nonzero(size: try attrs.dim("size"), fill: try attrs.int("fill", default: -1))
        case .cropSampleGrad:
            return .cropSampleGrad(grid: try attrs.int("grid"), source: try attrs.int("source"), field: try attrs.int("field"))
        case .stopGradient: return .stopGradient
        case .call: return callee.map { .call(callee: $0) }
        case .valueAndGrad:
            guard let callee else { return nil }
            return .valueAndGrad(callee: callee, wrt: try attrs.gradTargets("wrt"))
        }
    }

    /// The attributes of `op` as `key = value` strings, in a fixed order.
    public static func attributes(of op: Op) -> [String] {
        func list<T>(_ xs: [T]) -> String { "[" + xs.map { "\($0)" }.joined(separator: ", ") + "]" }
        switch op {
        case .unary, .binary, .compare, .select, .linear, .stopGradient, .call:
            return []
        case .constant(.splat(let v)): return ["value = \(formatNumber(v))"]
        case .constant(.dense(let vs)): return ["value = [" + vs.map(formatNumber).joined(separator: ", ") + "]"]
        case .convert(let t): return ["dtype = \(t)"]
        case .broadcast(let shape, let dims): return ["shape = \(list(shape))", "dims = \(list(dims))"]
        case .reshape(let shape): return ["shape = \(list(shape))"]
        case .transpose(let perm): return ["perm = \(list(perm))"]
        case .slice(let axis, let start, let end, let step):
            return ["axis = \(axis)", "start = \(start)", "end = \(end)", "step = \(step)"]
        case .concat(let axis), .take(let axis), .softmax(let axis), .logSoftmax(let axis):
            return ["axis = \(axis)"]
        case .reduce(_, let axes, let keep):
            return ["axes = \(list(axes))"] + (keep ? ["keep_dims = true"] : [])
        case .matmul(let ta, let tb):
            return (ta ? ["transpose_a = true"] : []) + (tb ? ["transpose_b = true"] : [])
        case .layerNorm(let eps): return ["eps = \(formatNumber(eps))"]
        case .l2Normalize(let axis, let eps): return ["axis = \(axis)", "eps = \(formatNumber(eps))"]
        case .patchify(let p): return ["patch = \(p)"]
        case .pad(let axis, let low, let high, let interior):
            return ["axis = \(axis)", "low = \(low)", "high = \(high)", "interior = \(interior)"]
        case .scatterAdd(let axis, let size): return ["axis = \(axis)", "size = \(size)"]
        case .nonzero(let size, let fill): return ["size = \(size)", "fill = \(fill)"]
        case .cropSampleGrad(let g, let s, let f): return ["grid = \(g)", "source = \(s)", "field = \(f)"]
        case .valueAndGrad(_, let wrt): return ["wrt = \(list(wrt))"]
        case .cropSample(let g, let s), .cropSampleAdd(let g, let s): return ["grid = \(g)", "source = \(s)"]
        }
    }
}
