import VFCIR

/// Gradient rules of patchify and the crop-sample ops. All four are linear in the operands
/// that get gradients, so each rule is the transpose map: patchify's is the inverse view,
/// crop_sample and crop_sample_grad are each other's transposes with respect to the field,
/// and crop_sample_add splits its adjoint between the content and position paths with the
/// masks. Boxes and flips only steer the sampling and get no gradient.
extension GradRules {
    /// patchify is a pure permutation of elements, so its transpose is the inverse view:
    /// dy [N, h*w, C*P*P] -> [N, h, w, C, P, P] (rows (i, j) row-major, columns
    /// (channel, py, px), as the kernel writes them) -> [N, C, h, P, w, P] -> [N, C, H, W].
    static func patchifyVJP(_ p: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        let xt = try c.type(0)
        guard let hh = xt.shape[2].staticValue, let ww = xt.shape[3].staticValue else {
            throw b.internalError("patchify: image height and width must be static")
        }
        let (n, ch) = (xt.shape[0], xt.shape[1])
        let pd = Dim(p)
        let blocks = try b.reshape(try c.dy(), [n, Dim(hh / p), Dim(ww / p), ch, pd, pd])
        return try b.reshape(try b.transpose(blocks, [0, 3, 1, 4, 2, 5]), xt.shape)
    }

    /// The side of a crop op's [Fs, Fs, D] field operand.
    private static func fieldSide(_ c: VJPContext, _ i: Int, _ b: inout GradBuilder) throws(DiagnosticError) -> Int {
        guard let side = try c.type(i).shape[0].staticValue else { throw b.internalError("\(c.inst.op.name): the field side must be static") }
        return side
    }

    /// crop_sample is linear in the field: its transpose scatters each sample's adjoint row
    /// into the four cells it was interpolated from, with the same bilinear weights.
    static func cropSampleVJP(_ grid: Int, _ source: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        let side = try fieldSide(c, 0, &b)
        return try b.emit(.cropSampleGrad(grid: grid, source: source, field: side), [try c.dy(), c.x(1), c.x(2)])
    }

    /// crop_sample_grad is the transpose of crop_sample, so its own transpose is crop_sample
    /// (the gradient of a gradient, e.g. a loss on a field gradient).
    static func cropSampleGradVJP(_ grid: Int, _ source: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        try b.emit(.cropSample(grid: grid, source: source), [try c.dy(), c.x(1), c.x(2)])
    }

    /// z = (mc ? mask_token : x) + (mp ? pos_mask_token : crop_sample(field)). Masked
    /// positions send their adjoint to the token (summed over every view and position),
    /// unmasked ones to x or, through the crop_sample transpose, to the field. Only the
    /// operands asked for are emitted: the field scatter is the expensive one.
    static func cropSampleAddVJP(_ grid: Int, _ source: Int, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> [Operand?] {
        let dy = try c.dy()
        let shape = c.resultTypes[0].shape
        var grads = [Operand?](repeating: nil, count: c.inst.operands.count)
        if c.needs[0] || c.needs[5] {
            let mc = try b.expandMask(c.x(4), to: shape)
            if c.needs[0] { grads[0] = try b.select(mc, .literal(0), dy) }
            if c.needs[5] { grads[5] = try b.reduceSum(try b.select(mc, dy, .literal(0)), axes: [0, 1]) }
        }
        if c.needs[1] || c.needs[7] {
            let mp = try b.expandMask(c.x(6), to: shape)
            if c.needs[1] {
                let side = try fieldSide(c, 1, &b)
                let dpe = try b.select(mp, .literal(0), dy)
                grads[1] = try b.emit(.cropSampleGrad(grid: grid, source: source, field: side), [dpe, c.x(2), c.x(3)])
            }
            if c.needs[7] { grads[7] = try b.reduceSum(try b.select(mp, dy, .literal(0)), axes: [0, 1]) }
        }
        return grads
    }
}
