import CLLVM
import VFCIR

/// Lowering of patchify and the crop-sample ops.
extension FunctionLowering {
    mutating func lowerPatchify(_ p: Int, _ x: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        throw CodegenError("patchify: no lowering yet")
    }
    mutating func lowerCropSample(_ grid: Int, _ source: Int, _ ops: [Lowered], _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        throw CodegenError("crop_sample: no lowering yet")
    }
    mutating func lowerCropSampleGrad(_ grid: Int, _ source: Int, _ ops: [Lowered], _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        throw CodegenError("crop_sample_grad: no lowering yet")
    }
    mutating func lowerCropSampleAdd(_ grid: Int, _ source: Int, _ ops: [Lowered], _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        throw CodegenError("crop_sample_add: no lowering yet")
    }
}
