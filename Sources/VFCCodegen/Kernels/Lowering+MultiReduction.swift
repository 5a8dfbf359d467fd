import CLLVM
import VFCIR

/// Lowering of multi-sum kernels (`MultiReductionKernel`, written by
/// `fuse-horizontal-reductions`: the global gradient norm).
///
/// One kernel function: the caller fills a table with each part's buffers; one parallel
/// loop runs over fixed chunks of the parts' concatenated elements (`multiTensorChunk`
/// each, split into segments (part, lo, hi) at tensor boundaries, all compile-time
/// constants: `Segments`, shared with multi-tensor kernels), and writes the sum of each segment,
/// accumulated in the single reduction's type (`reduceAccumulatorType`: double for f32),
/// into its own slot of a stack array. Then, serially, each part's segment sums are added
/// in segment order and narrowed to the result type, and the scalar tail runs on them.
///
/// Why deterministic: which segments exist and which elements each sums depend only on
/// the tensor sizes, never on the thread count or on which thread ran a segment, and the
/// segment sums are combined in one fixed order; so `VFC_THREADS=1` and `=2` give the same
/// bits. Against the per-tensor kernels (one double accumulator per tensor), only the
/// grouping of the double additions differs: the results agree to well within f32 rounding.
extension FunctionLowering {
    /// Lowers `inst`, a call of multi-sum kernel `mr`, with lowered operands `ops`.
    mutating func lowerMultiReductionCall(_ inst: Instruction, _ mr: MultiReductionKernel, _ ops: [Lowered]) throws {
        let f = mr.function
        var argument: [ValueID: Lowered] = [:]
        for (a, o) in zip(f.arguments, ops) { argument[a] = o }
        func buffer(_ o: Operand) throws -> (LLVMValueRef, DType, [Int]) {
            let lowered: Lowered?
            switch o {
            case .value(let a): lowered = argument[a]
            case .param(let p): lowered = params[p]
            case .literal: lowered = nil
            }
            guard case .buffer(let p, let d, let s)? = lowered else { throw CodegenError.internalError("multi-sum kernel @\(f.name) operand is not a buffer") }
            return (p, d, s)
        }
        // Each part's buffers (its slots) and element count.
        let template = mr.parts[0]
        var rows: [[LLVMValueRef]] = []
        var counts: [Int] = []
        var read = 0
        for part in mr.parts {
            guard case .value(let x)? = part.anchor.operands.first else { throw CodegenError.internalError("multi-sum of a literal in @\(f.name)") }
            let n = try shape(f[x].type).reduce(1, *)
            var row: [LLVMValueRef] = []
            for (s, o) in part.slots.enumerated() {
                let (p, d, shape) = try buffer(o)
                let c = shape.reduce(1, *)
                guard part.scalar[s] ? c == 1 : c == n else {
                    throw CodegenError.internalError("multi-sum kernel @\(f.name) slot \(s) has \(c) elements, part has \(n)")
                }
                row.append(p)
                read += c * d.byteSize
            }
            rows.append(row)
            counts.append(n)
        }
        // The tail's scalar inputs, then the results (the caller's output slots, else
        // planned buffers), as the kernel's buffers.
        var tb = KernelBuffers()
        for inst in mr.tail {
            for o in inst.operands {
                switch o {
                case .value(let a) where f.arguments.contains(a) && tb.slot[a] == nil:
                    let (p, d, _) = try buffer(o)
                    tb.slot[a] = tb.add(p, 1)
                    tb.dtype[a] = d
                    read += d.byteSize
                case .param(let name) where tb.paramSlot[name] == nil:
                    let (p, d, _) = try buffer(o)
                    tb.paramSlot[name] = tb.add(p, 1)
                    tb.paramType[name] = d
                    read += d.byteSize
                default:
                    break
                }
            }
        }
        for v in mr.tail.flatMap(\.results) + mr.parts.map({ $0.anchor.results[0] }) { tb.dtype[v] = f[v].type?.dtype }
        var stored: [ValueID: Int] = [:]
        var written = 0
        for (r, ret) in zip(inst.results, f.returns) {
            guard case .value(let v) = ret, let t = function[r].type else { continue }
            if let s = stored[v] {
                values[r] = .buffer(tb.pointers[s], t.dtype, [])
                continue
            }
            let out = resultBuffer(for: r, t.dtype, [])
            values[r] = .buffer(out, t.dtype, [])
            stored[v] = tb.add(out, 1)
            written += t.dtype.byteSize
        }
        let total = counts.reduce(0, +)
        kernel(read: read, written: written, flops: template.insts.count * total + mr.tail.count)
        // The table, in the caller: row k holds part k's slot buffers.
        let table = pointerTable(rows, width: template.slots.count, name: "multi_sum")
        let detail = "\(mr.parts.count) sums of \(template.insts.count) ops over \(total), then \(mr.tail.count) scalar ops: "
            + template.insts.map(\.op.name).joined(separator: ",")
        let key = "multi_sum " + Printer.print(f) + " \(counts)"
        try outlined(key: key, pointers: [table] + tb.pointers, site: (.fused, "multi_sum", detail)) { me, inner in
            var b = tb
            b.pointers = tb.pointers.map(inner)
            try me.multiSumBody(mr, counts: counts, table: inner(table), b, stored)
        }
    }

