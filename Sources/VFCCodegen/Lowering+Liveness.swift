import CLLVM
import VFCIR

extension FunctionLowering {
    /// For every value, the index of the last instruction that reads it (`Int.max` for the
    /// values the function returns, which live to the end).
    static func lastUses(_ f: Function) -> [ValueID: Int] {
        var last: [ValueID: Int] = [:]
        for (i, inst) in f.body.enumerated() {
            for case .value(let v) in inst.operands { last[v] = i }
        }
        for case .value(let v) in f.returns { last[v] = Int.max }
        return last
    }

    /// Records that `value` is held in `buffer` (its own allocation, or one it shares as a
    /// reshape), so the buffer lives as long as its last reader.
    mutating func holds(_ value: ValueID, in buffer: LLVMValueRef) {
        guard allocations.contains(buffer) else { return }
        liveUntil[buffer] = Swift.max(liveUntil[buffer] ?? -1, lastUse[value] ?? -1)
    }

    /// Frees, right after instruction `i`, every buffer allocated here whose values are all
    /// dead. Why: a step allocates thousands of intermediates; freed at their last use they
    /// go back to the runtime's cache and are reused by later ops (so peak memory is what is
    /// live at once, not the sum), and their pointers stop being live across the rest of the
    /// function, which otherwise makes LLVM's register allocator superlinear.
    mutating func releaseDead(after i: Int) {
        allocations.removeAll { p in
            guard let until = liveUntil[p], until <= i else { return false }
            _ = e.call("vfc_free", e.void, [e.ptr], [p])
            liveUntil[p] = nil
            return true
        }
    }
}
