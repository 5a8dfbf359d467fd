/// Shape rules of the data-movement family: broadcast, reshape, transpose, slice, concat, take.
extension ShapeRules {
    static func broadcast(_ shape: [Dim], _ dims: [Int], _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        let x = try unaryTensor(operands)
        guard dims.count == x.rank else {
            throw ShapeError("'dims' has \(dims.count) entries but operand \(x) has rank \(x.rank)")
        }
        guard shape.count <= Limits.maxRank else { throw ShapeError("result rank \(shape.count) exceeds \(Limits.maxRank)") }
        var last = -1
        for (k, d) in dims.enumerated() {
            guard d > last, d < shape.count else {
                throw ShapeError("'dims' must be increasing result axes below \(shape.count), got \(dims)")
            }
            last = d
            guard x.shape[k] == shape[d] || x.shape[k] == Dim(1) else {
                throw ShapeError("operand \(x) dim \(k) is \(x.shape[k]), cannot broadcast to \(shape[d]) (result axis \(d) of \(shapeString(shape)))")
            }
        }
        return try checkCount(TensorType(x.dtype, shape))
    }

    static func reshape(_ shape: [Dim], _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        let x = try unaryTensor(operands)
        guard shape.count <= Limits.maxRank else { throw ShapeError("result rank \(shape.count) exceeds \(Limits.maxRank)") }
        guard let a = product(x.shape), let b = product(shape), a == b else {
            throw ShapeError("cannot reshape \(x) to \(shapeString(shape)): element counts differ")
        }
        return TensorType(x.dtype, shape)
    }

    static func transpose(_ perm: [Int], _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        let x = try unaryTensor(operands)
        guard perm.count == x.rank, Set(perm) == Set(0..<x.rank) else {
            throw ShapeError("'perm' \(perm) is not a permutation of the \(x.rank) axes of \(x)")
        }
        return TensorType(x.dtype, perm.map { x.shape[$0] })
    }

    static func slice(_ axis: Int, _ start: Int, _ end: Int, _ step: Int, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        let x = try unaryTensor(operands)
        let a = try ShapeRules.axis(axis, rank: x.rank, x)
        guard let n = x.shape[a].staticValue else {
            throw ShapeError("sliced axis \(axis) of \(x) must be static, got \(x.shape[a])")
        }
        guard step >= 1 else { throw ShapeError("'step' must be at least 1, got \(step)") }
        guard start >= 0, start <= end, end <= n else {
            throw ShapeError("slice [\(start), \(end)) is out of bounds for axis \(axis) of \(x) (size \(n))")
        }
        var shape = x.shape
        // (end - start - 1) / step + 1 rather than a rounded-up division: no overflow for huge steps.
        shape[a] = Dim(end == start ? 0 : (end - start - 1) / step + 1)
        return TensorType(x.dtype, shape)
    }

    static func concat(_ axis: Int, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        guard !operands.isEmpty else { throw ShapeError("expected at least one operand") }
        let first = try tensor(operands, 0, "operand 0")
        let a = try ShapeRules.axis(axis, rank: first.rank, first)
        var total = Dim(0)
        for i in operands.indices {
            let t = try tensor(operands, i, "operand \(i)")
            guard t.dtype == first.dtype, t.rank == first.rank else {
                throw ShapeError("operand \(i) \(t) does not match operand 0 \(first)")
            }
            for d in 0..<t.rank where d != a && t.shape[d] != first.shape[d] {
                throw ShapeError("operand \(i) \(t) differs from operand 0 \(first) in dim \(d), which is not the concat axis")
            }
            guard let s = total.adding(t.shape[a]) else {
                throw ShapeError("cannot add dims \(total) and \(t.shape[a]) along the concat axis (sums must stay a single term)")
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
            throw ShapeError("padded axis \(axis) of \(x) must be static, got \(x.shape[a])")
        }
        let limit = Limits.maxElements
        guard low >= 0, high >= 0, interior >= 0, low <= limit, high <= limit, interior <= limit else {
            throw ShapeError("'low', 'high' and 'interior' must be in 0...\(limit), got \(low), \(high), \(interior)")
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
        guard idx.dtype == .i32 || idx.dtype == .i64 else { throw ShapeError("indices must be i32 or i64, got \(idx)") }
        // Compared without adding, so a huge `axis` cannot overflow.
        guard axis >= 0, axis <= u.rank - idx.rank else {
            throw ShapeError("updates \(u) must have indices \(idx) at axis \(axis)")
        }
        guard Array(u.shape[axis..<(axis + idx.rank)]) == idx.shape else {
            throw ShapeError("updates \(u) dims \(axis)..<\(axis + idx.rank) must equal the indices' shape \(idx)")
        }
        let shape = Array(u.shape[..<axis]) + [size] + Array(u.shape[(axis + idx.rank)...])
        return try checkCount(TensorType(u.dtype, shape))
    }

    static func take(_ axis: Int, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        try arity(operands, 2, "x, indices")
        let x = try tensor(operands, 0, "x")
        let idx = try tensor(operands, 1, "indices")
        guard idx.dtype == .i32 || idx.dtype == .i64 else {
            throw ShapeError("indices must be i32 or i64, got \(idx)")
        }
        let a = try ShapeRules.axis(axis, rank: x.rank, x)
        let shape = Array(x.shape[..<a]) + idx.shape + Array(x.shape[(a + 1)...])
        guard shape.count <= Limits.maxRank else { throw ShapeError("result rank \(shape.count) exceeds \(Limits.maxRank)") }
        return try checkCount(TensorType(x.dtype, shape))
    }
}
