import CLLVM
import VFCIR

/// Lowering of reductions and normalisations.
extension FunctionLowering {
    mutating func lowerReduce(_ kind: ReduceOp, _ axes: [Int], _ x: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        throw CodegenError("reduce: no lowering yet")
    }
    mutating func lowerSoftmax(_ axis: Int, log: Bool, _ x: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        throw CodegenError("softmax: no lowering yet")
    }
    mutating func lowerL2Normalize(_ axis: Int, _ eps: Double, _ x: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        throw CodegenError("l2_normalize: no lowering yet")
    }
    mutating func lowerLayerNorm(_ eps: Double, _ ops: [Lowered], _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        throw CodegenError("layer_norm: no lowering yet")
    }
}
