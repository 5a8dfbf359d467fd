import CLLVM
import VFCIR

/// What multi-tensor kernels (`Lowering+MultiTensor.swift`) and multi-sum kernels
/// (`Lowering+MultiReduction.swift`) share: the cut of their parts' concatenated elements
/// into fixed chunks of segments, the table of each part's buffers, the template's
/// buffers, the always-inlined segment function and the parallel loop over chunks.
extension FunctionLowering {
    /// Fixed chunks of `chunk` elements over parts of `counts` elements, concatenated, cut
    /// into segments (part, lo, hi) at part boundaries; chunk w holds segments
    /// `itemFirst[w]..<itemFirst[w + 1]`, part k segments `partFirst[k]..<partFirst[k + 1]`.
    /// Depends only on the counts, never on the thread count.
    struct Segments {
        var part: [Int] = [], lo: [Int] = [], hi: [Int] = [], itemFirst: [Int] = [0], partFirst: [Int] = []
        var items: Int { itemFirst.count - 1 }

        init(counts: [Int], chunk: Int) {
            var filled = 0
            for (k, n) in counts.enumerated() {
                partFirst.append(part.count)
                var from = 0
                while from < n {
                    let to = Swift.min(n, from + (chunk - filled))
                    part.append(k)
                    lo.append(from)
                    hi.append(to)
                    filled += to - from
                    from = to
                    if filled == chunk {
                        itemFirst.append(part.count)
                        filled = 0
                    }
                }
            }
            partFirst.append(part.count)
            if filled > 0 { itemFirst.append(part.count) }
        }
    }

    /// A stack array in the caller of `rows.count * width` pointers (at least one), row k
    /// holding `rows[k]`.
    func pointerTable(_ rows: [[LLVMValueRef]], width: Int, name: String) -> LLVMValueRef {
        let table = LLVMBuildArrayAlloca(e.builder, e.ptr, e.i64(Swift.max(rows.count * width, 1)), name)!
        for (k, row) in rows.enumerated() {
            for (j, p) in row.enumerated() {
                var idx: [LLVMValueRef?] = [e.i64(k * width + j)]
                LLVMBuildStore(e.builder, p, LLVMBuildInBoundsGEP2(e.builder, e.ptr, table, &idx, 1, ""))
            }
        }
        return table
    }

    /// The buffers of a part used as the template of its class: slot k (argument or param
    /// `slots[k]`) is pointer k, a placeholder until the segment function binds it; the
    /// dtypes of `insts`' results.
    func templateBuffers(_ f: Function, slots: [Operand], scalar: [Bool], insts: [Instruction]) -> KernelBuffers {
        var bufs = KernelBuffers()
        let dummy = LLVMConstNull(e.ptr)!
        for (s, o) in slots.enumerated() {
            let slot = bufs.add(dummy, scalar[s] ? 1 : 2)
            switch o {
            case .value(let a):
                bufs.slot[a] = slot
                bufs.dtype[a] = f[a].type?.dtype
            case .param(let p):
                bufs.paramSlot[p] = slot
                bufs.paramType[p] = module.param(named: p)?.type.dtype
            case .literal:
                break
            }
        }
        for inst in insts { bufs.dtype[inst.results[0]] = f[inst.results[0]].type?.dtype }
        return bufs
    }

