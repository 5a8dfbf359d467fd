/// The type-and-shape rule of every op except `call` (which needs the module).
///
/// `operands` holds the operand types, nil for a scalar literal; `declared` the result
/// types the user wrote (needed by `constant`). One exhaustive switch dispatches to one
/// file per op family.
public enum ShapeRules {
    public static func infer(_ op: Op, operands: [TensorType?], declared: [TensorType?]) throws(ShapeError) -> [TensorType] {
        switch op {
        case .unary(let u): return [try unary(u, operands)]
        case .binary(let b): return [try binary(b, operands)]
        case .compare: return [try compare(operands)]
        case .select: return [try select(operands)]
        case .constant(let v): return [try constant(v, operands, declared)]
        case .convert(let t): return [try convert(t, operands)]
        case .stopGradient: return [try unaryTensor(operands)]
        case .broadcast(let shape, let dims): return [try broadcast(shape, dims, operands)]
        case .reshape(let shape): return [try reshape(shape, operands)]
        case .transpose(let perm): return [try transpose(perm, operands)]
        case .slice(let axis, let start, let end, let step): return [try slice(axis, start, end, step, operands)]
        case .concat(let axis): return [try concat(axis, operands)]
        case .take(let axis): return [try take(axis, operands)]
        case .reduce(let kind, let axes, let keep): return [try reduce(kind, axes, keep, operands)]
        case .softmax(let axis), .logSoftmax(let axis): return [try softmax(axis, operands)]
        case .l2Normalize(let axis, let eps): return [try l2Normalize(axis, eps, operands)]
        case .layerNorm(let eps): return [try layerNorm(eps, operands)]
        case .matmul(let ta, let tb): return [try matmul(ta, tb, operands)]
        case .linear: return [try linear(operands)]
        case .patchify(let p): return [try patchify(p, operands)]
        case .cropSample(let g, let s): return [try cropSample(g, s, operands)]
        case .cropSampleAdd(let g, let s): return [try cropSampleAdd(g, s, operands)]
        case .pad(let axis, let low, let high, let interior): return [try pad(axis, low, high, interior, operands)]
        case .scatterAdd(let axis, let size): return [try scatterAdd(axis, size, operands)]
        case .nonzero(let size, _): return [try nonzero(size, operands)]
        case .cropSampleGrad(let g, let s, let f): return [try cropSampleGrad(g, s, f, operands)]
        case .call, .valueAndGrad: throw .functionOp
        }
    }

    // MARK: helpers shared by the rule families

    static func arity(_ operands: [TensorType?], _ n: Int, _ what: String) throws(ShapeError) {
        guard operands.count == n else {
            throw .arity(expected: n, roles: what, got: operands.count)
        }
    }

    /// The operand's type; literals are only allowed where the rule says so.
    static func tensor(_ operands: [TensorType?], _ i: Int, _ role: String) throws(ShapeError) -> TensorType {
        guard let t = operands[i] else { throw .literalOperand(role: role) }
        return t
    }

    static func unaryTensor(_ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        try arity(operands, 1, "x")
        return try tensor(operands, 0, "operand")
    }

    /// Resolves a possibly negative axis against `rank`.
    static func axis(_ a: Int, rank: Int, _ type: TensorType) throws(ShapeError) -> Int {
        let r = a < 0 ? a + rank : a
        guard r >= 0, r < rank else { throw .axisOutOfRange(axis: a, type: type) }
        return r
    }

    static func requireFloat(_ t: TensorType, _ role: String) throws(ShapeError) {
        guard t.dtype.isFloat else { throw .notFloat(role: role, got: t) }
    }

    static func requireRank(_ t: TensorType, _ rank: Int, _ role: String) throws(ShapeError) {
        guard t.rank == rank else { throw .rank(role: role, expected: rank, got: t) }
    }

    static func checkCount(_ t: TensorType) throws(ShapeError) -> TensorType {
        guard let n = product(t.shape) else { throw .uncountable(t) }
        if let v = n.staticValue, v > Limits.maxElements {
            throw .tooManyElements(t, count: v)
        }
        return t
    }

    static func shapeString(_ dims: [Dim]) -> String { "[" + dims.map(\.description).joined(separator: ", ") + "]" }
}
