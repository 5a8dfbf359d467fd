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
    static func softmaxVJP(_ axis: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        throw b.internalError("softmax: gradient rule not written yet")
    }
    static func logSoftmaxVJP(_ axis: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        throw b.internalError("log_softmax: gradient rule not written yet")
    }
    static func l2NormalizeVJP(_ axis: Int, _ eps: Double, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        throw b.internalError("l2_normalize: gradient rule not written yet")
    }
    static func layerNormVJP(_ eps: Double, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> [Operand?] {
        throw b.internalError("layer_norm: gradient rule not written yet")
    }
}
