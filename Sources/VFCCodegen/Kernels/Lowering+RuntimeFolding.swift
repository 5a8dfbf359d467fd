import CLLVM
import VFCIR

/// The run-time form of `lowerFolded` (`ViewFolding.runtime`): a folded view, or a
/// transpose, pad or sum its products already wrote, emits no code, and a product reading a
/// folded view or writing into such a buffer runs as `stridedBatchedGemm`'s loop of
/// vfc_sgemm calls, its item count read from the dim block.
extension FunctionLowering {
    /// Switches the lowering to the run-time dims `names`, with their view folding and the
    /// memory plan that shares each folded view's buffer with its base.
    mutating func useRuntimeDims(_ names: [String]) {
        runtime = RuntimeDims(names: names)
        folding = ViewFolding.runtime(function, module: module, bindings: bindings, dims: names)
        plan = MemoryPlan(function, sharing: folding.views.mapValues(\.base))
    }

    /// Lowers instruction `index` when it is a folded view or a product reading one with a
    /// run-time extent, and returns true; false (nothing emitted) otherwise.
    mutating func lowerRuntimeFolded(_ inst: Instruction, _ block: LLVMValueRef, at index: Int) throws -> Bool {
        guard inst.results.count == 1, let r = inst.results.first, let t = function.values[r.index].type else { return false }
        let outShape = dims(t)
        if let view = folding.views[r] {
            guard case .buffer(let p, _, _)? = values[view.base] else { throw CodegenError.internalError("folded view of an unlowered value") }
            values[r] = .buffer(p, t.dtype, isRuntime(outShape) ? [] : try shape(t))
            if isRuntime(outShape) { runtime?.shapes[r] = outShape }
            return true
        }
        if let d = folding.absorbed[r] {
            // The products before it wrote it; only absorbed values read it.
            if values[r] == nil, case .buffer(let p, _, _)? = values[d] {
                values[r] = .buffer(p, t.dtype, isRuntime(outShape) ? [] : try shape(t))
                if isRuntime(outShape) { runtime?.shapes[r] = outShape }
            }
            return true
        }
        guard isRuntime(outShape), let p = folding.products[r], let first = outShape.first,
              outShape.dropFirst().allSatisfy({ $0.symbols.isEmpty }) else { return false }
        guard let f = p.blasForm else { throw CodegenError.internalError("run-time strided product without a BLAS form: \(p)") }
        var bases: [LLVMValueRef] = []
        for o in inst.operands.prefix(2) {
            guard case .value(let v) = o, case .buffer(let ptr, _, _)? = values[folding.views[v]?.base ?? v] else {
                throw CodegenError.internalError("folded matmul of a literal")
            }
            bases.append(ptr)
        }
        let d = t.dtype
        let out: LLVMValueRef
        if let into = folding.results[r] {
            // The first product writing into the buffer allocates it (the parts of a
            // pad-sum share it).
            if case .buffer(let q, _, _)? = values[into.value] {
                out = q
            } else {
                guard let it = function[into.value].type else { throw CodegenError.internalError("untyped folded result") }
                out = runtimeResultBuffer(for: into.value, d, dims(it), block)
                values[into.value] = .buffer(out, d, [])
            }
            runtime?.shapes[r] = outShape
        } else {
            out = runtimeResultBuffer(for: r, d, outShape, block)
        }
        values[r] = .buffer(out, d, [])
        plan.handoff = []
        let perItem = p.batchShape.dropFirst().reduce(1, *)
        let signature = "\(d) \(p) first \(first)"
        try outlined(key: "strided-matmul runtime " + signature, pointers: [out] + bases + [block],
                     site: (.kernel, "matmul", signature)) { me, inner in
            let batches = me.e.mul(me.extent(first, inner(block)), me.e.i64(perItem))
            try me.runtimeParallelLoop(batches, workPerIteration: Swift.max(p.m * p.n * p.k, 1),
                                       buffers: [inner(bases[0]), inner(bases[1]), inner(out)]) { me, item, ptrs in
                let aPtr = me.e.gep(ptrs[0], d, me.batchOffset(item, p.batchShape, p.a))
                let bPtr = me.e.gep(ptrs[1], d, me.batchOffset(item, p.batchShape, p.b))
                let cPtr = me.e.gep(ptrs[2], d, me.batchOffset(item, p.batchShape, p.c))
                // vfc_sgemm per item, as `runtimeMatmul` calls it for the copies.
                let e = me.e
                func i(_ v: Int) -> LLVMValueRef { e.i64(v) }
                me.runtimeGemm(d, f.ta, f.tb, i(p.m), i(p.n), i(p.k), aPtr, i(f.lda), bPtr, i(f.ldb), cPtr, i(f.ldc))
            }
        }
        releaseDying(inst, at: index)
        return true
    }
}
