import CLLVM
import VFCIR

extension FunctionLowering {
    /// Emits one op's loops into a function of its own and calls it (see `outlined`). The
    /// code depends only on the op with its attributes, the operands' dtypes, shapes and
    /// literal values, the result's type, which operands share a buffer, and (for the ops
    /// that report bad indices) the source location; that is the key under which identical
    /// kernels are emitted once.
    mutating func kernel(
        _ inst: Instruction, _ ops: [Lowered], _ out: LLVMValueRef, op: String,
        _ body: (inout FunctionLowering, [Lowered], LLVMValueRef) throws -> Void
    ) throws {
        let signature = "\(ops.map(describe)) -> \(inst.results.map { function.values[$0.index].type.map(String.init(describing:)) ?? "?" })"
        var key = "\(inst.op) " + signature
        if inst.op.has(.checksIndices) { key += " at \(inst.loc)" }
        var pointers = [out]
        for case .buffer(let p, _, _) in ops { pointers.append(p) }
        try outlined(key: key, pointers: pointers, site: (.kernel, op, signature.replacingOccurrences(of: "\"", with: ""))) { lowering, inner in
            let mapped = ops.map { o -> Lowered in
                guard case .buffer(let p, let d, let s) = o else { return o }
                return .buffer(inner(p), d, s)
            }
            try body(&lowering, mapped, inner(out))
        }
    }

    /// Emits `body` into an internal `noinline` function `void F.k.N(ptr...)` taking each
    /// distinct buffer of `pointers` once, and calls it; `body` reaches the buffers through
    /// the translation it is given (values of the entry are out of the kernel's reach).
    ///
    /// Why: a training step is thousands of loop nests. In a single LLVM function, O3's
    /// loop analyses (ScalarEvolution guards, dominator updates) grow superlinearly with the
    /// function, and compiling the micro step took minutes; one small function per kernel
    /// keeps optimisation linear in the number of ops, and the call costs nothing next to a
    /// loop over a tensor.
    ///
    /// Every parameter is `noalias`: distinct pointer values of the entry are disjoint
    /// buffers (entry arguments by the ABI, allocations by construction; a reshape shares
    /// its operand's pointer value, and a buffer used twice, as by an in-place update, is
    /// passed once). Scratch buffers the body allocates are allocated and freed in the
    /// kernel. A kernel with the same `key` and the same pattern of shared buffers is
    /// emitted once and called again.
    ///
    /// With profiling on, the call is bracketed by `vfc_prof_begin/end` of the kernel's
    /// site (`site`: kind, op name, detail; one site per kernel function).
    mutating func outlined(
        key: String, pointers: [LLVMValueRef], site: (ProfileSite.Kind, String, String),
        _ body: (inout FunctionLowering, (LLVMValueRef) -> LLVMValueRef) throws -> Void
    ) throws {
        var args: [LLVMValueRef] = []
        var pattern: [Int] = []
        for p in pointers {
            if let k = args.firstIndex(where: { $0 == p }) {
                pattern.append(k)
            } else {
                pattern.append(args.count)
                args.append(p)
            }
        }
        let fullKey = key + " \(pattern)"
        var callArgs: [LLVMValueRef?] = args
        if let (fn, type) = kernels[fullKey] {
            let id = kernelSites[LLVMSupport.valueName(fn)]
            if let id { profileBegin(id) }
            LLVMBuildCall2(e.builder, type, fn, &callArgs, UInt32(args.count), "")
            if let id { profileEnd(id) }
            return
        }
        let caller = e.function
        let callerBlock = LLVMGetInsertBlock(e.builder)
        var types: [LLVMTypeRef?] = Array(repeating: e.ptr, count: args.count)
        let type = LLVMFunctionType(e.void, &types, UInt32(args.count), 0)!
        let fnName = "\(function.name).k.\(kernelCount)"
        let fn = LLVMAddFunction(e.module, fnName, type)!
        kernelCount += 1
        if let profile { kernelSites[fnName] = profile.add(site.0, name: fnName, op: site.1, detail: site.2) }
        LLVMSetLinkage(fn, LLVMInternalLinkage)
        attributes?.apply(to: fn, context: e.context)
        let noinline = LLVMGetEnumAttributeKindForName("noinline", 8)
        LLVMAddAttributeAtIndex(fn, UInt32(bitPattern: Int32(LLVMAttributeFunctionIndex)), LLVMCreateEnumAttribute(e.context, noinline, 0))
        let noalias = LLVMGetEnumAttributeKindForName("noalias", 7)
        for k in args.indices { LLVMAddAttributeAtIndex(fn, UInt32(k + 1), LLVMCreateEnumAttribute(e.context, noalias, 0)) }
        e.function = fn
        LLVMPositionBuilderAtEnd(e.builder, e.block("entry"))
        var inner: [LLVMValueRef: LLVMValueRef] = [:]
        for (k, p) in args.enumerated() { inner[p] = LLVMGetParam(fn, UInt32(k))! }
        let outer = (allocations, plan.scratch, plan.liveBytes, plan.inArena)
        (allocations, plan.scratch, plan.inArena) = ([], [], false)
        try body(&self) { inner[$0] ?? $0 }
        // The kernel frees its own buffers before it returns.
        for a in allocations { _ = e.call("vfc_free", e.void, [e.ptr], [a]) }
        (allocations, plan.scratch, plan.liveBytes, plan.inArena) = outer
        LLVMBuildRetVoid(e.builder)
        e.function = caller
        LLVMPositionBuilderAtEnd(e.builder, callerBlock)
        kernels[fullKey] = (fn, type)
        let id = kernelSites[fnName]
        if let id { profileBegin(id) }
        LLVMBuildCall2(e.builder, type, fn, &callArgs, UInt32(args.count), "")
        if let id { profileEnd(id) }
    }

    /// `vfc_prof_begin(id)` at the builder's position.
    func profileBegin(_ id: Int) { _ = e.call("vfc_prof_begin", e.void, [e.i64], [e.i64(id)]) }

    /// `vfc_prof_end(id)` at the builder's position.
    func profileEnd(_ id: Int) { _ = e.call("vfc_prof_end", e.void, [e.i64], [e.i64(id)]) }

    private func describe(_ o: Lowered) -> String {
        switch o {
        case .buffer(_, let d, let s): return "\(d)\(s)"
        case .literal(let x): return "\(x.bitPattern)"
        }
    }
}
