import CLLVM
import VFCIR

extension FunctionLowering {
    /// Emits one op's loops into a function of its own, `void F.k.N(ptr...)` (internal,
    /// `noinline`), and calls it.
    ///
    /// Why: a training step is thousands of loop nests. In a single LLVM function, O3's
    /// loop analyses (ScalarEvolution guards, dominator updates) grow superlinearly with the
    /// function, and compiling the micro step took minutes; one small function per kernel
    /// keeps optimisation linear in the number of ops. The call costs nothing next to a
    /// loop over a tensor.
    ///
    /// The kernel receives each distinct buffer once (a buffer used twice stays one pointer,
    /// so aliasing is visible to LLVM). The result buffer is `noalias` unless an operand is
    /// that same buffer (an in-place update of a donated input), since only it is written.
    /// Scratch buffers the body allocates are allocated and freed in the kernel.
    ///
    /// Identical kernels are emitted once: the twelve blocks of an encoder, or the student
    /// and the teacher, run the same loops on different buffers. The code depends only on
    /// the op with its attributes, the operands' dtypes, shapes and literal values, the
    /// result's type, which operands share a buffer, and (for the ops that report bad
    /// indices) the source location; that is the key.
    mutating func kernel(
        _ inst: Instruction, _ ops: [Lowered], _ out: LLVMValueRef,
        _ body: (inout FunctionLowering, [Lowered], LLVMValueRef) throws -> Void
    ) throws {
        var args: [LLVMValueRef] = []
        func slot(_ p: LLVMValueRef) -> Int {
            if let k = args.firstIndex(where: { $0 == p }) { return k }
            args.append(p)
            return args.count - 1
        }
        let outSlot = slot(out)
        let opSlots = ops.map { o -> Int? in
            if case .buffer(let p, _, _) = o { return slot(p) }
            return nil
        }
        var key = "\(inst.op) \(outSlot) \(opSlots) \(ops.map(describe)) -> \(inst.results.map { function.values[$0.index].type.map(String.init(describing:)) ?? "?" })"
        switch inst.op {
        case .take, .scatterAdd: key += " at \(inst.loc)"
        default: break
        }
        if let (fn, type) = kernels[key] {
            var callArgs: [LLVMValueRef?] = args
            LLVMBuildCall2(e.builder, type, fn, &callArgs, UInt32(args.count), "")
            return
        }
        let caller = e.function
        let callerBlock = LLVMGetInsertBlock(e.builder)
        var types: [LLVMTypeRef?] = Array(repeating: e.ptr, count: args.count)
        let type = LLVMFunctionType(e.void, &types, UInt32(args.count), 0)
        let fn = LLVMAddFunction(e.module, "\(function.name).k.\(kernelCount)", type)!
        kernelCount += 1
        LLVMSetLinkage(fn, LLVMInternalLinkage)
        attributes?.apply(to: fn, context: e.context)
        let noinline = LLVMGetEnumAttributeKindForName("noinline", 8)
        LLVMAddAttributeAtIndex(fn, UInt32(bitPattern: Int32(LLVMAttributeFunctionIndex)), LLVMCreateEnumAttribute(e.context, noinline, 0))
        if !opSlots.contains(outSlot) {
            let noalias = LLVMGetEnumAttributeKindForName("noalias", 7)
            LLVMAddAttributeAtIndex(fn, UInt32(outSlot + 1), LLVMCreateEnumAttribute(e.context, noalias, 0))
        }
        e.function = fn
        LLVMPositionBuilderAtEnd(e.builder, e.block("entry"))
        let inner = zip(ops, opSlots).map { o, k -> Lowered in
            guard let k, case .buffer(_, let d, let s) = o else { return o }
            return .buffer(LLVMGetParam(fn, UInt32(k))!, d, s)
        }
        // The memory plan's buffers are values of the entry, out of the kernel's reach:
        // scratch space is allocated and freed inside the kernel instead.
        let outer = (allocations, plan.free, plan.scratch)
        (allocations, plan.free, plan.scratch) = ([], [], [])
        try body(&self, inner, LLVMGetParam(fn, UInt32(outSlot))!)
        for a in allocations { _ = e.call("vfc_free", e.void, [e.ptr], [a]) }
        (allocations, plan.free, plan.scratch) = outer
        LLVMBuildRetVoid(e.builder)
        e.function = caller
        LLVMPositionBuilderAtEnd(e.builder, callerBlock)
        kernels[key] = (fn, type!)
        var callArgs: [LLVMValueRef?] = args
        LLVMBuildCall2(e.builder, type, fn, &callArgs, UInt32(args.count), "")
    }

    private func describe(_ o: Lowered) -> String {
        switch o {
        case .buffer(_, let d, let s): return "\(d)\(s)"
        case .literal(let x): return "\(x.bitPattern)"
        }
    }
}
