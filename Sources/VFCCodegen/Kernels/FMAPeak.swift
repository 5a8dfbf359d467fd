import CLLVM
import Foundation

/// A loop of independent vector fused multiply-adds, generated for the host like the GEMM
/// microkernel (same vector width, same LLVM target): `vfc-bench gemm` times it to measure
/// the machine's f32 FMA peak in the same run as the products it compares with it.
public enum FMAPeak {
    /// `float loop(i64 iterations, float m, float a)`: 16 accumulators of the host kernel's
    /// vector width, each updated acc = fma(acc, m, a) per iteration, the lanes summed at
    /// the end (so the loop is not removed).
    public typealias Loop = @convention(c) (Int64, Float, Float) -> Float

    /// Accumulators: more than FMA latency x FMA issue width on current x86-64 cores.
    public static let accumulators = 16

    /// Floating-point operations per iteration (2 per lane of each FMA).
    public static func flopsPerIteration(vectorWidth: Int) -> Int { 2 * accumulators * vectorWidth }

    /// Compiles the loop for vectors of `vectorWidth` floats; the code lives as long as the
    /// process.
    public static func compile(vectorWidth: Int) throws -> Loop {
        let address = try GemmKernel.jitCompile(symbol: "vfc_fma_peak") { e, attributes in
            var e = e
            let vec = LLVMVectorType(e.f32, UInt32(vectorWidth))!
            var params: [LLVMTypeRef?] = [e.i64, e.f32, e.f32]
            let fn = LLVMAddFunction(e.module, "vfc_fma_peak", LLVMFunctionType(e.f32, &params, 3, 0))!
            attributes.apply(to: fn, context: e.context)
            e.function = fn
            let b = e.builder
            let entry = e.block("entry"), loop = e.block("loop"), exit = e.block("exit")
            LLVMPositionBuilderAtEnd(b, entry)
            func splat(_ s: LLVMValueRef) -> LLVMValueRef {
                var v: LLVMValueRef = LLVMGetUndef(vec)
                for lane in 0..<vectorWidth { v = LLVMBuildInsertElement(b, v, s, LLVMConstInt(e.i32, UInt64(lane), 0), "") }
                return v
            }
            let m = splat(LLVMGetParam(fn, 1)), add = splat(LLVMGetParam(fn, 2))
            LLVMBuildBr(b, loop)
            LLVMPositionBuilderAtEnd(b, loop)
            let i = LLVMBuildPhi(b, e.i64, "i")!
            let accs = (0..<accumulators).map { _ in LLVMBuildPhi(b, vec, "acc")! }
            let next = accs.map { e.intrinsic("llvm.fma", vec, [$0, m, add]) }
            let iNext = LLVMBuildAdd(b, i, e.i64(1), "")!
            LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, iNext, LLVMGetParam(fn, 0), ""), loop, exit)
            var from: [LLVMBasicBlockRef?] = [entry, loop]
            var iIn: [LLVMValueRef?] = [e.i64(0), iNext]
            LLVMAddIncoming(i, &iIn, &from, 2)
            for (k, (phi, value)) in zip(accs, next).enumerated() {
                var values: [LLVMValueRef?] = [splat(LLVMConstReal(e.f32, Double(k) * 0.001)), value]
                LLVMAddIncoming(phi, &values, &from, 2)
            }
            LLVMPositionBuilderAtEnd(b, exit)
            var total = next[0]
            for v in next.dropFirst() { total = LLVMBuildFAdd(b, total, v, "") }
            var sum = LLVMBuildExtractElement(b, total, LLVMConstInt(e.i32, 0, 0), "")!
            for lane in 1..<vectorWidth {
                sum = LLVMBuildFAdd(b, sum, LLVMBuildExtractElement(b, total, LLVMConstInt(e.i32, UInt64(lane), 0), ""), "")
            }
            LLVMBuildRet(b, sum)
        }
        return unsafeBitCast(address, to: Loop.self)
    }
}