    /// `ret F.segment(ptr noalias x width, i64 lo, i64 hi)`, always inlined (its buffers
    /// become alias scopes, so the loop vectorises without overlap checks); `build` writes
    /// its body from the buffer parameters, lo and hi, and must end it with a return.
    mutating func segmentFunction(width: Int, returns: LLVMTypeRef,
                                  _ build: (inout FunctionLowering, [LLVMValueRef], LLVMValueRef, LLVMValueRef) throws -> Void)
        throws -> (fn: LLVMValueRef, type: LLVMTypeRef) {
        let caller = e.function
        let callerBlock = LLVMGetInsertBlock(e.builder)
        var types: [LLVMTypeRef?] = Array(repeating: e.ptr, count: width) + [e.i64, e.i64]
        let type = LLVMFunctionType(returns, &types, UInt32(types.count), 0)!
        let fn = LLVMAddFunction(e.module, "\(LLVMSupport.valueName(caller!)).segment", type)!
        LLVMSetLinkage(fn, LLVMInternalLinkage)
        attributes?.apply(to: fn, context: e.context)
        let noalias = LLVMGetEnumAttributeKindForName("noalias", 7)
        let alwaysInline = LLVMGetEnumAttributeKindForName("alwaysinline", 12)
        for k in 0..<width { LLVMAddAttributeAtIndex(fn, UInt32(k + 1), LLVMCreateEnumAttribute(e.context, noalias, 0)) }
        LLVMAddAttributeAtIndex(fn, UInt32(bitPattern: Int32(LLVMAttributeFunctionIndex)), LLVMCreateEnumAttribute(e.context, alwaysInline, 0))
        e.function = fn
        LLVMPositionBuilderAtEnd(e.builder, e.block("entry"))
        try build(&self, (0..<width).map { LLVMGetParam(fn, UInt32($0))! }, LLVMGetParam(fn, UInt32(width))!, LLVMGetParam(fn, UInt32(width + 1))!)
        e.function = caller
        LLVMPositionBuilderAtEnd(e.builder, callerBlock)
        return (fn, type)
    }

    /// The parallel loop over the chunks of `segments`: each segment calls `body` with its
    /// part's row of `table` (`width` pointers) and its lo, hi; `each(e, s, result, ptrs)`
    /// then handles the call's result for segment s (`ptrs`: the table, then `extra`).
    mutating func segmentLoop(_ segments: Segments, table: LLVMValueRef, width: Int, extra: [LLVMValueRef] = [],
                              body: (fn: LLVMValueRef, type: LLVMTypeRef),
                              each: @escaping (Emitter, LLVMValueRef, LLVMValueRef, [LLVMValueRef]) -> Void = { _, _, _, _ in }) throws {
        let name = LLVMSupport.valueName(e.function!)
        let parts = constantTable(name + ".seg.part", segments.part), los = constantTable(name + ".seg.lo", segments.lo)
        let his = constantTable(name + ".seg.hi", segments.hi), firsts = constantTable(name + ".item", segments.itemFirst)
        try parallelLoop(segments.items, workPerIteration: Self.multiTensorChunk, buffers: [table] + extra) { me, w, ptrs in
            let em = me.e
            let first = em.load(firsts, .i64, w), end = em.load(firsts, .i64, em.add(w, 1))
            em.loop(from: first, to: end, "seg") { s in
                let k = em.load(parts, .i64, s)
                var args: [LLVMValueRef?] = (0..<width).map { j in
                    var idx: [LLVMValueRef?] = [em.add(em.mul(k, width), j)]
                    return LLVMBuildLoad2(em.builder, em.ptr, LLVMBuildInBoundsGEP2(em.builder, em.ptr, ptrs[0], &idx, 1, ""), "")
                }
                args += [em.load(los, .i64, s), em.load(his, .i64, s)]
                let result = LLVMBuildCall2(em.builder, body.type, body.fn, &args, UInt32(args.count), "")!
                each(em, s, result, ptrs)
            }
        }
    }

    /// A private constant global array of i64 (a segment loop's tables).
    func constantTable(_ name: String, _ values: [Int]) -> LLVMValueRef {
        var elements: [LLVMValueRef?] = values.map { e.i64($0) }
        let array = LLVMConstArray2(e.i64, &elements, UInt64(values.count))
        let global = LLVMAddGlobal(e.module, LLVMArrayType2(e.i64, UInt64(values.count)), name)!
        LLVMSetInitializer(global, array)
        LLVMSetGlobalConstant(global, 1)
        LLVMSetLinkage(global, LLVMPrivateLinkage)
        return global
    }
}
