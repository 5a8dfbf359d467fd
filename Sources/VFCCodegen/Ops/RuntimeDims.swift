import CLLVM
import VFCIR

/// The run-time dims of a function being lowered (`CodegenOptions.runtimeDims`): the
/// symbolic dims of its arguments that no binding fixes, passed to the entry point as
/// `int64_t` values after its buffers.
///
/// Sizes stay `Dim` monomials (`2*B`, `B*T`) with the bound symbols substituted. The entry
/// stores the dim values in a stack block once; every outlined kernel takes the block as
/// one more pointer argument and reads the values it needs there, so a kernel's code (and
/// its deduplication key) depends on the symbolic shape, never on a value.
///
/// Values sized by a run-time dim keep the `Lowered.buffer` form with an empty static
/// shape; their shapes live in `shapes`, and only the run-time lowering
/// (`lowerWithRuntimeDims`) reads them: an instruction with such an operand or result
/// never reaches the fixed-size lowerings. Their buffers are slots of the arena, placed
/// when the entry is called (`RuntimeArena.swift`).
struct RuntimeDims {
    /// The dims, in call order.
    var names: [String]
    /// The entry's block of dim values (`[names.count x i64]`), set when the entry starts.
    var block: LLVMValueRef?
    /// The entry's dim arguments, in `names` order (what the arena's sizes are computed from).
    var dimParams: [LLVMValueRef] = []
    /// The shape of every value with a run-time extent, by value.
    var shapes: [ValueID: [Dim]] = [:]

    /// The unbound symbols of `function`'s argument types, in order of first appearance:
    /// the run-time dims of its entry point.
    static func names(of function: Function, bindings: [String: Int]) -> [String] {
        var names: [String] = []
        for a in function.arguments {
            for d in function.values[a.index].type?.shape ?? [] {
                for s in d.symbols where bindings[s] == nil && !names.contains(s) { names.append(s) }
            }
        }
        return names
    }
}

extension FunctionLowering {
    /// The shape of `t` with the bound symbols replaced by their values.
    func dims(_ t: TensorType) -> [Dim] {
        let bound = bindings.mapValues { Dim($0) }
        return t.shape.map { $0.substituting(bound) ?? $0 }
    }

    /// Whether a shape has an extent fixed only at run time.
    func isRuntime(_ shape: [Dim]) -> Bool { shape.contains { !$0.symbols.isEmpty } }

    /// The entry ABI buffer of a value of type `t`: a fixed shape, or (with run-time dims)
    /// its symbolic shape. A symbol that is neither bound nor a run-time dim is an error.
    func entryBuffer(_ name: String, _ t: TensorType?) throws -> EntryPoint.Buffer {
        guard let runtime, let t else { return .init(name: name, dtype: t?.dtype ?? .f32, shape: try shape(t)) }
        let s = dims(t)
        guard isRuntime(s) else { return .init(name: name, dtype: t.dtype, shape: try shape(t)) }
        let unknown = Set(s.flatMap(\.symbols)).subtracting(runtime.names).sorted()
        guard unknown.isEmpty else {
            throw CodegenError.foreignDims(function: function.name, name: name, type: t, dims: unknown)
        }
        let zero = Dictionary(uniqueKeysWithValues: runtime.names.map { ($0, 0) })
        return .init(name: name, dtype: t.dtype, shape: s.map { $0.evaluate(zero) ?? 0 }, runtimeShape: s)
    }

    /// Stores the entry's run-time dim arguments (after its `buffers` pointers) in the dim
    /// block; nothing without run-time dims.
    mutating func storeRuntimeDims(_ fn: LLVMValueRef, after buffers: Int) {
        guard let names = runtime?.names, !names.isEmpty else { return }
        let block = LLVMBuildArrayAlloca(e.builder, e.i64, e.i64(names.count), "dims")!
        let params = names.indices.map { LLVMGetParam(fn, UInt32(buffers + $0))! }
        for (j, p) in params.enumerated() { e.store(p, block, .i64, e.i64(j)) }
        runtime?.block = block
        runtime?.dimParams = params
    }

    /// The value of `d` read from the dim block `block` (a constant when `d` is static).
    func extent(_ d: Dim, _ block: LLVMValueRef) -> LLVMValueRef {
        guard let names = runtime?.names, !d.symbols.isEmpty else { return e.i64(d.coefficient) }
        var v: LLVMValueRef?
        for s in d.symbols {
            let x = e.load(block, .i64, e.i64(names.firstIndex(of: s) ?? 0))
            v = v.map { e.mul($0, x) } ?? x
        }
        return e.mul(v!, d.coefficient)
    }

    /// The element count of a shape, read from `block`.
    func count(_ shape: [Dim], _ block: LLVMValueRef) -> LLVMValueRef {
        extent(product(shape) ?? Dim(0), block)
    }

    /// The shape of an operand as dims: its run-time shape, else its fixed one (nil for a
    /// literal).
    func dims(of o: Operand) throws -> [Dim]? {
        if case .value(let v) = o, let s = runtime?.shapes[v] { return s }
        guard case .buffer(_, _, let s) = try operand(o) else { return nil }
        return s.map { Dim($0) }
    }

    /// The element count of a returned operand with run-time extents, in the entry (nil
    /// when its shape is fixed).
    func runtimeCount(_ o: Operand) -> LLVMValueRef? {
        guard case .value(let v) = o, let s = runtime?.shapes[v], let block = runtime?.block else { return nil }
        return count(s, block)
    }

    /// memcpy of `n` (an i64 value) elements of `d`.
    func runtimeCopy(from src: LLVMValueRef, to dst: LLVMValueRef, _ d: DType, _ n: LLVMValueRef) {
        LLVMBuildMemCpy(e.builder, dst, 1, src, 1, e.mul(n, d.byteSize))
    }

