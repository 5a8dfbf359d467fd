import CLLVM
import VFCIR

/// Lowering of patchify and the crop-sample ops (method.md section 2).
///
/// The sample points are computed per (box, row, column) exactly as the interpreter's
/// `Kernels.samplePoints` does: in f64 whatever the dtype (boxes of f32 widen exactly),
/// with the same operations in the same order and no fast-math flags, so the JIT picks
/// the same four cells and weights as the interpreter. The D-long inner loops (the
/// bilinear sum, the masked add, the gradient scatter) are contiguous and vectorised, and
/// they too compute in f64 for f32 tensors, rounding once on the store, as the interpreter
/// does: a bilinear sum of four f32 products can cancel to far below its terms, and f32
/// arithmetic then misses the interpreter's result by more than 1e-5 relative. For the
/// same reason crop_sample_grad of f32 accumulates in an f64 scratch field, rounded into
/// the result at the end.
///
/// Clamping uses `llvm.maxnum`/`llvm.minnum`, so a NaN coordinate (from a NaN box, which
/// the interpreter reports as an error) clamps to 0 and samples the field's first row or
/// column instead of failing: generated code cannot throw, and every cell it reads or
/// writes stays inside the field.
extension FunctionLowering {
    /// [N, C, H, W] to [N, (H/P)(W/P), C P P]: a strided copy over the result viewed as
    /// [N, H/P, W/P, C, P, P]; each innermost run of P pixels is contiguous.
    mutating func lowerPatchify(_ p: Int, _ x: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        let (ptr, d, xShape) = try movementBuffer(x, "patchify")
        guard xShape.count == 4, p >= 1 else { throw CodegenError.internalError("patchify of \(xShape) with patch \(p)") }
        let (n, c, h, w) = (xShape[0], xShape[1], xShape[2], xShape[3])
        let iteration = [n, h / p, w / p, c, p, p]
        movementCopy(d, shape: iteration, from: ptr, srcStrides: [c * h * w, p * w, p, h * w, w, 1],
                     to: out, dstStrides: movementStrides(iteration))
    }

