import VFCIR

/// What a gradient rule sees of one forward instruction.
public struct VJPContext {
    public let inst: Instruction
    /// Operand types (nil for literals).
    public let operandTypes: [TensorType?]
    public let resultTypes: [TensorType]
    /// The adjoint of each result, nil where nothing flows back.
    public let adjoints: [Operand?]
    /// Which operands need a gradient (active and differentiable); rules skip the others.
    public let needs: [Bool]

    /// Operand `i` of the forward op.
    public func x(_ i: Int) -> Operand { inst.operands[i] }
    /// Result `i` of the forward op (rules may reuse forward values instead of recomputing).
    public func y(_ i: Int = 0) -> Operand { .value(inst.results[i]) }
    /// The adjoint of the first result.
    public func dy() throws(DiagnosticError) -> Operand {
        guard let d = adjoints.first ?? nil else { throw DiagnosticError(inst.loc, .internalError(pass: "autodiff", "\(inst.op.name) has no adjoint")) }
        return d
    }
    /// The type of operand `i`, which must be a tensor.
    public func type(_ i: Int) throws(DiagnosticError) -> TensorType {
        guard let t = operandTypes[i] else { throw DiagnosticError(inst.loc, .internalError(pass: "autodiff", "operand \(i) of \(inst.op.name) is a literal")) }
        return t
    }
}

/// The gradient (vector-Jacobian product) rules of every op: which operands an op is
/// differentiable in, and the backward code for those. Both are exhaustive switches over
/// `Op` dispatching to one file per op family, so an op cannot be added without them.
///
/// Policy on what the backward code keeps from the forward pass: it reads forward values
/// (operands and results) where a closed form uses them (`exp` reuses its result,
/// softmax its probabilities) and recomputes cheap per-row statistics inside closed forms
/// (layer_norm's mean and inverse deviation) rather than having the forward pass store
/// extra intermediates. Every forward value stays available to the backward code; the
/// memory planner decides what is actually kept.
public enum GradRules {
    /// For each operand, whether gradients flow through it. Literals never need one;
    /// integer-valued operands and results are never differentiable.
    public static func differentiable(_ op: Op, operandTypes: [TensorType?], resultTypes: [TensorType]) -> [Bool] {
        let n = operandTypes.count
        let floatOut = resultTypes.allSatisfy { $0.dtype.isFloat }
        let float = operandTypes.map { $0?.dtype.isFloat ?? false }
        let slots = op.info.differentiable
        return (0..<n).map { slots.contains($0, of: n) && float[$0] && floatOut }
    }

    /// The adjoint contribution of each operand (nil where none is needed).
    public static func vjp(_ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> [Operand?] {
        switch c.inst.op {
        case .unary(let u): return [try unaryVJP(u, c, &b)]
        case .binary(let op): return try binaryVJP(op, c, &b)
        case .select: return try selectVJP(c, &b)
        case .convert: return [try b.emit(.convert(try c.type(0).dtype), [try c.dy()])]
        case .compare, .constant, .stopGradient, .nonzero, .call, .valueAndGrad:
            return c.inst.operands.map { _ in nil }
        case .broadcast(_, let dims): return [try broadcastVJP(dims, c, &b)]
        case .reshape: return [try b.reshape(try c.dy(), try c.type(0).shape)]
        case .transpose(let perm): return [try transposeVJP(perm, c, &b)]
        case .slice(let axis, let start, let end, let step): return [try sliceVJP(axis, start, end, step, c, &b)]
        case .pad(let axis, let low, let high, let interior): return [try padVJP(axis, low, high, interior, c, &b)]
        case .concat(let axis): return try concatVJP(axis, c, &b)
        case .take(let axis): return [try takeVJP(axis, c, &b), nil]
        case .scatterAdd(let axis, _): return [try scatterAddVJP(axis, c, &b), nil]
        case .reduce(let kind, let axes, let keep): return [try reduceVJP(kind, axes, keep, c, &b)]
        case .softmax(let axis): return [try softmaxVJP(axis, c, &b)]
        case .logSoftmax(let axis): return [try logSoftmaxVJP(axis, c, &b)]
        case .l2Normalize(let axis, let eps): return [try l2NormalizeVJP(axis, eps, c, &b)]
        case .layerNorm(let eps): return try layerNormVJP(eps, c, &b)
        case .matmul(let ta, let tb): return try matmulVJP(ta, tb, c, &b)
        case .linear: return try linearVJP(c, &b)
        case .patchify(let p): return [try patchifyVJP(p, c, &b)]
        case .cropSample(let g, let s): return [try cropSampleVJP(g, s, c, &b), nil, nil]
        case .cropSampleGrad(let g, let s, _): return [try cropSampleGradVJP(g, s, c, &b), nil, nil]
        case .cropSampleAdd(let g, let s): return try cropSampleAddVJP(g, s, c, &b)
        }
    }
}
