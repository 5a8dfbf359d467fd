import CLLVM
import VFCIR

/// Lowering of the instructions whose operands or result have a run-time extent
/// (`RuntimeDims`): elementwise ops, splat constants, views, data movement (broadcast,
/// transpose, slice, pad, concat), reductions, softmax, log_softmax and l2_normalize along
/// the last axis, layer_norm with a fixed last axis, matmul, linear, patchify and the
/// crop-sample ops (the boxes' count a dim). Each is one outlined kernel (as `kernel`) that
/// also takes the dim block and reads its extents there; long loops split across threads
/// by a run-time test of their length (`runtimeParallelLoop`), in contiguous chunks, so
/// results do not depend on the thread count.
///
/// Buffers with a run-time size are slots of the arena like the fixed-size ones, placed
/// when the entry is called (`RuntimeArena.swift`); an elementwise op computes in place of
/// an operand it reads last, as with fixed sizes. Fused kernels with run-time extents go to `lowerRuntimeFusedKernel`, or arrive
/// here op by op (`RuntimeDimsKernels.swift`).
extension FunctionLowering {
    /// Lowers instruction `index` when one of its operands or its result has a run-time
    /// extent, and returns true; false (nothing emitted) when every extent is fixed.
    mutating func lowerWithRuntimeDims(_ inst: Instruction, at index: Int) throws -> Bool {
        guard let block = runtime?.block else { return false }
        if try lowerRuntimeFolded(inst, block, at: index) { return true }
        let shapes = try inst.operands.map { try dims(of: $0) }
        let runtimeOperand = shapes.contains { $0.map(isRuntime) ?? false }
        if case .call(let callee) = inst.op, let f = module.function(named: callee), RuntimeDims.hasRuntimeForm(f, bindings: bindings),
           let k = FusedKernel(f),
           runtimeOperand || inst.results.contains(where: { function[$0].type.map { isRuntime(dims($0)) } ?? false }) {
            try lowerRuntimeFusedKernel(inst, f, k, block, at: index)
            releaseDying(inst, at: index)
            return true
        }
        guard inst.results.count == 1, let t = function.values[inst.results[0].index].type else {
            if runtimeOperand { throw unsupportedRuntime(inst) }
            return false
        }
        let outShape = dims(t)
        guard runtimeOperand || isRuntime(outShape) else { return false }
        let r = inst.results[0]
        let ops = try inst.operands.map { try operand($0) }
        if inst.op.has(.view), case .buffer(let p, _, _) = ops[0] {
            values[r] = .buffer(p, t.dtype, isRuntime(outShape) ? [] : try shape(t))
            if isRuntime(outShape) { runtime?.shapes[r] = outShape }
            return true
        }
        guard Self.hasRuntimeLowering(inst.op) else { throw unsupportedRuntime(inst) }
        let zeroed = inst.op.has(.partialWriter)
        if inst.op.has(.elementwise), let n = product(outShape) {
            // An operand read for the last time can hold the result (in place).
            releaseDying(inst, at: index, inPlace: (n, t.dtype.byteSize))
        }
        let out: LLVMValueRef
        if isRuntime(outShape) {
            out = runtimeResultBuffer(for: r, t.dtype, outShape, block, zeroed: zeroed)
            values[r] = .buffer(out, t.dtype, [])
        } else {
            let s = try shape(t)
            out = resultBuffer(for: r, t.dtype, s, zeroed: zeroed)
            values[r] = .buffer(out, t.dtype, s)
        }
        plan.handoff = []
        let described = zip(ops, shapes).map { o, s -> String in
            if case .literal(let x) = o { return "\(x.bitPattern)" }
            return "\(o.dtype.map { "\($0)" } ?? "")\(s ?? [])"
        }
        let signature = "\(described) -> \(t.dtype)\(outShape)"
        let located = inst.op.has(.checksIndices) ? " at \(inst.loc)" : ""  // their messages name the op's location
        var pointers = [out]
        for case .buffer(let p, _, _) in ops { pointers.append(p) }
        pointers.append(block)
        try outlined(key: "\(inst.op) runtime " + signature + located, pointers: pointers,
                     site: (.kernel, inst.op.name, signature.replacingOccurrences(of: "\"", with: ""))) { me, inner in
            let mapped = ops.map { o -> Lowered in
                guard case .buffer(let p, let d, let s) = o else { return o }
                return .buffer(inner(p), d, s)
            }
            if Self.isRuntimeIndexing(inst.op) {
                try me.lowerRuntimeIndexing(inst.op, mapped, shapes, inner(out), t.dtype, outShape, inner(block), loc: inst.loc)
            } else {
                try me.lowerRuntimeOp(inst.op, mapped, shapes, inner(out), t.dtype, outShape, inner(block))
            }
        }
        releaseDying(inst, at: index)
        return true
    }

