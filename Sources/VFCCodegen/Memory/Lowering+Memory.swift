import CLLVM
import VFCIR

/// The memory plan of a lowered function: one arena, with each temporary at an offset
/// chosen once the whole function has been lowered.
///
/// Each value a function computes (and each scratch buffer an op needs) gets a slot of the
/// arena, live from the instruction that allocates it to the instruction that reads it last
/// (values sharing a buffer through reshape and stop_gradient count as one). An elementwise
/// op releases a dying operand before taking its result buffer, and the result then takes
/// over the operand's slot, so it computes in place (element i is read before element i is
/// written, in every thread's chunk alike) when the operand has the result's element size
/// and count. Scratch buffers are released after their op. Donated inputs are written in
/// place by `FunctionLowering.emit`.
///
/// Slots are emitted as placeholders and placed when the function is done
/// (`placeArena`): largest first, each at the lowest offset that no slot live at the same
/// time occupies. So the arena comes close to the most bytes live at one point
/// (`LoweringStats.livePeakBytes`), where a pool of whole buffers reused by best fit loses
/// much of that to fragmentation (the tiny step at B = 8: 2.17 GB pooled, 1.72 GB live).
/// The runtime's cache keeps the arena between calls, so its pages are touched once.
/// Buffers that an outlined kernel allocates for itself are its own, freed when it returns.
struct MemoryPlan {
    /// The value whose buffer each value uses (itself, or the operand a reshape shares).
    var root: [ValueID: ValueID] = [:]
    /// The index of the last instruction reading each root (Int.max: a returned value).
    var lastUse: [ValueID: Int] = [:]
    /// The planned buffer of each root value computed so far (not arguments or outputs).
    var owned: [ValueID: LLVMValueRef] = [:]
    /// Buffers handed out while lowering the current instruction and not yet claimed by a
    /// value: released when the instruction is done.
    var scratch: [LLVMValueRef] = []
    /// The arena's slots, and each placeholder's slot.
    var slots: [ArenaSlot] = []
    var slotIndex: [LLVMValueRef: Int] = [:]
    /// The body index of the instruction being lowered (the slots' clock).
    var now = 0
    /// Slots released in place at `now`: a result allocated at `now` takes one over.
    var handoff: [LLVMValueRef] = []
    /// False while an outlined kernel is emitted: its buffers are its own.
    var inArena = true
    /// The bytes asked of each buffer by its current holder (its capacity may be larger).
    var requested: [LLVMValueRef: Int] = [:]
    /// Bytes held by live values and scratch now, and the most held at once: the peak any
    /// placement of these buffers needs (`LoweringStats.livePeakBytes`).
    var liveBytes = 0
    var livePeakBytes = 0

    /// `sharing`: results of other ops that read another value's buffer, by that value
    /// (views `ViewFolding` folded into the products reading them, by their base).
    init(_ function: Function, sharing: [ValueID: ValueID] = [:]) {
        for (k, inst) in function.body.enumerated() {
            for case .value(let v) in inst.operands { lastUse[rootOf(v)] = k }
            guard let r = inst.results.first else { continue }
            if let base = sharing[r] {
                root[r] = rootOf(base)
            } else if inst.op.has(.view), case .value(let v)? = inst.operands.first {
                root[r] = rootOf(v)
            }
        }
        for case .value(let v) in function.returns { lastUse[rootOf(v)] = Int.max }
    }

    func rootOf(_ v: ValueID) -> ValueID { root[v] ?? v }

    /// Moves the clock to instruction `index`: the in-place handoffs of the previous one lapse.
    mutating func advance(to index: Int) {
        now = index
        handoff = []
    }

    /// Whether the instruction at `index` is the last to read root `r` (or nothing reads it).
    func dies(_ r: ValueID, at index: Int) -> Bool { (lastUse[r] ?? index) == index }
}

