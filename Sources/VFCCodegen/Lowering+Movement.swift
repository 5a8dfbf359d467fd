import CLLVM
import VFCIR

/// Lowering of the data-movement family.
extension FunctionLowering {
    mutating func lowerBroadcast(_ dims: [Int], _ x: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        throw CodegenError("broadcast: no lowering yet")
    }
    mutating func lowerTranspose(_ perm: [Int], _ x: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        throw CodegenError("transpose: no lowering yet")
    }
    mutating func lowerSlice(_ axis: Int, _ start: Int, _ step: Int, _ x: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        throw CodegenError("slice: no lowering yet")
    }
    mutating func lowerPad(_ axis: Int, _ low: Int, _ interior: Int, _ x: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        throw CodegenError("pad: no lowering yet")
    }
    mutating func lowerConcat(_ axis: Int, _ ops: [Lowered], _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        throw CodegenError("concat: no lowering yet")
    }
    mutating func lowerTake(_ axis: Int, _ x: Lowered, _ idx: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int], loc: SourceLoc) throws {
        throw CodegenError("take: no lowering yet")
    }
    mutating func lowerScatterAdd(_ axis: Int, _ u: Lowered, _ idx: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int], loc: SourceLoc) throws {
        throw CodegenError("scatter_add: no lowering yet")
    }
}