    /// The ops `lowerRuntimeOp` lowers with run-time extents (views aside).
    static func hasRuntimeLowering(_ op: Op) -> Bool {
        switch op {
        case .unary, .binary, .compare, .select, .convert, .constant(.splat), .broadcast, .transpose, .slice, .pad, .concat,
             .reduce, .softmax, .logSoftmax, .layerNorm, .matmul, .linear, .patchify, .cropSample, .cropSampleGrad, .cropSampleAdd, .l2Normalize:
            return true
        case .take, .scatterAdd, .nonzero:
            return isRuntimeIndexing(op)
        case .constant, .stopGradient, .reshape, .call, .valueAndGrad:
            return false
        }
    }

    private func unsupportedRuntime(_ inst: Instruction) -> CodegenError {
        let names = runtime?.names.joined(separator: ", ") ?? ""
        return CodegenError.unsupported(inst.loc, "\(inst.op.name) with run-time dims (\(names)) is not compiled yet; bind them at compile time (--bind)")
    }

    /// The loops of one op inside its kernel: `shapes` are the operands' shapes (nil for
    /// literals), `block` the kernel's dim block.
    private mutating func lowerRuntimeOp(_ op: Op, _ ops: [Lowered], _ shapes: [[Dim]?], _ out: LLVMValueRef,
                                         _ dtype: DType, _ shape: [Dim], _ block: LLVMValueRef) throws {
        switch op {
        case .unary, .binary, .compare, .select, .convert:
            let ct = computeType(op, ops)
            let captured = ops.compactMap { o -> LLVMValueRef? in if case .buffer(let p, _, _) = o { return p } else { return nil } } + [out]
            try runtimeParallelLoop(count(shape, block), buffers: captured) { me, i, ptrs in
                var k = 0
                let ops = ops.map { o -> Lowered in
                    guard case .buffer(_, let d, let s) = o else { return o }
                    defer { k += 1 }
                    return .buffer(ptrs[k], d, s)
                }
                let v = try me.elementwiseValue(op, ct, from: ops.first?.dtype) { k, d in
                    switch ops[k] {
                    case .literal(let x): return me.e.constant(x, d)
                    case .buffer(let p, let bd, _): return me.e.load(p, bd, shapes[k]?.isEmpty ?? true ? me.e.i64(0) : i)
                    }
                }
                me.e.store(v, ptrs[ptrs.count - 1], dtype, i)
            }
        case .constant(.splat(let x)):
            let c = e.constant(x, dtype)
            e.loop(count(shape, block)) { i in e.store(c, out, dtype, i) }
        case .broadcast(_, let axes):
            let (p, d, xs) = try runtimeOperand(ops, shapes, 0)
            let strides = runtimeStrides(xs, block)
            var src = [LLVMValueRef](repeating: e.i64(0), count: shape.count)
            for (k, r) in axes.enumerated() where xs[k] != Dim(1) { src[r] = strides[k] }
            runtimeMovement(d, shape, block, from: p, srcStrides: src, to: out, dstStrides: runtimeStrides(shape, block))
        case .transpose(let perm):
            let (p, d, xs) = try runtimeOperand(ops, shapes, 0)
            let strides = runtimeStrides(xs, block)
            runtimeMovement(d, shape, block, from: p, srcStrides: perm.map { strides[$0] }, to: out, dstStrides: runtimeStrides(shape, block))
        case .slice(let axis, let start, _, let step):
            let (p, d, xs) = try runtimeOperand(ops, shapes, 0)
            let a = axis < 0 ? axis + xs.count : axis
            var src = runtimeStrides(xs, block)
            let base = e.mul(src[a], start)
            src[a] = e.mul(src[a], step)
            runtimeMovement(d, shape, block, from: p, srcBase: base, srcStrides: src, to: out, dstStrides: runtimeStrides(shape, block))
        case .pad(let axis, let low, _, let interior):
            // The result is zeroed (pad writes only some of its elements).
            let (p, d, xs) = try runtimeOperand(ops, shapes, 0)
            let a = axis < 0 ? axis + xs.count : axis
            var dst = runtimeStrides(shape, block)
            let base = e.mul(dst[a], low)
            dst[a] = e.mul(dst[a], interior + 1)
            runtimeMovement(d, xs, block, from: p, srcStrides: runtimeStrides(xs, block), to: out, dstBase: base, dstStrides: dst)
        case .concat(let axis):
            let a = axis < 0 ? axis + shape.count : axis
            let dst = runtimeStrides(shape, block)
            var offset = e.i64(0)
            for k in ops.indices {
                let (p, d, xs) = try runtimeOperand(ops, shapes, k)
                runtimeMovement(d, xs, block, from: p, srcStrides: runtimeStrides(xs, block), to: out,
                                dstBase: e.mul(offset, dst[a]), dstStrides: dst)
                offset = e.add(offset, extent(xs[a], block))
            }
        case .reduce(let kind, let axes, _):
            let (p, _, xs) = try runtimeOperand(ops, shapes, 0)
            try runtimeReduce(kind, axes, p, xs, out, dtype, shape, block)
        case .softmax(let axis), .logSoftmax(let axis):
            // Rows along the last axis (its length a dim or fixed), split across threads.
            let (p, _, xs) = try runtimeOperand(ops, shapes, 0)
            guard axis == -1 || axis == xs.count - 1, let last = xs.last else {
                throw CodegenError.runtimeRestricted(op: op.name, .lastAxisOnly)
            }
            let log = if case .logSoftmax = op { true } else { false }
            let rows = extent(product(Array(xs.dropLast())) ?? Dim(0), block)
            try runtimeParallelLoop(rows, workPerIteration: 8 * Swift.max(last.coefficient, 1), buffers: [p, out, block]) { me, r, ptrs in
                let em = me.e
                let n = me.extent(last, ptrs[2])
                me.softmaxLine(load: { em.load(ptrs[0], dtype, $0) }, scratch: ptrs[1], store: { em.store($1, ptrs[1], dtype, $0) },
                               base: me.e.mul(r, n), stride: 1, length: n, log: log, dtype)
            }
        case .l2Normalize(let axis, let eps):
            // Rows along the last axis (its length fixed or a dim), split across threads.
            let (p, _, xs) = try runtimeOperand(ops, shapes, 0)
            guard axis == -1 || axis == xs.count - 1, let last = xs.last else {
                throw CodegenError.runtimeRestricted(op: "l2_normalize", .lastAxisOnly)
            }
            let rows = extent(product(Array(xs.dropLast())) ?? Dim(0), block)
            try runtimeParallelLoop(rows, workPerIteration: 4 * Swift.max(last.coefficient, 1), buffers: [p, out, block]) { me, r, ptrs in
                let n = me.extent(last, ptrs[2])
                me.l2NormalizeLine(ptrs[0], ptrs[1], dtype, base: me.e.mul(r, n), stride: 1, length: n, eps: eps)
            }
        case .layerNorm(let eps):
            let (p, _, xs) = try runtimeOperand(ops, shapes, 0)
            let (wp, _, _) = try runtimeOperand(ops, shapes, 1)
            let (bp, _, _) = try runtimeOperand(ops, shapes, 2)
            let n = try fixedLastAxis(xs, op)
            try runtimeParallelLoop(extent(product(Array(xs.dropLast())) ?? Dim(0), block), workPerIteration: 4 * n, buffers: [p, wp, bp, out]) { me, r, ptrs in
                let em = me.e
                me.layerNormRow(load: { em.load(ptrs[0], dtype, $0) }, ptrs[1], ptrs[2], store: { em.store($1, ptrs[3], dtype, $0) },
                                row: r, d: n, eps: eps, dtype)
            }
        case .matmul(let ta, let tb):
            let (ap, _, ash) = try runtimeOperand(ops, shapes, 0)
            let (bp, _, bsh) = try runtimeOperand(ops, shapes, 1)
            try runtimeMatmul(ta, tb, ap, ash, bp, bsh, out, dtype, block)
        case .linear:
            let (xp, _, xs) = try runtimeOperand(ops, shapes, 0)
            let (wp, _, ws) = try runtimeOperand(ops, shapes, 1)
            let (bp, _, _) = try runtimeOperand(ops, shapes, 2)
            runtimeLinear(xp, xs, wp, ws, bp, out, dtype, block)
        case .patchify(let patch):
            // [N, C, H, W] to [N, (H/P)(W/P), C P P], as `lowerPatchify`, N at run time.
            let (p, d, xs) = try runtimeOperand(ops, shapes, 0)
            guard xs.count == 4, patch >= 1, let c = xs[1].staticValue, let h = xs[2].staticValue, let w = xs[3].staticValue else {
                throw CodegenError.runtimeRestricted(op: "patchify", .batchAxisOnly)
            }
            let iteration = [xs[0], Dim(h / patch), Dim(w / patch), Dim(c), Dim(patch), Dim(patch)]
            runtimeMovement(d, iteration, block, from: p, srcStrides: [c * h * w, patch * w, patch, h * w, w, 1].map { e.i64($0) },
                            to: out, dstStrides: runtimeStrides(iteration, block))
        case .cropSample(let grid, let source), .cropSampleGrad(let grid, let source, _), .cropSampleAdd(let grid, let source):
            // The boxes' count is the run-time dim; the field, tokens and grid are fixed.
            let boxIndex = if case .cropSampleAdd = op { 2 } else { 1 }
            let (_, _, bs) = try runtimeOperand(ops, shapes, boxIndex)
            // The field (and, for crop_sample_grad, the result) must be fixed.
            let fieldShape: [Dim]
            switch op {
            case .cropSampleGrad: fieldShape = shape
            case .cropSampleAdd: fieldShape = shapes[1] ?? []
            default: fieldShape = shapes[0] ?? []
            }
            if isRuntime(fieldShape) {
                throw CodegenError.runtimeRestricted(op: op.name, .boxCountOnly)
            }
            let fixed = fixedShapes(ops, shapes)
            let boxes = extent(bs[0], block)
            switch op {
            case .cropSample: try lowerCropSample(grid, source, fixed, out, dtype, [], boxCount: boxes)
            case .cropSampleGrad:
                try lowerCropSampleGrad(grid, source, fixed, out, dtype, shape.map(\.coefficient), boxCount: boxes)
            default: try lowerCropSampleAdd(grid, source, fixed, out, dtype, [], boxCount: boxes)
            }
        default:
            throw CodegenError.internalError("\(op.name) has no run-time lowering")
        }
    }

