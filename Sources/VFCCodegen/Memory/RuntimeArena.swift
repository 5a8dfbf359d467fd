import CLLVM
import VFCIR

/// The arena plan of a function with run-time dims (`RuntimeDims`): its buffers of run-time
/// size are slots of the one arena like the fixed-size ones, with the same lifetimes and
/// in-place handoffs, and the arena is placed when the function is called.
///
/// Why at the call: a slot's size is a monomial in the dims (`2*B*T*4` bytes), and the
/// compile-time placement (largest first, lowest free offset) orders slots by size, an
/// order that changes with the dims' values when fixed and batch-sized slots mix. Placing
/// offsets as expressions valid for every value (or one sub-arena per monomial) would keep
/// fixed and batch-sized buffers from sharing space, where the specialised plan shares it.
/// So the entry computes every slot's size from its dim arguments and hands sizes and the
/// slots' lifetimes (a constant table) to `vfc_arena_plan`, which runs the compile-time
/// placement (`MemoryPlan.place`) in the runtime and keeps the last few plans: a call with
/// the sizes of an earlier one (the same batch size) costs a comparison and a copy. The
/// arena is then exactly the one the function specialised to those values gets (the same
/// slots, the same placement), taken in one `vfc_alloc_arena`.
extension FunctionLowering {
    /// A buffer for a value of run-time shape `shape` (elements of `d`), as `allocate` for a
    /// fixed shape: a slot of the arena (the slot of a dying operand of the same size when
    /// the instruction computes in place), zeroed when asked; released after the current
    /// instruction unless `claim` makes it a value's buffer. In an outlined kernel, a
    /// runtime allocation freed when the kernel returns. `block` is the dim block of the
    /// function being emitted.
    mutating func allocateRuntime(_ d: DType, _ shape: [Dim], _ block: LLVMValueRef, zeroed: Bool) -> LLVMValueRef {
        guard plan.inArena else { return runtimeAllocate(d, count(shape, block), zeroed: zeroed) }
        let bytes = (product(shape) ?? Dim(0)).multiplied(by: Dim(d.byteSize)) ?? Dim(0)
        let p: LLVMValueRef
        if let k = plan.handoff.firstIndex(where: { plan.slots[plan.slotIndex[$0]!].runtimeBytes.map { Self.holds($0, bytes) } ?? false }) {
            p = plan.handoff.remove(at: k)
            plan.slots[plan.slotIndex[p]!].last = nil
        } else {
            p = e.call(MemoryPlan.placeholderName, e.ptr, [e.i64], [e.i64(plan.slots.count)])
            plan.slotIndex[p] = plan.slots.count
            plan.slots.append(ArenaSlot(bytes: 0, runtimeBytes: bytes, first: plan.now, last: nil, placeholder: p))
        }
        if zeroed { LLVMBuildMemSet(e.builder, p, LLVMConstInt(e.i8, 0, 0), e.mul(count(shape, block), d.byteSize), 1) }
        plan.scratch.append(p)
        return p
    }

    /// Whether a slot of `size` bytes holds `bytes` for every value of the dims.
    private static func holds(_ size: Dim, _ bytes: Dim) -> Bool {
        size.symbols == bytes.symbols && size.coefficient >= bytes.coefficient
    }

    /// The element count of value `v` as a dim: its run-time shape's, else its buffer's
    /// (nil for a literal or a value not lowered).
    func elementCount(of v: ValueID) -> Dim? {
        if let s = runtime?.shapes[v] { return product(s) }
        guard case .buffer(_, _, let s)? = values[v] else { return nil }
        return Dim(s.reduce(1, *))
    }

    /// `placeArena` for a function with slots of run-time size: at the top of the entry
    /// `fn`, every slot's size (computed from the dim arguments `dims`), `vfc_arena_plan`
    /// over them and the lifetime table, one `vfc_alloc_arena` of the total, and each
    /// placeholder replaced by the arena plus its slot's offset. Returns the arena.
    mutating func placeRuntimeArena(in fn: LLVMValueRef, dims: [LLVMValueRef]) -> LLVMValueRef {
        let n = plan.slots.count
        let here = LLVMGetInsertBlock(e.builder)!
        LLVMPositionBuilderBefore(e.builder, LLVMGetFirstInstruction(LLVMGetEntryBasicBlock(fn)))
        let names = runtime?.names ?? []
        func value(_ d: Dim) -> LLVMValueRef {
            var v = e.i64(d.coefficient)
            for s in d.symbols { v = e.mul(v, dims[names.firstIndex(of: s) ?? 0]) }
            return v
        }
        let sizes = LLVMBuildArrayAlloca(e.builder, e.i64, e.i64(n), "arena.sizes")!
        let offsets = LLVMBuildArrayAlloca(e.builder, e.i64, e.i64(n), "arena.offsets")!
        var lifetimes: [Int] = []
        for (k, slot) in plan.slots.enumerated() {
            var size = e.i64(slot.bytes)
            if let b = slot.runtimeBytes {
                // At least one byte: an empty buffer still gets an address of its own.
                let v = value(b)
                size = LLVMBuildSelect(e.builder, LLVMBuildICmp(e.builder, LLVMIntSGT, v, e.i64(0), ""), v, e.i64(1), "")!
            }
            e.store(size, sizes, .i64, e.i64(k))
            lifetimes += [slot.first, slot.last ?? Int.max]
        }
        let table = constantTable("\(LLVMSupport.valueName(fn)).arena.lifetimes", lifetimes)
        let total = e.call("vfc_arena_plan", e.i64, [e.i64, e.ptr, e.ptr, e.ptr], [e.i64(n), sizes, table, offsets])
        let arena = e.call("vfc_alloc_arena", e.ptr, [e.i64], [total])
        replacePlaceholders(arena) { me, k in me.e.load(offsets, .i64, me.e.i64(k)) }
        LLVMPositionBuilderAtEnd(e.builder, here)
        return arena
    }
}