extension FunctionLowering {
    /// A buffer for `shape` elements of `d`: a released buffer that is large enough (the
    /// smallest such), else a new one. Zeroed when asked (a reused buffer by a memset).
    /// Released after the current instruction unless `claim` makes it a value's buffer.
    mutating func allocate(_ d: DType, _ shape: [Int], zeroed: Bool = true) -> LLVMValueRef {
        let bytes = Swift.max(shape.reduce(1, *), 1) * d.byteSize
        stats.unplannedMemoryBytes += bytes
        let p: LLVMValueRef
        if !plan.inArena {
            p = newBuffer(bytes, zeroed: zeroed)
            stats.peakMemoryBytes += bytes
        } else {
            if let k = plan.handoff.firstIndex(where: { plan.slots[plan.slotIndex[$0]!].runtimeBytes == nil && plan.slots[plan.slotIndex[$0]!].bytes >= bytes }) {
                p = plan.handoff.remove(at: k)
                plan.slots[plan.slotIndex[p]!].last = nil
            } else {
                // A placeholder, replaced by the slot's address in the arena by `placeArena`.
                p = e.call(MemoryPlan.placeholderName, e.ptr, [e.i64], [e.i64(plan.slots.count)])
                plan.slotIndex[p] = plan.slots.count
                plan.slots.append(ArenaSlot(bytes: bytes, runtimeBytes: nil, first: plan.now, last: nil, placeholder: p))
            }
            if zeroed { LLVMBuildMemSet(e.builder, p, LLVMConstInt(e.i8, 0, 0), e.i64(bytes), 1) }
        }
        plan.scratch.append(p)
        plan.requested[p] = bytes
        plan.liveBytes += bytes
        plan.livePeakBytes = Swift.max(plan.livePeakBytes, plan.liveBytes)
        stats.livePeakBytes = Swift.max(stats.livePeakBytes, plan.livePeakBytes)
        return p
    }

    /// The buffer of result `r` of the current instruction: the caller's output buffer when
    /// the function returns `r` (cleared when `zeroed`), else a planned buffer held until
    /// `r`'s last use.
    mutating func resultBuffer(for r: ValueID, _ d: DType, _ shape: [Int], zeroed: Bool = false) -> LLVMValueRef {
        if let slot = outputSlots.removeValue(forKey: r) {
            let bytes = shape.reduce(1, *) * d.byteSize
            if zeroed, bytes > 0 { LLVMBuildMemSet(e.builder, slot, LLVMConstInt(e.i8, 0, 0), e.i64(bytes), 1) }
            return slot
        }
        let p = allocate(d, shape, zeroed: zeroed)
        claim(p, for: r)
        return p
    }

    /// Makes `p` (from `allocate`) the buffer of `value`, held until its last use.
    mutating func claim(_ p: LLVMValueRef, for value: ValueID) {
        plan.scratch.removeAll { $0 == p }
        plan.owned[plan.rootOf(value)] = p
    }

    /// Releases the buffers of the operands of instruction `index` that it reads last
    /// (and of its results nothing reads). With `inPlace`, only those an elementwise result
    /// of `count` elements (a dim: fixed, or run-time) of `elementBytes` can overwrite,
    /// before the result is allocated.
    mutating func releaseDying(_ inst: Instruction, at index: Int, inPlace: (count: Dim, elementBytes: Int)? = nil) {
        var candidates: [ValueID] = []
        for case .value(let v) in inst.operands { candidates.append(v) }
        if inPlace == nil { candidates += inst.results }
        for v in candidates {
            let r = plan.rootOf(v)
            guard plan.dies(r, at: index), let p = plan.owned[r] else { continue }
            if let (count, size) = inPlace {
                guard case .buffer(_, let d, _)? = values[v], d.byteSize == size, elementCount(of: v) == count else { continue }
                plan.handoff.append(p)
            }
            plan.owned[r] = nil
            release(p)
        }
        if inPlace == nil {
            for p in plan.scratch { release(p) }
            plan.scratch = []
        }
    }

    /// Ends the current holder's use of `p` at the current instruction.
    private mutating func release(_ p: LLVMValueRef) {
        plan.liveBytes -= plan.requested[p] ?? 0
        if let k = plan.slotIndex[p] { plan.slots[k].last = plan.now }
    }

    /// Places every slot in the arena, allocates the arena at the top of the entry function
    /// `fn` and replaces each placeholder by its slot's address; returns the arena (nil when
    /// there are no slots), which the caller frees before returning.
    mutating func placeArena(in fn: LLVMValueRef) -> LLVMValueRef? {
        guard !plan.slots.isEmpty else { return nil }
        if let dims = runtime?.dimParams, plan.slots.contains(where: { $0.runtimeBytes != nil }) {
            return placeRuntimeArena(in: fn, dims: dims)
        }
        let (offsets, total) = MemoryPlan.place(plan.slots.map { ($0.bytes, $0.first, $0.last) })
        stats.peakMemoryBytes += total
        let here = LLVMGetInsertBlock(e.builder)!
        LLVMPositionBuilderBefore(e.builder, LLVMGetFirstInstruction(LLVMGetEntryBasicBlock(fn)))
        // The runtime reports running out of memory and exits (nothing to unwind to here).
        let arena = e.call("vfc_alloc_arena", e.ptr, [e.i64], [e.i64(total)])
        replacePlaceholders(arena) { me, k in me.e.i64(offsets[k]) }
        LLVMPositionBuilderAtEnd(e.builder, here)
        return arena
    }

