import VFCIR

/// A possibly negative axis attribute resolved against `rank` (the shape rule has already
/// checked it is in range; the backward ops get the resolved axis).
private func movementAxis(_ axis: Int, rank: Int) -> Int { axis < 0 ? axis + rank : axis }

/// Gradient rules of the data-movement family: each is the transpose of a linear map, so
/// each backward op is the forward op's partner (slice and pad, take and scatter_add).
extension GradRules {
    /// Sums dy over what the broadcast replicated: the result axes the operand lacks, and
    /// the operand's unit axes that were stretched. Summing without keep_dims leaves the
    /// operand's non-stretched axes in order, so one reshape reinstates the unit axes.
    static func broadcastVJP(_ dims: [Int], _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        let xt = try c.type(0), yt = c.resultTypes[0]
        var summed = yt.shape.indices.filter { !dims.contains($0) }
        for (k, d) in dims.enumerated() where xt.shape[k] == Dim(1) && yt.shape[d] != Dim(1) {
            summed.append(d)
        }
        let s = try b.reduceSum(try c.dy(), axes: summed.sorted())
        return try b.reshape(s, xt.shape)
    }

    /// Result axis i is operand axis perm[i], so the inverse permutation puts them back.
    static func transposeVJP(_ perm: [Int], _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        var inverse = [Int](repeating: 0, count: perm.count)
        for (i, p) in perm.enumerated() { inverse[p] = i }
        return try b.transpose(try c.dy(), inverse)
    }

    /// The adjoint goes back to positions start, start + step, ...: a pad with `start`
    /// zeros before, `step - 1` between, and whatever remains of the axis after.
    static func sliceVJP(_ axis: Int, _ start: Int, _ end: Int, _ step: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        let xt = try c.type(0)
        let a = movementAxis(axis, rank: xt.rank)
        // slice's shape rule requires both axis sizes to be static.
        guard let length = xt.shape[a].staticValue, let k = c.resultTypes[0].shape[a].staticValue else {
            throw b.internalError("slice: the sliced axis is not static")
        }
        if k == 0 { return try b.zeros(xt) }
        let high = length - start - 1 - (k - 1) * step
        return try b.emit(.pad(axis: a, low: start, high: high, interior: step - 1), [try c.dy()])
    }

    /// The operand's elements sit at low, low + (interior + 1), ...: a strided slice
    /// picks them out and drops the padding, whose gradient goes nowhere.
    static func padVJP(_ axis: Int, _ low: Int, _ high: Int, _ interior: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        let xt = try c.type(0)
        let a = movementAxis(axis, rank: xt.rank)
        guard let n = xt.shape[a].staticValue else { throw b.internalError("pad: the padded axis is not static") }
        if n == 0 { return try b.zeros(xt) }
        let step = interior + 1
        return try b.emit(.slice(axis: a, start: low, end: low + (n - 1) * step + 1, step: step), [try c.dy()])
    }

    /// Each operand's gradient is its own stretch of dy along the concat axis, at offsets
    /// from the sizes before it. slice needs a static axis; along a symbolic one the sizes
    /// are all c_i * S for one monomial S (the shape rule only adds like terms), so dy's
    /// axis is viewed as [sum c_i, S] and the static c_i are sliced there instead.
    static func concatVJP(_ axis: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> [Operand?] {
        let dy = try c.dy()
        let yt = c.resultTypes[0]
        let a = movementAxis(axis, rank: yt.rank)
        let sizes = try c.inst.operands.indices.map { i throws(DiagnosticError) in try c.type(i).shape[a] }
        // The common symbol list S (empty when the axis is static); zero sizes have none.
        let symbols = sizes.first { !$0.symbols.isEmpty }?.symbols ?? []
        guard sizes.allSatisfy({ $0.coefficient == 0 || $0.symbols == symbols }) else {
            throw b.internalError("concat: operand sizes along the axis are not like terms")
        }
        let unit = Dim(coefficient: 1, symbols: symbols)
        let total = sizes.reduce(0) { $0 + $1.coefficient }
        let view = symbols.isEmpty
            ? dy
            : try b.reshape(dy, Array(yt.shape[..<a]) + [Dim(total), unit] + Array(yt.shape[(a + 1)...]))
        var out: [Operand?] = []
        var offset = 0
        for (i, n) in sizes.enumerated() {
            defer { offset += n.coefficient }
            guard c.needs[i] else { out.append(nil); continue }
            if sizes.count == 1 { out.append(dy); continue }
            let part = try b.emit(.slice(axis: a, start: offset, end: offset + n.coefficient, step: 1), [view])
            out.append(try b.reshape(part, try c.type(i).shape))
        }
        return out
    }

    /// take copies x[idx[j]] to position j, so its transpose adds position j back into
    /// slot idx[j]; repeated indices accumulate.
    static func takeVJP(_ axis: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        let xt = try c.type(0)
        let a = movementAxis(axis, rank: xt.rank)
        return try b.emit(.scatterAdd(axis: a, size: xt.shape[a]), [try c.dy(), c.x(1)])
    }

    /// Each update lands in slot idx[j], so its gradient is read back from that slot.
    static func scatterAddVJP(_ axis: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        try b.emit(.take(axis: axis), [try c.dy(), c.x(1)])
    }
}
