import VFCIR

/// Gradient rules of reductions and normalisations, in closed form.
extension GradRules {
    static func reduceVJP(_ kind: ReduceOp, _ axes: [Int], _ keep: Bool, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        let xt = try c.type(0)
        let ax = axes.map { $0 < 0 ? $0 + xt.rank : $0 }.sorted()
        let kept = xt.shape.indices.filter { !ax.contains($0) }
        // The adjoint without the kept unit axes, then broadcast back over the reduced axes.
        let dy = try b.reshape(try c.dy(), kept.map { xt.shape[$0] })
        let spread = try b.unreduce(dy, axes: ax, to: xt.shape)
        switch kind {
        case .sum:
            return spread
        case .mean:
            guard let n = product(ax.map { xt.shape[$0] }) else { throw b.internalError("reduce_mean: count overflows") }
            guard let count = n.staticValue else {
                // A symbolic count: divide by the element count computed at run time.
                let ones = try b.constant(1, xt)
                let total = try b.reduceSum(ones, axes: ax)
                return try b.div(spread, try b.unreduce(total, axes: ax, to: xt.shape))
            }
            return try b.mul(spread, .literal(1 / Double(Swift.max(count, 1))))
        case .max, .min:
            // Ties share the gradient equally (as PyTorch's amax and JAX's reduce_max do).
            let y = try b.reshape(c.y(), kept.map { xt.shape[$0] })
            let hit = try b.emit(.compare(.eq), [c.x(0), try b.unreduce(y, axes: ax, to: xt.shape)])
            let mask = try b.emit(.convert(xt.dtype), [hit])
            let count = try b.unreduce(try b.reduceSum(mask, axes: ax), axes: ax, to: xt.shape)
            return try b.div(try b.mul(spread, mask), count)
        }
    }

    // MARK: normalisations
    //
    // Each closed form works on per-row statistics kept as unit axes (keep_dims) and spread
    // back over the row with an explicit broadcast, since elementwise ops do not broadcast.

    /// A keep-dims value (unit axes where `full` has rows) broadcast back to `full`.
    private static func spread(_ s: Operand, _ full: [Dim], _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        try b.broadcast(s, to: full, dims: Array(full.indices))
    }

    /// `kind` of `x` along `axis`, kept as a unit axis.
    private static func rowStat(_ kind: ReduceOp, _ x: Operand, _ axis: Int, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        try b.emit(.reduce(kind, axes: [axis], keepDims: true), [x])
    }

    /// `axis` as a non-negative axis of operand 0.
    private static func normalizedAxis(_ axis: Int, _ c: VJPContext) throws(DiagnosticError) -> (Int, [Dim]) {
        let shape = try c.type(0).shape
        return (axis < 0 ? axis + shape.count : axis, shape)
    }

    /// dx = y * (dy - sum(dy * y)): reuses the forward probabilities y.
    static func softmaxVJP(_ axis: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        let (a, shape) = try normalizedAxis(axis, c)
        let dy = try c.dy(), y = c.y()
        let s = try rowStat(.sum, try b.mul(dy, y), a, &b)
        return try b.mul(y, try b.sub(dy, try spread(s, shape, &b)))
    }

    /// dx = dy - softmax(x) * sum(dy), with softmax(x) = exp(y) from the forward result.
    static func logSoftmaxVJP(_ axis: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        let (a, shape) = try normalizedAxis(axis, c)
        let dy = try c.dy()
        let s = try rowStat(.sum, dy, a, &b)
        return try b.sub(dy, try b.mul(try b.unary(.exp, c.y()), try spread(s, shape, &b)))
    }

    /// y = x / n with n = max(||x||, eps). Where the norm is above eps,
    /// dx = (dy - y sum(dy y)) / n; where it is clamped, n is the constant eps and
    /// dx = dy / eps. Both are (dy - y k) / n with k = sum(dy y) or 0, so the select is
    /// taken on the per-row k rather than on two full-size candidates. The norm is
    /// recomputed (a cheap row statistic), y is the forward result.
    static func l2NormalizeVJP(_ axis: Int, _ eps: Double, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        let (a, shape) = try normalizedAxis(axis, c)
        let dy = try c.dy(), x = c.x(0), y = c.y()
        let norm = try b.unary(.sqrt, try rowStat(.sum, try b.mul(x, x), a, &b))
        let above = try b.emit(.compare(.gt), [norm, .literal(eps)])
        let n = try b.binary(.max, norm, .literal(eps))
        let k = try b.select(above, try rowStat(.sum, try b.mul(dy, y), a, &b), .literal(0))
        let num = try b.sub(dy, try b.mul(y, try spread(k, shape, &b)))
        return try b.div(num, try spread(n, shape, &b))
    }

    /// layer_norm over the last axis with weight w and bias: mean and rstd = 1/sqrt(var + eps)
    /// are recomputed, xhat = (x - mean) rstd, g = dy w;
    /// dx = rstd (g - mean(g) - xhat mean(g xhat)), dw = sum(dy xhat), db = sum(dy), the
    /// last two summed over every leading axis.
    static func layerNormVJP(_ eps: Double, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> [Operand?] {
        let xt = try c.type(0)
        let last = xt.rank - 1, shape = xt.shape
        guard last >= 0 else { throw b.internalError("layer_norm of a rank-0 operand") }
        let dy = try c.dy(), x = c.x(0)
        let leading = Array(0..<last)
        var dx: Operand?, dw: Operand?, db: Operand?
        if c.needs[2] { db = try b.reduceSum(dy, axes: leading) }
        guard c.needs[0] || c.needs[1] else { return [nil, nil, db] }
        let centred = try b.sub(x, try spread(try rowStat(.mean, x, last, &b), shape, &b))
        let variance = try rowStat(.mean, try b.mul(centred, centred), last, &b)
        let rstd = try spread(try b.unary(.rsqrt, try b.add(variance, .literal(eps))), shape, &b)
        let xhat = try b.mul(centred, rstd)
        if c.needs[1] { dw = try b.reduceSum(try b.mul(dy, xhat), axes: leading) }
        if c.needs[0] {
            let g = try b.mul(dy, try b.broadcast(c.x(1), to: shape, dims: [last]))
            let meanG = try spread(try rowStat(.mean, g, last, &b), shape, &b)
            let meanGX = try spread(try rowStat(.mean, try b.mul(g, xhat), last, &b), shape, &b)
            dx = try b.mul(rstd, try b.sub(try b.sub(g, meanG), try b.mul(xhat, meanGX)))
        }
        return [dx, dw, db]
    }
}
