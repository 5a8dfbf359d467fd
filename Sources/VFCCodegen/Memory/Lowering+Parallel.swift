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
        let name = "\(LLVMSupport.valueName(e.function)).par.\(parallelCount)"
        parallelCount += 1
        let inner = try noaliasBody(name + ".body", buffers: buffers, indices: 2) { me, captured, bounds in
            try me.e.loop(from: bounds[0], to: bounds[1]) { i in try body(&me, i, captured) }
        }
        let outlined = contextEntry(name, calling: inner, indices: 2)
        let distinct = inner.distinct
        let array = LLVMBuildArrayAlloca(e.builder, e.ptr, e.i64(Swift.max(distinct.count, 1)), "captures")!
        for (k, b) in distinct.enumerated() {
            var idx: [LLVMValueRef?] = [e.i64(k)]
            LLVMBuildStore(e.builder, b, LLVMBuildInBoundsGEP2(e.builder, e.ptr, array, &idx, 1, ""))
        }
        _ = e.call("vfc_parallel_for", e.void, [e.i64, e.i64, e.ptr, e.ptr], [e.i64(0), e.i64(count), outlined, array])
    }

    /// An internal, always-inlined function `name(ptr..., i64 x indices)` taking each distinct
    /// buffer of `buffers` once as a `noalias` parameter (an in-place op captures one buffer
    /// twice), whose body `body` emits with the buffers as the function sees them (in the
    /// order of `buffers`) and its i64 parameters; the builder is back where it was after.
    /// Why: inlining turns the parameters into scoped alias metadata, so a fused loop over
    /// many buffers still vectorises without runtime overlap checks (pointers loaded from a
    /// context array would carry no such facts).
    mutating func noaliasBody(
        _ name: String, buffers: [LLVMValueRef], indices: Int,
        _ body: (inout FunctionLowering, [LLVMValueRef], [LLVMValueRef]) throws -> Void
    ) throws -> (function: LLVMValueRef, type: LLVMTypeRef, distinct: [LLVMValueRef]) {
        let caller = e.function
        let callerBlock = LLVMGetInsertBlock(e.builder)
        var distinct: [LLVMValueRef] = []
        let position = buffers.map { b -> Int in
            if let k = distinct.firstIndex(of: b) { return k }
            distinct.append(b)
            return distinct.count - 1
        }
        var params: [LLVMTypeRef?] = Array(repeating: e.ptr, count: distinct.count) + Array(repeating: e.i64, count: indices)
        let type = LLVMFunctionType(e.void, &params, UInt32(params.count), 0)!
        let inner = LLVMAddFunction(e.module, name, type)!
        LLVMSetLinkage(inner, LLVMInternalLinkage)
        attributes?.apply(to: inner, context: e.context)
        let noalias = LLVMGetEnumAttributeKindForName("noalias", 7)
        let alwaysInline = LLVMGetEnumAttributeKindForName("alwaysinline", 12)
        for k in distinct.indices { LLVMAddAttributeAtIndex(inner, UInt32(k + 1), LLVMCreateEnumAttribute(e.context, noalias, 0)) }
        LLVMAddAttributeAtIndex(inner, UInt32(bitPattern: Int32(LLVMAttributeFunctionIndex)), LLVMCreateEnumAttribute(e.context, alwaysInline, 0))
        e.function = inner
        LLVMPositionBuilderAtEnd(e.builder, e.block("entry"))
        let pointers = distinct.indices.map { LLVMGetParam(inner, UInt32($0))! }
        let extra = (0..<indices).map { LLVMGetParam(inner, UInt32(distinct.count + $0))! }
        try body(&self, position.map { pointers[$0] }, extra)
        LLVMBuildRetVoid(e.builder)
        e.function = caller
        LLVMPositionBuilderAtEnd(e.builder, callerBlock)
        return (inner, type, distinct)
    }

    /// An internal function `void name(ptr context, i64 x indices)` that loads the buffers of
    /// `inner` (a `noaliasBody`) from the pointer array `context` and calls it with them and
    /// its i64 parameters: what `vfc_parallel_for` and `vfc_sgemm_fused` call.
    func contextEntry(_ name: String, calling inner: (function: LLVMValueRef, type: LLVMTypeRef, distinct: [LLVMValueRef]),
                      indices: Int) -> LLVMValueRef {
        let callerBlock = LLVMGetInsertBlock(e.builder)
        var params: [LLVMTypeRef?] = [e.ptr] + Array(repeating: e.i64, count: indices)
        let function = LLVMAddFunction(e.module, name, LLVMFunctionType(e.void, &params, UInt32(params.count), 0))!
        LLVMSetLinkage(function, LLVMInternalLinkage)
        attributes?.apply(to: function, context: e.context)
        var e = self.e
        e.function = function
        LLVMPositionBuilderAtEnd(e.builder, e.block("entry"))
        let ctx = LLVMGetParam(function, 0)!
        var args: [LLVMValueRef?] = inner.distinct.indices.map { k -> LLVMValueRef? in
            var idx: [LLVMValueRef?] = [e.i64(k)]
            return LLVMBuildLoad2(e.builder, e.ptr, LLVMBuildInBoundsGEP2(e.builder, e.ptr, ctx, &idx, 1, ""), "")
        }
        args += (0..<indices).map { LLVMGetParam(function, UInt32($0 + 1)) }
        LLVMBuildCall2(e.builder, inner.type, inner.function, &args, UInt32(args.count), "")
        LLVMBuildRetVoid(e.builder)
        LLVMPositionBuilderAtEnd(e.builder, callerBlock)
        return function
    }
}
