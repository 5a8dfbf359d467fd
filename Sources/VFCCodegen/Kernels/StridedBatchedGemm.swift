import CLLVM
import VFCIR

/// Batched products over strided views (StridedProduct): one kernel over every batch item
/// (attention's heads), each item's operands addressed in place through its batch strides.
/// Small f32 items run vfc's loop nest (Lowering+SmallGemm.swift), larger ones one sgemm
/// call per item with the views' leading dimensions; both parallel over the items.
extension FunctionLowering {
    /// Whether the items of `p` run as vfc's loop nest rather than sgemm calls.
    static func usesSmallGemm(_ d: DType, _ p: StridedProduct) -> Bool {
        p.storesRows && usesSmallGemm(d, ta: true, tb: p.packsB, m: p.m, n: p.n, k: p.k, batches: p.batches, bRank: 3)
    }

    /// Whether `p` can be computed at all: by the loop nest, or by sgemm calls where every
    /// side has a unit stride (and fits OpenBLAS's 32-bit sizes).
    static func canCompute(_ d: DType, _ p: StridedProduct) -> Bool {
        if usesSmallGemm(d, p) { return true }
        guard let f = p.blasForm else { return false }
        return [p.m, p.n, p.k, f.lda, f.ldb, f.ldc].allSatisfy { $0 <= Int(Int32.max) }
    }

    /// The element offset of batch item `t` (row-major over `shape`) on `side`.
    func batchOffset(_ t: LLVMValueRef, _ shape: [Int], _ side: StridedProduct.Side) -> LLVMValueRef {
        var offset = e.i64(side.offset)
        var rest = t
        for d in shape.indices.reversed() where shape[d] > 1 {
            let extent = e.i64(shape[d])
            let index = d == shape.indices.first ? rest : LLVMBuildURem(e.builder, rest, extent, "")!
            if side.batch[d] != 0 { offset = e.add(offset, e.mul(index, side.batch[d])) }
            rest = LLVMBuildUDiv(e.builder, rest, extent, "")!
        }
        return offset
    }

    /// C[t] = op(A[t]) op(B[t]) for every item of `p`, the sides read and written in place
    /// at `a`, `b`, `out`. With an `epilogue` the result must be dense.
    mutating func stridedBatchedGemm(_ d: DType, _ p: StridedProduct, _ a: LLVMValueRef, _ b: LLVMValueRef, _ out: LLVMValueRef,
                                     epilogue: GemmEpilogue? = nil) throws {
        if d == .f32, Self.usesSmallGemm(d, p) {
            try smallBatchedGemm(p, a, b, out, epilogue: epilogue)
            return
        }
        guard let f = p.blasForm else { throw CodegenError.internalError("strided product without a unit stride: \(p)") }
        if p.batches == 1 {
            try gemm(d, f.ta, f.tb, p.m, p.n, p.k, e.gep(a, d, e.i64(p.a.offset)), f.lda, e.gep(b, d, e.i64(p.b.offset)), f.ldb,
                     e.gep(out, d, e.i64(p.c.offset)), f.ldc, epilogue: epilogue)
            return
        }
        guard epilogue == nil || p.denseResult else { throw CodegenError.internalError("epilogue of a strided product") }
        // One OpenBLAS call per item, the items spread over the pool's threads (each call
        // then runs on its own thread: vfc_sgemm does not split inside a loop).
        let site = profile?.add(.sgemm, name: "", op: d == .f32 ? "sgemm" : "dgemm",
                                detail: "\(p.batches) x \(p.m)x\(p.n)x\(p.k)\(f.ta ? " A^T" : "")\(f.tb ? " B^T" : "")",
                                parent: LLVMSupport.valueName(e.function))
        if let site { profileBegin(site) }
        try parallelLoop(p.batches, workPerIteration: p.m * p.n * p.k, buffers: [a, b, out] + (epilogue.map { [$0.context] } ?? [])) { me, t, ptrs in
            let aPtr = me.e.gep(ptrs[0], d, me.batchOffset(t, p.batchShape, p.a))
            let bPtr = me.e.gep(ptrs[1], d, me.batchOffset(t, p.batchShape, p.b))
            let cPtr = me.e.gep(ptrs[2], d, me.batchOffset(t, p.batchShape, p.c))
            // The epilogue's context as the loop body captured it; item t is rows t*m of the output.
            let item = epilogue.map { GemmEpilogue(function: $0.function, context: ptrs[3]) }
            try me.gemm(d, f.ta, f.tb, p.m, p.n, p.k, aPtr, f.lda, bPtr, f.ldb, cPtr, f.ldc,
                        profiled: false, epilogue: item, rowOffset: me.e.mul(t, p.m))
        }
        if let site { profileEnd(site) }
    }

