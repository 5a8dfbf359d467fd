/// Shape rules of the data-movement family: broadcast, reshape, transpose, slice, concat, take.
extension ShapeRules {
    static func broadcast(_ shape: [Dim], _ dims: [Int], _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        let x = try unaryTensor(operands)
        guard dims.count == x.rank else {
            throw .broadcastDimsCount(dims: dims, operand: x)
        }
        guard shape.count <= Limits.maxRank else { throw .resultRank(shape.count) }
        var last = -1
        for (k, d) in dims.enumerated() {
            guard d > last, d < shape.count else {
                throw .broadcastDimsOrder(dims: dims, resultRank: shape.count)
            }
            last = d
            guard x.shape[k] == shape[d] || x.shape[k] == Dim(1) else {
                throw .broadcastDim(operand: x, axis: k, shape: shape, resultAxis: d)
            }
        }
        return try checkCount(TensorType(x.dtype, shape))
    }

    static func reshape(_ shape: [Dim], _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        let x = try unaryTensor(operands)
        guard shape.count <= Limits.maxRank else { throw .resultRank(shape.count) }
        guard let a = product(x.shape), let b = product(shape), a == b else {
            throw .reshapeCount(x, to: shape)
        }
        return TensorType(x.dtype, shape)
    }

    static func transpose(_ perm: [Int], _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        let x = try unaryTensor(operands)
        guard perm.count == x.rank, Set(perm) == Set(0..<x.rank) else {
            throw .notPermutation(perm, x)
        }
        return TensorType(x.dtype, perm.map { x.shape[$0] })
    }

    static func slice(_ axis: Int, _ start: Int, _ end: Int, _ step: Int, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        let x = try unaryTensor(operands)
        let a = try ShapeRules.axis(axis, rank: x.rank, x)
        guard let n = x.shape[a].staticValue else {
            throw .dynamicAxis(verb: "sliced", axis: axis, type: x)
        }
        guard step >= 1 else { throw .attributeBelow(name: "step", minimum: 1, got: step) }
        guard start >= 0, start <= end, end <= n else {
            throw .sliceBounds(start: start, end: end, axis: axis, type: x, size: n)
        }
        var shape = x.shape
        // (end - start - 1) / step + 1 rather than a rounded-up division: no overflow for huge steps.
        shape[a] = Dim(end == start ? 0 : (end - start - 1) / step + 1)
        return TensorType(x.dtype, shape)
    }

    static func concat(_ axis: Int, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        guard !operands.isEmpty else { throw .concatEmpty }
        let first = try tensor(operands, 0, "operand 0")
        let a = try ShapeRules.axis(axis, rank: first.rank, first)
        var total = Dim(0)
        for i in operands.indices {
            let t = try tensor(operands, i, "operand \(i)")
            guard t.dtype == first.dtype, t.rank == first.rank else {
                throw .concatOperand(index: i, type: t, first: first)
            }
            for d in 0..<t.rank where d != a && t.shape[d] != first.shape[d] {
                throw .concatDim(index: i, type: t, first: first, dim: d)
            }
            guard let s = total.adding(t.shape[a]) else {
                throw .concatSum(total, t.shape[a])
            }
            total = s
        }
        var shape = first.shape
        shape[a] = total
        return try checkCount(TensorType(first.dtype, shape))
    }

    static func pad(_ axis: Int, _ low: Int, _ high: Int, _ interior: Int, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        let x = try unaryTensor(operands)
        let a = try ShapeRules.axis(axis, rank: x.rank, x)
        guard let n = x.shape[a].staticValue else {
            throw .dynamicAxis(verb: "padded", axis: axis, type: x)
        }
        let limit = Limits.maxElements
        guard low >= 0, high >= 0, interior >= 0, low <= limit, high <= limit, interior <= limit else {
            throw .padAmounts(low: low, high: high, interior: interior)
        }
        var shape = x.shape
        // n + low + high + interior * (n - 1), each term at most 2^31: no overflow in Int.
        shape[a] = Dim(n + low + high + interior * Swift.max(n - 1, 0))
        return try checkCount(TensorType(x.dtype, shape))
    }

    static func scatterAdd(_ axis: Int, _ size: Dim, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        try arity(operands, 2, "updates, indices")
        let u = try tensor(operands, 0, "updates")
        let idx = try tensor(operands, 1, "indices")
        guard idx.dtype == .i32 || idx.dtype == .i64 else { throw .indicesType(idx) }
        // Compared without adding, so a huge `axis` cannot overflow.
        guard axis >= 0, axis <= u.rank - idx.rank else {
            throw .scatterAxis(updates: u, indices: idx, axis: axis)
        }
        guard Array(u.shape[axis..<(axis + idx.rank)]) == idx.shape else {
            throw .scatterShape(updates: u, indices: idx, axis: axis)
        }
        let shape = Array(u.shape[..<axis]) + [size] + Array(u.shape[(axis + idx.rank)...])
        return try checkCount(TensorType(u.dtype, shape))
    }

    static func take(_ axis: Int, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        try arity(operands, 2, "x, indices")
        let x = try tensor(operands, 0, "x")
        let idx = try tensor(operands, 1, "indices")
        guard idx.dtype == .i32 || idx.dtype == .i64 else {
            throw .indicesType(idx)
        }
        let a = try ShapeRules.axis(axis, rank: x.rank, x)
        let shape = Array(x.shape[..<a]) + idx.shape + Array(x.shape[(a + 1)...])
        guard shape.count <= Limits.maxRank else { throw .resultRank(shape.count) }
        return try checkCount(TensorType(x.dtype, shape))
    }
}

extension ShapeRules {
    /// `nonzero`: any mask (read flat, row-major) to `i64[size]`; `size` may be symbolic.
    static func nonzero(_ size: Dim, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        _ = try unaryTensor(operands)
        guard size.coefficient >= 0 else { throw .attributeBelow(name: "size", minimum: 0, got: size.coefficient) }
        return try checkCount(TensorType(.i64, [size]))
    }
}
