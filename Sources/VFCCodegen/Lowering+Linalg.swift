import CLLVM
import VFCIR

/// Lowering of matrix products to OpenBLAS.
extension FunctionLowering {
    mutating func lowerMatmul(_ ta: Bool, _ tb: Bool, _ a: Lowered, _ b: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        throw CodegenError("matmul: no lowering yet")
    }
    mutating func lowerLinear(_ ops: [Lowered], _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        throw CodegenError("linear: no lowering yet")
    }
}
