import CLLVM
import VFCIR

/// The memory plan of a lowered function: liveness-based reuse of temporary buffers.
///
/// Each value a function computes (and each scratch buffer an op needs) gets a buffer from
/// a compile-time pool: the smallest free buffer that is large enough, or a new allocation.
/// A value's buffer goes back to the pool after the instruction that uses it last (values
/// sharing a buffer through reshape and stop_gradient count as one); an elementwise op
/// releases a dying operand before taking its result buffer, so it computes in place
/// (element i is read before element i is written, in every thread's chunk alike) when
/// the operand has the result's element size and count. Scratch buffers are released
/// after their op. Donated inputs are written in place by `FunctionLowering.emit`.
///
/// Every planned buffer is held until the function returns, so the plan's peak is the sum
/// of their sizes (`LoweringStats.peakMemoryBytes`); the runtime's own cache makes the
/// allocations themselves cheap across calls.
struct MemoryPlan {
    /// The value whose buffer each value uses (itself, or the operand a reshape shares).
    var root: [ValueID: ValueID] = [:]
    /// The index of the last instruction reading each root (Int.max: a returned value).
    var lastUse: [ValueID: Int] = [:]
    /// The planned buffer of each root value computed so far (not arguments or outputs).
    var owned: [ValueID: LLVMValueRef] = [:]
    /// Released buffers, reusable by later values.
    var free: [(buffer: LLVMValueRef, bytes: Int)] = []
    /// The capacity of every planned buffer.
    var capacity: [LLVMValueRef: Int] = [:]
    /// Buffers handed out while lowering the current instruction and not yet claimed by a
    /// value: released when the instruction is done.
    var scratch: [LLVMValueRef] = []

    init(_ function: Function) {
        for (k, inst) in function.body.enumerated() {
            for case .value(let v) in inst.operands { lastUse[rootOf(v)] = k }
            switch inst.op {
            case .reshape, .stopGradient:
                if case .value(let v)? = inst.operands.first { root[inst.results[0]] = rootOf(v) }
            default: break
            }
        }
        for case .value(let v) in function.returns { lastUse[rootOf(v)] = Int.max }
    }

    func rootOf(_ v: ValueID) -> ValueID { root[v] ?? v }

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
        if let k = plan.free.indices.filter({ plan.free[$0].bytes >= bytes }).min(by: { plan.free[$0].bytes < plan.free[$1].bytes }) {
            p = plan.free.remove(at: k).buffer
            if zeroed { LLVMBuildMemSet(e.builder, p, LLVMConstInt(e.i8, 0, 0), e.i64(bytes), 1) }
        } else {
            p = newBuffer(bytes, zeroed: zeroed)
            plan.capacity[p] = bytes
            stats.peakMemoryBytes += bytes
        }
        plan.scratch.append(p)
        return p
    }

    /// Makes `p` (from `allocate`) the buffer of `value`, held until its last use.
    mutating func claim(_ p: LLVMValueRef, for value: ValueID) {
        plan.scratch.removeAll { $0 == p }
        plan.owned[plan.rootOf(value)] = p
    }

    /// Releases the buffers of the operands of instruction `index` that it reads last
    /// (and of its results nothing reads). With `inPlace`, only those an elementwise result
    /// of `count` elements of `elementBytes` can overwrite, before the result is allocated.
    mutating func releaseDying(_ inst: Instruction, at index: Int, inPlace: (count: Int, elementBytes: Int)? = nil) {
        var candidates: [ValueID] = []
        for case .value(let v) in inst.operands { candidates.append(v) }
        if inPlace == nil { candidates += inst.results }
        for v in candidates {
            let r = plan.rootOf(v)
            guard plan.dies(r, at: index), let p = plan.owned[r] else { continue }
            if let (count, size) = inPlace {
                guard case .buffer(_, let d, let s)? = values[v], d.byteSize == size, s.reduce(1, *) == count else { continue }
            }
            plan.owned[r] = nil
            plan.free.append((p, plan.capacity[p] ?? 0))
        }
        if inPlace == nil {
            for p in plan.scratch { plan.free.append((p, plan.capacity[p] ?? 0)) }
            plan.scratch = []
        }
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