    /// Operand `k` as a buffer with its dims.
    private func runtimeOperand(_ ops: [Lowered], _ shapes: [[Dim]?], _ k: Int) throws -> (LLVMValueRef, DType, [Dim]) {
        guard k < ops.count, case .buffer(let p, let d, _) = ops[k], let s = shapes[k] else {
            throw CodegenError.internalError("operand \(k) is not a tensor")
        }
        return (p, d, s)
    }

    /// The static length of the last axis (what layer_norm normalises).
    private func fixedLastAxis(_ shape: [Dim], _ op: Op) throws -> Int {
        guard let n = shape.last?.staticValue else {
            throw CodegenError.runtimeRestricted(op: op.name, .fixedLastAxis)
        }
        return n
    }

    /// The operands in `Lowered` form for a fixed-size lowering that reads only the shapes
    /// of its fixed operands: those sized by a dim get an empty shape.
    private func fixedShapes(_ ops: [Lowered], _ shapes: [[Dim]?]) -> [Lowered] {
        ops.indices.map { k in
            guard case .buffer(let p, let d, _) = ops[k], let s = shapes[k] else { return ops[k] }
            return .buffer(p, d, isRuntime(s) ? [] : s.map(\.coefficient))
        }
    }

    /// For every index tuple of `shape`: dst[dstBase + sum i_k dst_k] = src[srcBase + sum i_k src_k].
    func runtimeMovement(_ d: DType, _ shape: [Dim], _ block: LLVMValueRef, from src: LLVMValueRef, srcBase: LLVMValueRef? = nil,
                         srcStrides: [LLVMValueRef], to dst: LLVMValueRef, dstBase: LLVMValueRef? = nil, dstStrides: [LLVMValueRef]) {
        let extents = shape.map { extent($0, block) }
        runtimeNest(extents, [srcStrides, dstStrides], [srcBase ?? e.i64(0), dstBase ?? e.i64(0)]) { o in
            e.store(e.load(src, d, o[0]), dst, d, o[1])
        }
    }
}