    /// Lowers `matmul` instruction `inst` whose operands or result `ViewFolding` folded: the
    /// operands read in place through their views, the result written into its planned
    /// buffer (the transpose's after it, when folded), in one outlined kernel keyed by the
    /// product's layout.
    mutating func lowerFoldedMatmul(_ inst: Instruction, _ ta: Bool, _ tb: Bool, _ dtype: DType, _ outShape: [Int]) throws {
        var bases: [LLVMValueRef] = [], layouts: [StridedLayout] = []
        for o in inst.operands.prefix(2) {
            guard case .value(let v) = o else { throw CodegenError.internalError("matmul of a literal") }
            if let view = folding.views[v] {
                guard case .buffer(let p, _, _)? = values[view.base] else { throw CodegenError.internalError("folded view of an unlowered value") }
                bases.append(p)
                layouts.append(view.layout)
            } else {
                guard case .buffer(let p, _, let s)? = values[v] else { throw CodegenError.internalError("matmul of a literal") }
                bases.append(p)
                layouts.append(.dense(s))
            }
        }
        let r = inst.results[0]
        let out: LLVMValueRef, cLayout: StridedLayout
        if let into = folding.results[r] {
            // The first product writing into the buffer allocates it (several parts of a
            // concatenation share it: PadSumFolding.swift).
            if case .buffer(let p, _, _)? = values[into.value] {
                out = p
            } else {
                out = resultBuffer(for: into.value, dtype, into.shape)
                values[into.value] = .buffer(out, dtype, into.shape)
            }
            cLayout = into.layout
        } else {
            out = resultBuffer(for: r, dtype, outShape)
            cLayout = .dense(outShape)
        }
        // Only the transpose reads the folded result, and it is not lowered.
        values[r] = .buffer(out, dtype, outShape)
        guard let p = StridedProduct(ta: ta, tb: tb, a: layouts[0], b: layouts[1], c: cLayout), Self.canCompute(dtype, p) else {
            throw CodegenError.internalError("folded matmul \(layouts) x \(layouts[1]) -> \(cLayout)")
        }
        let ops = zip(bases, layouts).map { Lowered.buffer($0, dtype, $1.shape) }
        count(inst.op, ops, dtype, outShape)
        if p.batches * p.m * p.n == 0 { return }
        if p.k == 0 { throw CodegenError.internalError("folded matmul with an empty contraction") }
        let signature = "\(dtype) \(p)"
        try outlined(key: "strided-matmul " + signature, pointers: [out] + bases, site: (.kernel, "matmul", signature)) { me, inner in
            try me.stridedBatchedGemm(dtype, p, inner(bases[0]), inner(bases[1]), inner(out))
        }
    }
}

extension FunctionLowering {
    /// Lowers instruction `inst` when `ViewFolding` folded it, returning whether it did: a
    /// folded view or an absorbed transpose emits no code, a product with folded operands
    /// or result is `lowerFoldedMatmul`.
    mutating func lowerFolded(_ inst: Instruction, _ dtype: DType, _ shape: [Int], at index: Int) throws -> Bool {
        guard let r = inst.results.first else { return false }
        if let view = folding.views[r] {
            // Only products and other folded views read it; the pointer is the base's, for
            // the statistics' sake (they count by shape).
            guard case .buffer(let p, _, _)? = values[view.base] else { throw CodegenError.internalError("folded view of an unlowered value") }
            values[r] = .buffer(p, dtype, shape)
            return true
        }
        if let d = folding.absorbed[r] {
            // The products before it wrote it; readers of the (unlowered) value are absorbed
            // too, so the pointer only serves the statistics.
            if values[r] == nil, case .buffer(let p, _, _)? = values[d] { values[r] = .buffer(p, dtype, shape) }
            return true
        }
        guard case .matmul(let ta, let tb) = inst.op,
              folding.results[r] != nil || inst.operands.contains(where: { if case .value(let v) = $0 { folding.views[v] != nil } else { false } })
        else { return false }
        try lowerFoldedMatmul(inst, ta, tb, dtype, shape)
        releaseDying(inst, at: index)
        return true
    }
}
