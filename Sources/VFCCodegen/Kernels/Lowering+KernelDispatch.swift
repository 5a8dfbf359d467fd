import VFCIR

extension FunctionLowering {
    /// Lowers `call` of a fused kernel by the kind the fuse pass stamped on it, or returns
    /// false when the callee is not a kernel (the caller then reports the call as not
    /// inlined). A kernel whose body does not have its kind's form is an internal error.
    mutating func lowerFusedCall(_ inst: Instruction, _ ops: [Lowered], at index: Int) throws -> Bool {
        guard case .call(let callee) = inst.op, let f = module.function(named: callee), let kind = f.fusionKind else { return false }
        func form<K>(_ kernel: K?) throws -> K {
            guard let kernel else { throw CodegenError.internalError("kernel @\(callee) does not have the form of a fused(\(kind.rawValue)) kernel") }
            return kernel
        }
        switch kind {
        case .loop, .row, .reduce, .epilogue:
            let k = try form(FusedKernel(f))
            guard k.kind == kind else { throw CodegenError.internalError("kernel @\(callee) is stamped fused(\(kind.rawValue)) but has the form of fused(\(k.kind.rawValue))") }
            try lowerFusedKernel(inst, ops, f, k, at: index)
        case .cropSample:
            // Not in place: the kernel reads the gradient again after storing its selects.
            try lowerCropSampleCall(inst, ops, try form(CropSampleKernel(f)))
        case .multiTensor:
            try lowerMultiTensorCall(inst, try form(MultiTensorKernel(f, module: module)), ops)
        case .multiSum:
            try lowerMultiReductionCall(inst, try form(MultiReductionKernel(f, module: module)), ops)
        }
        return true
    }
}