    /// The kernel function's code: segment sums in parallel, part sums and tail serially.
    private mutating func multiSumBody(_ mr: MultiReductionKernel, counts: [Int], table: LLVMValueRef,
                                       _ tb: KernelBuffers, _ stored: [ValueID: Int]) throws {
        let f = mr.function
        let template = mr.parts[0]
        guard case .value(let x)? = template.anchor.operands.first, let inDtype = f[x].type?.dtype,
              let dtype = f[template.anchor.results[0]].type?.dtype else { throw CodegenError.internalError("untyped multi-sum in @\(f.name)") }
        let acc = reduceAccumulatorType(.sum, inDtype)
        // Segments: fixed chunks of the concatenated elements, cut at tensor boundaries.
        let segments = Segments(counts: counts, chunk: Self.multiTensorChunk)
        let partials = LLVMBuildArrayAlloca(e.builder, e.storage(acc), e.i64(Swift.max(segments.part.count, 1)), "partials")!
        if segments.items > 0 {
            let body = try multiSumSegmentBody(f, template, width: template.slots.count, inDtype: inDtype, acc: acc)
            try segmentLoop(segments, table: table, width: template.slots.count, extra: [partials], body: body) { em, s, sum, ptrs in
                em.store(sum, ptrs[1], acc, s)
            }
        }
        // Each part's segment sums in segment order, strictly (no reassociation), then
        // narrowed as the single reduction narrows its accumulator.
        var env: [ValueID: LLVMValueRef] = [:]
        for (k, part) in mr.parts.enumerated() {
            var total = e.constant(0, acc)
            for s in segments.partFirst[k]..<segments.partFirst[k + 1] {
                total = LLVMBuildFAdd(e.builder, total, e.load(partials, acc, e.i64(s)), "")
            }
            env[part.anchor.results[0]] = reduceFinish(.sum, total, acc, dtype, counts[k])
        }
        try kernelCompute(mr.tail, tb, tb.pointers, &env, e.i64(0))
        kernelStore(tb, stored, tb.pointers, env, e.i64(0))
    }

    /// `acc body(ptr noalias..., i64 lo, i64 hi)`: the sum of the template's prologue at
    /// elements lo..<hi of one part, accumulated as the single reduction accumulates (so
    /// the loop vectorises the same way); always inlined into the segment loop.
    private mutating func multiSumSegmentBody(_ f: Function, _ template: MultiReductionKernel.Part, width: Int, inDtype: DType,
                                              acc: DType) throws -> (fn: LLVMValueRef, type: LLVMTypeRef) {
        // The template's buffers: slot k is parameter k.
        let bufs = templateBuffers(f, slots: template.slots, scalar: template.scalar, insts: template.insts)
        let x = template.anchor.operands[0]
        let prologue = Array(template.insts.dropLast())
        return try segmentFunction(width: width, returns: e.storage(acc)) { me, ptrs, lo, hi in
            let total = try me.carriedLoop(LLVMBuildSub(me.e.builder, hi, lo, ""), me.reduceIdentity(.sum, acc), "sum") { j, a in
                let i = me.e.add(lo, j)
                var env: [ValueID: LLVMValueRef] = [:]
                try me.kernelCompute(prologue, bufs, ptrs, &env, i)
                let v = try me.kernelOperand(x, bufs, ptrs, env, i, as: inDtype)
                return me.reduceCombine(.sum, acc, a, me.reduceWiden(v, inDtype, to: acc))
            }
            LLVMBuildRet(me.e.builder, total)
        }
    }
}
