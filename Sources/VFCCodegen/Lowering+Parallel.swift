import CLLVM
import VFCIR

extension FunctionLowering {
    /// Loops with fewer iterations times elements per iteration than this run serially:
    /// below it, waking the thread pool costs more than it saves.
    static let parallelThreshold = 1 << 15

    /// for i in 0..<count: body, split across the runtime's threads by `vfc_parallel_for`
    /// when the work (count * workPerIteration) is large enough, else inline.
    ///
    /// The body is outlined into `void F.par.K(void *ctx, i64 lo, i64 hi)`: it sees the
    /// `buffers` it captures through `ctx` (a stack array of pointers) as its third argument
    /// and must not use any other value of the enclosing function. Chunks are contiguous
    /// and fixed by the range and thread count, so results do not vary from run to run.
    mutating func parallelLoop(
        _ count: Int, workPerIteration: Int = 1, buffers: [LLVMValueRef],
        _ body: (inout FunctionLowering, LLVMValueRef, [LLVMValueRef]) throws -> Void
    ) throws {
        guard count > 1, count * workPerIteration >= Self.parallelThreshold else {
            try e.loop(count) { i in try body(&self, i, buffers) }
            return
        }
        let caller = e.function
        let callerBlock = LLVMGetInsertBlock(e.builder)
        // The distinct buffers (an in-place op captures one buffer twice) become `noalias`
        // parameters of an always-inlined body function: inlining turns them into scoped
        // alias metadata, so a fused loop over many buffers still vectorises without
        // runtime overlap checks (pointers loaded from `ctx` would carry no such facts).
        var distinct: [LLVMValueRef] = []
        let position = buffers.map { b -> Int in
            if let k = distinct.firstIndex(of: b) { return k }
            distinct.append(b)
            return distinct.count - 1
        }
        var params: [LLVMTypeRef?] = [e.ptr, e.i64, e.i64]
        let bodyType = LLVMFunctionType(e.void, &params, 3, 0)
        let name = "\(LLVMSupport.valueName(caller)).par.\(parallelCount)"
        parallelCount += 1
        var innerParams: [LLVMTypeRef?] = Array(repeating: e.ptr, count: distinct.count) + [e.i64, e.i64]
        let innerType = LLVMFunctionType(e.void, &innerParams, UInt32(innerParams.count), 0)!
        let inner = LLVMAddFunction(e.module, name + ".body", innerType)!
        LLVMSetLinkage(inner, LLVMInternalLinkage)
        attributes?.apply(to: inner, context: e.context)
        let noalias = LLVMGetEnumAttributeKindForName("noalias", 7)
        let alwaysInline = LLVMGetEnumAttributeKindForName("alwaysinline", 12)
        for k in distinct.indices { LLVMAddAttributeAtIndex(inner, UInt32(k + 1), LLVMCreateEnumAttribute(e.context, noalias, 0)) }
        LLVMAddAttributeAtIndex(inner, UInt32(bitPattern: Int32(LLVMAttributeFunctionIndex)), LLVMCreateEnumAttribute(e.context, alwaysInline, 0))
        e.function = inner
        LLVMPositionBuilderAtEnd(e.builder, e.block("entry"))
        let innerPointers = distinct.indices.map { LLVMGetParam(inner, UInt32($0))! }
        let captured = position.map { innerPointers[$0] }
        try e.loop(from: LLVMGetParam(inner, UInt32(distinct.count))!, to: LLVMGetParam(inner, UInt32(distinct.count + 1))!) { i in
            try body(&self, i, captured)
        }
        LLVMBuildRetVoid(e.builder)
        let outlined = LLVMAddFunction(e.module, name, bodyType)!
        LLVMSetLinkage(outlined, LLVMInternalLinkage)
        attributes?.apply(to: outlined, context: e.context)
        e.function = outlined
        LLVMPositionBuilderAtEnd(e.builder, e.block("entry"))
        let ctx = LLVMGetParam(outlined, 0)!
        var args: [LLVMValueRef?] = distinct.indices.map { k -> LLVMValueRef? in
            var idx: [LLVMValueRef?] = [e.i64(k)]
            let slot = LLVMBuildInBoundsGEP2(e.builder, e.ptr, ctx, &idx, 1, "")
            return LLVMBuildLoad2(e.builder, e.ptr, slot, "")
        }
        args += [LLVMGetParam(outlined, 1), LLVMGetParam(outlined, 2)]
        LLVMBuildCall2(e.builder, innerType, inner, &args, UInt32(args.count), "")
        LLVMBuildRetVoid(e.builder)
        e.function = caller
        LLVMPositionBuilderAtEnd(e.builder, callerBlock)
        let array = LLVMBuildArrayAlloca(e.builder, e.ptr, e.i64(Swift.max(distinct.count, 1)), "captures")!
        for (k, b) in distinct.enumerated() {
            var idx: [LLVMValueRef?] = [e.i64(k)]
            LLVMBuildStore(e.builder, b, LLVMBuildInBoundsGEP2(e.builder, e.ptr, array, &idx, 1, ""))
        }
        _ = e.call("vfc_parallel_for", e.void, [e.i64, e.i64, e.ptr, e.ptr], [e.i64(0), e.i64(count), outlined, array])
    }
}
