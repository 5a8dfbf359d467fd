/// Shape rules of matrix products: matmul (plain, batched, and rows-times-matrix) and linear.
extension ShapeRules {
    static func matmul(_ ta: Bool, _ tb: Bool, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        try arity(operands, 2, "lhs, rhs")
        let a = try tensor(operands, 0, "lhs")
        let b = try tensor(operands, 1, "rhs")
        try requireFloat(a, "lhs")
        guard a.dtype == b.dtype else { throw .dtypeMismatch(lhsRole: "lhs", lhs: a, rhsRole: "rhs", rhs: b) }
        guard a.rank >= 2, b.rank >= 2 else { throw .matmulRank(lhs: a, rhs: b) }
        guard b.rank == 2 || b.rank == a.rank else {
            throw .matmulRhsRank(lhs: a, rhs: b)
        }
        let ra = a.rank, rb = b.rank
        let (m, ka, kaAxis) = ta ? (a.shape[ra - 1], a.shape[ra - 2], ra - 2) : (a.shape[ra - 2], a.shape[ra - 1], ra - 1)
        let (kb, n, kbAxis) = tb ? (b.shape[rb - 1], b.shape[rb - 2], rb - 1) : (b.shape[rb - 2], b.shape[rb - 1], rb - 2)
        guard ka == kb else {
            throw .dimMismatch(.contracting, lhs: .init("lhs", a, kaAxis), rhs: .init("rhs", b, kbAxis))
        }
        if rb > 2 {
            for i in 0..<(ra - 2) where a.shape[i] != b.shape[i] {
                throw .dimMismatch(.batch, lhs: .init("lhs", a, i), rhs: .init("rhs", b, i))
            }
        }
        return try checkCount(TensorType(a.dtype, Array(a.shape[..<(ra - 2)]) + [m, n]))
    }

    static func linear(_ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        try arity(operands, 3, "x, weight, bias")
        let x = try tensor(operands, 0, "x")
        let w = try tensor(operands, 1, "weight")
        let b = try tensor(operands, 2, "bias")
        try requireFloat(x, "x")
        guard x.rank >= 1 else { throw .rankBelow(role: "x", minimum: 1, got: x) }
        guard w.dtype == x.dtype, w.rank == 2 else { throw .weightMatrix(dtype: x.dtype, got: w) }
        guard w.shape[1] == x.shape[x.rank - 1] else {
            throw .dimMismatch(.inputWidth, lhs: .init("x", x, x.rank - 1), rhs: .init("weight", w, 1))
        }
        guard b.dtype == x.dtype, b.shape == [w.shape[0]] else {
            throw .operandType(role: "bias", expected: TensorType(x.dtype, [w.shape[0]]), matching: .init("weight", w), got: b)
        }
        return try checkCount(TensorType(x.dtype, Array(x.shape.dropLast()) + [w.shape[0]]))
    }
}