    /// Replaces each slot's placeholder by `arena` plus the slot's offset (`offset(self, k)`
    /// for slot k, emitted just before the placeholder), and removes their declaration.
    func replacePlaceholders(_ arena: LLVMValueRef, offset: (FunctionLowering, Int) -> LLVMValueRef) {
        for (k, slot) in plan.slots.enumerated() {
            LLVMPositionBuilderBefore(e.builder, slot.placeholder)
            var index: [LLVMValueRef?] = [offset(self, k)]
            let address = LLVMBuildInBoundsGEP2(e.builder, e.i8, arena, &index, 1, "")
            LLVMReplaceAllUsesWith(slot.placeholder, address)
            LLVMInstructionEraseFromParent(slot.placeholder)
        }
        if let declaration = LLVMGetNamedFunction(e.module, MemoryPlan.placeholderName) { LLVMDeleteFunction(declaration) }
    }

    /// A new buffer from the runtime, zeroed when asked (else its contents are undefined:
    /// the runtime fills it with NaN bytes in poison mode, so a kernel that leaves elements
    /// unwritten shows in tests), freed when the function returns.
    private mutating func newBuffer(_ bytes: Int, zeroed: Bool) -> LLVMValueRef {
        let p = e.call(zeroed ? "vfc_alloc" : "vfc_alloc_uninit", e.ptr, [e.i64], [e.i64(bytes)])
        // Out of memory cannot be thrown from generated code: the runtime reports it and exits.
        let ok = e.block("alloc.ok"), failed = e.block("alloc.failed")
        LLVMBuildCondBr(e.builder, LLVMBuildIsNull(e.builder, p, ""), failed, ok)
        LLVMPositionBuilderAtEnd(e.builder, failed)
        _ = e.call("vfc_out_of_memory", e.void, [e.i64], [e.i64(bytes)])
        LLVMBuildUnreachable(e.builder)
        LLVMPositionBuilderAtEnd(e.builder, ok)
        // A fresh buffer overlaps nothing: lets LLVM drop runtime alias checks in loops.
        let noalias = LLVMGetEnumAttributeKindForName("noalias", 7)
        LLVMAddCallSiteAttribute(p, LLVMAttributeIndex(LLVMAttributeReturnIndex), LLVMCreateEnumAttribute(e.context, noalias, 0))
        allocations.append(p)
        return p
    }
}

/// A region of a function's arena: the buffer of one value (or one scratch buffer), or of a
/// chain of values each computed in place of the one before; live from instruction `first`
/// to `last` inclusive (nil: to the end of the function). A slot of run-time size has its
/// bytes as a monomial in the run-time dims (`RuntimeArena.swift`).
struct ArenaSlot {
    var bytes: Int
    var runtimeBytes: Dim?
    var first: Int
    var last: Int?
    var placeholder: LLVMValueRef
}

extension MemoryPlan {
    /// The declaration of the placeholders (`allocate`), removed by `placeArena`.
    static let placeholderName = "vfc.arena.slot"

    /// Offsets for `slots` (64-byte aligned) such that no two slots live at one instruction
    /// overlap, and the arena size: the largest slot first, each at the lowest offset free
    /// of the slots already placed that share an instruction with it. Deterministic: ties
    /// go by first use, then by allocation order.
    static func place(_ slots: [(bytes: Int, first: Int, last: Int?)]) -> (offsets: [Int], total: Int) {
        func aligned(_ n: Int) -> Int { (n + 63) & ~63 }
        let order = slots.indices.sorted {
            (slots[$0].bytes, -slots[$0].first, -$0) > (slots[$1].bytes, -slots[$1].first, -$1)
        }
        var offsets = Array(repeating: 0, count: slots.count)
        var placed: [Int] = []
        var total = 0
        for i in order {
            let a = slots[i], aLast = a.last ?? Int.max
            var busy: [(start: Int, end: Int)] = []
            for j in placed {
                let b = slots[j]
                if a.first <= (b.last ?? Int.max) && b.first <= aLast {
                    busy.append((offsets[j], offsets[j] + aligned(b.bytes)))
                }
            }
            busy.sort { $0.start < $1.start }
            var offset = 0
            for r in busy {
                if r.start >= offset + aligned(a.bytes) { break }
                offset = Swift.max(offset, r.end)
            }
            offsets[i] = offset
            total = Swift.max(total, offset + aligned(a.bytes))
            placed.append(i)
        }
        return (offsets, total)
    }
}
