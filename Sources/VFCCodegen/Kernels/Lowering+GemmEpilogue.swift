import CLLVM
import VFCIR

/// The elementwise code of a fused kernel around a product (linear's bias, then the
/// kernel's epilogue ops: GELU, a residual add, a scale...), applied inside the product
/// instead of in a pass of its own over its result: `vfc_sgemm_fused` calls it on each
/// part of C as soon as that part is final (after each OpenBLAS part, after the last K
/// block of each row panel of vfc's kernel, after each item of a batch of small products), while
/// the part is still in cache. The pass after the product read the whole of C back from
/// memory (L3 or DRAM at the step's sizes) and woke the pool once more.
///
/// The code per element is the one the pass ran (`kernelCompute` at the element's index),
/// and it is elementwise, so where and on which thread it runs changes no result: the
/// outputs are bit-identical to the product followed by the pass.
struct GemmEpilogue {
    /// `void F.epi.K(ptr context, i64 i0, i64 i1, i64 j0, i64 j1)` (`vfc_gemm_epilogue`):
    /// rows [i0, i1) and columns [j0, j1) of the kernel's output.
    var function: LLVMValueRef
    /// The array of the buffers the function reads and writes (a stack slot in the entry
    /// block of the function that runs the product).
    var context: LLVMValueRef
}

extension FunctionLowering {
    /// The epilogue of fused kernel `k` around a product whose result has `cols` columns
    /// (`bias`: linear's bias slot in `bufs`, added first), or nil where the pass after the
    /// product stays: f64 products (vfc_dgemm has no fused form).
    mutating func fusedGemmEpilogue(_ k: FusedKernel, _ bufs: KernelBuffers, _ stored: [ValueID: Int], anchor av: ValueID,
                                    anchorSlot: Int, bias: Int?, cols: Int) throws -> GemmEpilogue? {
        guard let d = bufs.dtype[av], d == .f32, cols > 0 else { return nil }
        return try gemmEpilogue(cols: cols, usesColumn: bias != nil, buffers: bufs.pointers) { me, i, j, ptrs in
            try me.gemmEpilogueElement(k, bufs, stored, anchor: av, anchorSlot: anchorSlot, bias: bias, dtype: d, i, j, ptrs)
        }
    }

    /// A product's epilogue at element `i` (column `j`): the product from its buffer, plus
    /// the bias (stored back when the kernel returns the anchor), the kernel's epilogue ops,
    /// the stores of its results.
    func gemmEpilogueElement(_ k: FusedKernel, _ bufs: KernelBuffers, _ stored: [ValueID: Int], anchor av: ValueID, anchorSlot: Int,
                             bias: Int?, dtype d: DType, _ i: LLVMValueRef, _ j: LLVMValueRef, _ ptrs: [LLVMValueRef]) throws {
        var a = e.load(ptrs[anchorSlot], d, i)
        if let b = bias {
            a = e.fastMath(LLVMBuildFAdd(e.builder, a, e.load(ptrs[b], d, j), ""))
            if stored[av] != nil { e.store(a, ptrs[anchorSlot], d, i) }
        }
        var env: [ValueID: LLVMValueRef] = [av: a]
        try kernelCompute(k.epilogue, bufs, ptrs, &env, i)
        kernelStore(bufs, stored, ptrs, env, i, skip: av)
    }

    /// Emits an epilogue function over an output of `cols` columns: `body(i, j, buffers)`
    /// at element i = row * cols + j, the `buffers` it captures reached through the
    /// context (as in `parallelLoop`: distinct buffers become `noalias` parameters of an
    /// always-inlined body, so the column loop vectorises without overlap checks). Without
    /// `usesColumn` (no bias: `j` is not read), a rectangle of whole rows is one flat loop:
    /// the rows of a batch item or an OpenBLAS part can be too short for the vector loop.
    mutating func gemmEpilogue(
        cols: Int, usesColumn: Bool, buffers: [LLVMValueRef],
        _ body: (inout FunctionLowering, LLVMValueRef, LLVMValueRef, [LLVMValueRef]) throws -> Void
    ) throws -> GemmEpilogue {
        let name = "\(LLVMSupport.valueName(e.function)).epi.\(parallelCount)"
        parallelCount += 1
        let inner = try noaliasBody(name + ".body", buffers: buffers, indices: 4) { me, captured, bound in
            func rows(_ me: inout FunctionLowering) throws {
                try me.e.loop(from: bound[0], to: bound[1], "epi.row") { r in
                    let base = me.e.mul(r, cols)
                    try me.e.loop(from: bound[2], to: bound[3], "epi.col") { j in
                        try body(&me, me.e.add(base, j), j, captured)
                    }
                }
            }
            guard !usesColumn else { return try rows(&me) }
            let b = me.e.builder
            let whole = LLVMBuildAnd(b, LLVMBuildICmp(b, LLVMIntEQ, bound[2], me.e.i64(0), ""),
                                     LLVMBuildICmp(b, LLVMIntEQ, bound[3], me.e.i64(cols), ""), "")
            let flat = me.e.block("epi.flat"), strided = me.e.block("epi.rows"), done = me.e.block("epi.done")
            LLVMBuildCondBr(b, whole, flat, strided)
            LLVMPositionBuilderAtEnd(b, flat)
            try me.e.loop(from: me.e.mul(bound[0], cols), to: me.e.mul(bound[1], cols), "epi.i") { i in
                try body(&me, i, i, captured)
            }
            LLVMBuildBr(b, done)
            LLVMPositionBuilderAtEnd(b, strided)
            try rows(&me)
            LLVMBuildBr(b, done)
            LLVMPositionBuilderAtEnd(b, done)
        }
        let function = contextEntry(name, calling: inner, indices: 4)
        let distinct = inner.distinct
        let caller = e.function!
        let callerBlock = LLVMGetInsertBlock(e.builder)

        // The context: a stack slot of the caller's entry block (the product may run
        // inside a loop; an alloca there would grow the stack per iteration).
        let entry = LLVMGetEntryBasicBlock(caller)
        if let first = LLVMGetFirstInstruction(entry) {
            LLVMPositionBuilderBefore(e.builder, first)
        } else {
            LLVMPositionBuilderAtEnd(e.builder, entry)
        }
        let array = LLVMBuildAlloca(e.builder, LLVMArrayType2(e.ptr, UInt64(Swift.max(distinct.count, 1))), "epi.ctx")!
        LLVMPositionBuilderAtEnd(e.builder, callerBlock)
        for (k, b) in distinct.enumerated() {
            var idx: [LLVMValueRef?] = [e.i64(k)]
            LLVMBuildStore(e.builder, b, LLVMBuildInBoundsGEP2(e.builder, e.ptr, array, &idx, 1, ""))
        }
        return GemmEpilogue(function: function, context: array)
    }

    /// Calls `epilogue` (with the context `context`, the epilogue's own or the pointer a
    /// parallel loop captured for it) on rows [i0, i1), columns [0, cols).
    func callEpilogue(_ epilogue: GemmEpilogue, context: LLVMValueRef, rows i0: LLVMValueRef, _ i1: LLVMValueRef, cols: Int) {
        var params: [LLVMTypeRef?] = [e.ptr, e.i64, e.i64, e.i64, e.i64]
        let type = LLVMFunctionType(e.void, &params, 5, 0)
        var args: [LLVMValueRef?] = [context, i0, i1, e.i64(0), e.i64(cols)]
        LLVMBuildCall2(e.builder, type, epilogue.function, &args, 5, "")
    }
}
