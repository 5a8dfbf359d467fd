import CLLVM

/// The trip count of a kernel's outer loop (elements, rows, product rows): fixed at compile
/// time, or an i64 value read from the dim block (`RuntimeDims`) in the kernel that runs
/// the loop. The loop's body is the same code for both; a fixed count emits exactly the
/// code `parallelLoop` emits.
enum OuterCount {
    case fixed(Int)
    case runtime(LLVMValueRef)

    /// False only for a fixed count of zero (no loop is emitted).
    var mayRun: Bool {
        if case .fixed(let n) = self { return n > 0 }
        return true
    }
}

extension FunctionLowering {
    /// for i in 0..<count: body, split across the runtime's threads when the work is large
    /// enough: `parallelLoop` for a fixed count, `runtimeParallelLoop` (a run-time test of
    /// the work) for a run-time one.
    mutating func outerLoop(
        _ count: OuterCount, workPerIteration: Int = 1, buffers: [LLVMValueRef],
        _ body: (inout FunctionLowering, LLVMValueRef, [LLVMValueRef]) throws -> Void
    ) throws {
        switch count {
        case .fixed(let n): try parallelLoop(n, workPerIteration: workPerIteration, buffers: buffers, body)
        case .runtime(let n): try runtimeParallelLoop(n, workPerIteration: workPerIteration, buffers: buffers, body)
        }
    }
}