    /// A buffer of `n` (an i64 value) elements of `d` from the runtime, zeroed when asked,
    /// freed when the function being emitted returns (the entry, or the kernel it is in).
    mutating func runtimeAllocate(_ d: DType, _ n: LLVMValueRef, zeroed: Bool) -> LLVMValueRef {
        // At least one byte, so that an empty buffer is still a distinct allocation.
        let bytes = e.mul(n, d.byteSize)
        let positive = LLVMBuildICmp(e.builder, LLVMIntSGT, bytes, e.i64(0), "")
        let size = LLVMBuildSelect(e.builder, positive, bytes, e.i64(1), "")!
        let p = e.call(zeroed ? "vfc_alloc" : "vfc_alloc_uninit", e.ptr, [e.i64], [size])
        let ok = e.block("alloc.ok"), failed = e.block("alloc.failed")
        LLVMBuildCondBr(e.builder, LLVMBuildIsNull(e.builder, p, ""), failed, ok)
        LLVMPositionBuilderAtEnd(e.builder, failed)
        _ = e.call("vfc_out_of_memory", e.void, [e.i64], [size])
        LLVMBuildUnreachable(e.builder)
        LLVMPositionBuilderAtEnd(e.builder, ok)
        allocations.append(p)
        return p
    }

    /// The buffer of result `r`, whose shape `shape` has a run-time extent: the entry's
    /// output slot when `r` is returned (zeroed when asked), else a slot of the arena held
    /// until `r`'s last use (`allocateRuntime`). Records the shape.
    mutating func runtimeResultBuffer(for r: ValueID, _ d: DType, _ shape: [Dim], _ block: LLVMValueRef, zeroed: Bool = false) -> LLVMValueRef {
        runtime?.shapes[r] = shape
        if let slot = outputSlots.removeValue(forKey: r) {
            if zeroed { LLVMBuildMemSet(e.builder, slot, LLVMConstInt(e.i8, 0, 0), e.mul(count(shape, block), d.byteSize), 1) }
            return slot
        }
        let out = allocateRuntime(d, shape, block, zeroed: zeroed)
        claim(out, for: r)
        return out
    }

    /// for i in 0..<count (an i64 value): body, on the runtime's threads when
    /// count * workPerIteration reaches `parallelThreshold`, else inline (a run-time test).
    /// The body is outlined as in `parallelLoop`: it sees only the `buffers` it captures.
    mutating func runtimeParallelLoop(
        _ count: LLVMValueRef, workPerIteration: Int = 1, buffers: [LLVMValueRef],
        _ body: (inout FunctionLowering, LLVMValueRef, [LLVMValueRef]) throws -> Void
    ) throws {
        let name = "\(LLVMSupport.valueName(e.function)).par.\(parallelCount)"
        parallelCount += 1
        let inner = try noaliasBody(name + ".body", buffers: buffers, indices: 2) { me, captured, bounds in
            try me.e.loop(from: bounds[0], to: bounds[1]) { i in try body(&me, i, captured) }
        }
        let outlined = contextEntry(name, calling: inner, indices: 2)
        let parallel = e.block("par"), serial = e.block("serial"), done = e.block("par.done")
        let work = e.mul(count, workPerIteration)
        LLVMBuildCondBr(e.builder, LLVMBuildICmp(e.builder, LLVMIntSGE, work, e.i64(Self.parallelThreshold), ""), parallel, serial)
        LLVMPositionBuilderAtEnd(e.builder, parallel)
        let distinct = inner.distinct
        let array = LLVMBuildArrayAlloca(e.builder, e.ptr, e.i64(Swift.max(distinct.count, 1)), "captures")!
        for (k, b) in distinct.enumerated() {
            var idx: [LLVMValueRef?] = [e.i64(k)]
            LLVMBuildStore(e.builder, b, LLVMBuildInBoundsGEP2(e.builder, e.ptr, array, &idx, 1, ""))
        }
        _ = e.call("vfc_parallel_for", e.void, [e.i64, e.i64, e.ptr, e.ptr], [e.i64(0), count, outlined, array])
        LLVMBuildBr(e.builder, done)
        LLVMPositionBuilderAtEnd(e.builder, serial)
        var args: [LLVMValueRef?] = distinct + [e.i64(0), count]
        LLVMBuildCall2(e.builder, inner.type, inner.function, &args, UInt32(args.count), "")
        LLVMBuildBr(e.builder, done)
        LLVMPositionBuilderAtEnd(e.builder, done)
    }

    /// Nested loops over `extents` (i64 values, outermost first) calling `body` with one
    /// offset per stride list: the sum over loops of index * strides[v][loop].
    func runtimeNest(_ extents: [LLVMValueRef], _ strides: [[LLVMValueRef]], _ bases: [LLVMValueRef],
                     _ body: ([LLVMValueRef]) throws -> Void) rethrows {
        func level(_ k: Int, _ offsets: [LLVMValueRef]) throws {
            if k == extents.count { return try body(offsets) }
            try e.loop(extents[k], "n\(k)") { i in
                try level(k + 1, zip(offsets, strides).map { o, s in e.add(o, e.mul(i, s[k])) })
            }
        }
        try level(0, bases)
    }

    /// Row-major strides of a shape, as values read from `block`.
    func runtimeStrides(_ shape: [Dim], _ block: LLVMValueRef) -> [LLVMValueRef] {
        var strides: [LLVMValueRef] = []
        var s = Dim(1)
        for d in shape.reversed() {
            strides.append(extent(s, block))
            s = s.multiplied(by: d) ?? s
        }
        return strides.reversed()
    }
}