    /// crop_sample %field, %boxes, %flips: out[t, :] = the four weighted cells, summed in
    /// cell order.
    /// `boxCount` (an i64 value) replaces the boxes' static count when it is a run-time dim.
    mutating func lowerCropSample(_ grid: Int, _ source: Int, _ ops: [Lowered], _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int],
                                  boxCount: LLVMValueRef? = nil) throws {
        let (field, d, fShape) = try movementBuffer(ops[0], "crop_sample")
        let depth = fShape[2]
        try forEachSample(grid, source, side: fShape[0], depth: depth, boxes: ops[1], flips: ops[2], boxCount: boxCount, "crop_sample") { t, cells, weights in
            let base = e.mul(t, depth)
            e.loop(depth, "cs.e") { i in
                e.store(visionNarrow(bilinear(field, d, cells, weights, i), d), out, d, e.add(base, i))
            }
        }
    }

    /// crop_sample_grad %d, %boxes, %flips: each sample's row d[t, :] times each weight is
    /// added into its four cells of the zeroed result [Fs, Fs, D], samples in (n, t)
    /// order, cells in the order (y0,x0), (y0,x1), (y1,x0), (y1,x1), as the interpreter
    /// does; f32 accumulates in an f64 scratch field rounded into the result at the end.
    mutating func lowerCropSampleGrad(_ grid: Int, _ source: Int, _ ops: [Lowered], _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int],
                                      boxCount: LLVMValueRef? = nil) throws {
        let (g, d, _) = try movementBuffer(ops[0], "crop_sample_grad")
        let depth = shape[2]
        let count = shape.reduce(1, *)
        let acc = d == .f64 ? out : allocate(.f64, shape)
        try forEachSample(grid, source, side: shape[0], depth: depth, boxes: ops[1], flips: ops[2], boxCount: boxCount, "crop_sample_grad") { t, cells, weights in
            let base = e.mul(t, depth)
            e.loop(depth, "csg.e") { i in
                let v = visionWiden(e.load(g, d, e.add(base, i)), d)
                for (c, w) in zip(cells, weights) {
                    let at = e.add(c, i)
                    let product = e.fastMath(LLVMBuildFMul(e.builder, w, v, ""))
                    e.store(e.fastMath(LLVMBuildFAdd(e.builder, e.load(acc, .f64, at), product, "")), acc, .f64, at)
                }
            }
        }
        if d != .f64 {
            e.loop(count, "csg.round") { i in e.store(visionNarrow(e.load(acc, .f64, i), d), out, d, i) }
        }
    }

    /// crop_sample_add %x, %field, %boxes, %flips, %mc, %mask_token, %mp, %pos_mask_token:
    /// (mc ? mask_token : x) + (mp ? pos_mask_token : crop_sample), in one pass.
    mutating func lowerCropSampleAdd(_ grid: Int, _ source: Int, _ ops: [Lowered], _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int],
                                     boxCount: LLVMValueRef? = nil) throws {
        let (x, _, _) = try movementBuffer(ops[0], "crop_sample_add")
        let (field, d, fShape) = try movementBuffer(ops[1], "crop_sample_add")
        let (mc, mcType, _) = try movementBuffer(ops[4], "crop_sample_add")
        let (maskToken, _, _) = try movementBuffer(ops[5], "crop_sample_add")
        let (mp, mpType, _) = try movementBuffer(ops[6], "crop_sample_add")
        let (posMaskToken, _, _) = try movementBuffer(ops[7], "crop_sample_add")
        let depth = fShape[2]
        try forEachSample(grid, source, side: fShape[0], depth: depth, boxes: ops[2], flips: ops[3], boxCount: boxCount, "crop_sample_add") { t, cells, weights in
            let content = truth(e.load(mc, mcType, t)), position = truth(e.load(mp, mpType, t))
            let base = e.mul(t, depth)
            e.loop(depth, "csa.e") { i in
                let at = e.add(base, i)
                let sample = bilinear(field, d, cells, weights, i)
                let c = LLVMBuildSelect(e.builder, content, e.load(maskToken, d, i), e.load(x, d, at), "")!
                let p = LLVMBuildSelect(e.builder, position, visionWiden(e.load(posMaskToken, d, i), d), sample, "")!
                e.store(visionNarrow(e.fastMath(LLVMBuildFAdd(e.builder, visionWiden(c, d), p, "")), d), out, d, at)
            }
        }
    }

    /// w0 f[c0 + i] + w1 f[c1 + i] + w2 f[c2 + i] + w3 f[c3 + i] in f64, summed left to right.
    func bilinear(_ field: LLVMValueRef, _ d: DType, _ cells: [LLVMValueRef], _ weights: [LLVMValueRef], _ i: LLVMValueRef) -> LLVMValueRef {
        var sum: LLVMValueRef?
        for (c, w) in zip(cells, weights) {
            let term = e.fastMath(LLVMBuildFMul(e.builder, w, visionWiden(e.load(field, d, e.add(c, i)), d), ""))
            sum = sum.map { e.fastMath(LLVMBuildFAdd(e.builder, $0, term, "")) } ?? term
        }
        return sum!
    }

    /// A value of float dtype `d` as f64 (exact).
    func visionWiden(_ v: LLVMValueRef, _ d: DType) -> LLVMValueRef {
        d == .f64 ? v : LLVMBuildFPExt(e.builder, v, e.f64, "")!
    }

    /// An f64 value rounded to float dtype `d`.
    func visionNarrow(_ v: LLVMValueRef, _ d: DType) -> LLVMValueRef {
        d == .f64 ? v : LLVMBuildFPTrunc(e.builder, v, e.storage(d), "")!
    }

    /// Emits the loops over boxes n, rows i and columns j and calls `body` with the token
    /// index t = (n grid + i) grid + j, the element offsets of the four cells
    /// ((y0,x0), (y0,x1), (y1,x0), (y1,x1), each times D) and their f64 weights
    /// (1-ay)(1-ax), (1-ay)ax, ay(1-ax), ay ax. The point is computed in f64 as in
    /// `Kernels.samplePoints`: j' = grid-1-j when flipped; u = x0 + (j'+0.5) w / grid,
    /// v = y0 + (i+0.5) h / grid; fx = u Fs / S - 0.5, clamped to [0, Fs-1]; c0 = floor,
    /// c1 = min(c0+1, Fs-1). The row's v, fy, cells and weights are hoisted out of the
    /// column loop (the same values as computed per sample). `boxCount` (an i64 value)
    /// replaces the boxes' static count when it is a run-time dim.
    func forEachSample(_ grid: Int, _ source: Int, side fs: Int, depth: Int, boxes: Lowered, flips: Lowered, boxCount: LLVMValueRef? = nil,
                       _ op: String, _ body: (LLVMValueRef, [LLVMValueRef], [LLVMValueRef]) throws -> Void) throws {
        let (bp, bd, bShape) = try movementBuffer(boxes, op)
        let (fp, fd, _) = try movementBuffer(flips, op)
        let nBoxes = boxCount == nil ? bShape[0] : 1
        guard nBoxes > 0, grid > 0 else { return }
        guard fs > 0 else { throw CodegenError.emptySampleField(op: op) }
        let f64 = e.f64
        func real(_ v: Double) -> LLVMValueRef { LLVMConstReal(f64, v) }
        func toReal(_ v: LLVMValueRef) -> LLVMValueRef { LLVMBuildSIToFP(e.builder, v, f64, "")! }
        func fadd(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildFAdd(e.builder, a, b, "")! }
        func fsub(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildFSub(e.builder, a, b, "")! }
        func fmul(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildFMul(e.builder, a, b, "")! }
        func fdiv(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildFDiv(e.builder, a, b, "")! }
        let g = real(Double(grid)), scale = real(Double(fs)), src = real(Double(source)), hi = real(Double(fs - 1))
        let half = real(0.5), one = real(1)
        /// The clamped coordinate's cells (c0, c1) as i64 and its fraction a = c - c0.
        func axis(_ pixel: LLVMValueRef) -> (LLVMValueRef, LLVMValueRef, LLVMValueRef) {
            let f = fsub(fdiv(fmul(pixel, scale), src), half)
            let clamped = e.intrinsic("llvm.minnum", f64, [e.intrinsic("llvm.maxnum", f64, [f, real(0)]), hi])
            let c0 = LLVMBuildFPToSI(e.builder, e.intrinsic("llvm.floor", f64, [clamped]), e.i64, "")!
            let next = e.add(c0, 1)
            let c1 = LLVMBuildSelect(e.builder, LLVMBuildICmp(e.builder, LLVMIntSLT, next, e.i64(fs - 1), ""), next, e.i64(fs - 1), "")!
            return (c0, c1, fsub(clamped, toReal(c0)))
        }
        try e.loop(boxCount ?? e.i64(nBoxes), "box") { n in
            let corner = e.mul(n, 4)
            let x0 = visionWiden(e.load(bp, bd, corner), bd), y0 = visionWiden(e.load(bp, bd, e.add(corner, 1)), bd)
            let w = visionWiden(e.load(bp, bd, e.add(corner, 2)), bd), h = visionWiden(e.load(bp, bd, e.add(corner, 3)), bd)
            let flipped = truth(e.load(fp, fd, n))
            try e.loop(grid, "row") { i in
                let v = fadd(y0, fdiv(fmul(fadd(toReal(i), half), h), g))
                let (ya, yb, ay) = axis(v)
                let rowA = e.mul(ya, fs), rowB = e.mul(yb, fs)
                let by = fsub(one, ay)
                let rowToken = e.mul(e.add(e.mul(n, grid), i), grid)
                try e.loop(grid, "col") { j in
                    let jj = LLVMBuildSelect(e.builder, flipped, LLVMBuildSub(e.builder, e.i64(grid - 1), j, ""), j, "")!
                    let u = fadd(x0, fdiv(fmul(fadd(toReal(jj), half), w), g))
                    let (xa, xb, ax) = axis(u)
                    let bx = fsub(one, ax)
                    let cells = [e.mul(e.add(rowA, xa), depth), e.mul(e.add(rowA, xb), depth),
                                 e.mul(e.add(rowB, xa), depth), e.mul(e.add(rowB, xb), depth)]
                    let weights = [fmul(by, bx), fmul(by, ax), fmul(ay, bx), fmul(ay, ax)]
                    try body(e.add(rowToken, j), cells, weights)
                }
            }
        }
    }
}
