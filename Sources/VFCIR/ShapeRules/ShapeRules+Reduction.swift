/// Shape rules of reductions and the normalisations built on them:
/// reduce_*, softmax, log_softmax, l2_normalize, layer_norm.
extension ShapeRules {
    static func reduce(_ kind: ReduceOp, _ axes: [Int], _ keep: Bool, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        let x = try unaryTensor(operands)
        if kind == .mean { try requireFloat(x, "operand") }
        guard x.dtype != .i1 || kind == .max || kind == .min else {
            throw .boolReduce(kind, x)
        }
        var seen = Set<Int>()
        for a in axes {
            let r = try axis(a, rank: x.rank, x)
            guard seen.insert(r).inserted else { throw .duplicateAxis(a, axes: axes) }
        }
        var shape: [Dim] = []
        for (i, d) in x.shape.enumerated() {
            if seen.contains(i) {
                if keep { shape.append(Dim(1)) }
            } else {
                shape.append(d)
            }
        }
        return TensorType(x.dtype, shape)
    }

    static func softmax(_ axis: Int, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        let x = try unaryTensor(operands)
        try requireFloat(x, "operand")
        _ = try ShapeRules.axis(axis, rank: x.rank, x)
        return x
    }

    static func l2Normalize(_ axis: Int, _ eps: Double, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        guard eps >= 0, eps.isFinite else { throw .epsilon(eps, allowZero: true) }
        return try softmax(axis, operands)
    }

    static func layerNorm(_ eps: Double, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        try arity(operands, 3, "x, weight, bias")
        guard eps > 0, eps.isFinite else { throw .epsilon(eps, allowZero: false) }
        let x = try tensor(operands, 0, "x")
        let w = try tensor(operands, 1, "weight")
        let b = try tensor(operands, 2, "bias")
        try requireFloat(x, "x")
        guard x.rank >= 1 else { throw .rankBelow(role: "x", minimum: 1, got: x) }
        let d = x.shape[x.rank - 1]
        for (role, t) in [("weight", w), ("bias", b)] {
            guard t.dtype == x.dtype, t.shape == [d] else {
                throw .operandType(role: role, expected: TensorType(x.dtype, [d]), matching: .init("x", x), got: t)
            }
        }
        return x
    }
}
