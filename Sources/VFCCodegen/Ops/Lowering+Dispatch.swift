import CLLVM
import VFCIR

extension FunctionLowering {
    /// The lowering of every op: one exhaustive switch, one file per op family.
    mutating func lowerOp(_ inst: Instruction, _ ops: [Lowered], _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        switch inst.op {
        case .unary, .binary, .compare, .select, .convert:
            try lowerElementwise(inst.op, ops, out, dtype, shape)
        case .constant(let v):
            try lowerConstant(v, out, dtype, shape)
        case .stopGradient, .reshape:
            try lowerCopy(ops[0], out, dtype, shape)
        case .broadcast(_, let dims):
            try lowerBroadcast(dims, ops[0], out, dtype, shape)
        case .transpose(let perm):
            try lowerTranspose(perm, ops[0], out, dtype, shape)
        case .slice(let axis, let start, _, let step):
            try lowerSlice(axis, start, step, ops[0], out, dtype, shape)
        case .pad(let axis, let low, _, let interior):
            try lowerPad(axis, low, interior, ops[0], out, dtype, shape)
        case .concat(let axis):
            try lowerConcat(axis, ops, out, dtype, shape)
        case .take(let axis):
            try lowerTake(axis, ops[0], ops[1], out, dtype, shape, loc: inst.loc)
        case .scatterAdd(let axis, _):
            try lowerScatterAdd(axis, ops[0], ops[1], out, dtype, shape, loc: inst.loc)
        case .nonzero(_, let fill):
            try lowerNonzero(fill, ops[0], out, dtype, shape, loc: inst.loc)
        case .reduce(let kind, let axes, _):
            try lowerReduce(kind, axes, ops[0], out, dtype, shape)
        case .softmax(let axis):
            try lowerSoftmax(axis, log: false, ops[0], out, dtype, shape)
        case .logSoftmax(let axis):
            try lowerSoftmax(axis, log: true, ops[0], out, dtype, shape)
        case .l2Normalize(let axis, let eps):
            try lowerL2Normalize(axis, eps, ops[0], out, dtype, shape)
        case .layerNorm(let eps):
            try lowerLayerNorm(eps, ops, out, dtype, shape)
        case .matmul(let ta, let tb):
            try lowerMatmul(ta, tb, ops[0], ops[1], out, dtype, shape)
        case .linear:
            try lowerLinear(ops, out, dtype, shape)
        case .patchify(let p):
            try lowerPatchify(p, ops[0], out, dtype, shape)
        case .cropSample(let grid, let source):
            try lowerCropSample(grid, source, ops, out, dtype, shape)
        case .cropSampleGrad(let grid, let source, _):
            try lowerCropSampleGrad(grid, source, ops, out, dtype, shape)
        case .cropSampleAdd(let grid, let source):
            try lowerCropSampleAdd(grid, source, ops, out, dtype, shape)
        case .call, .valueAndGrad:
            throw CodegenError.unsupported(inst.loc, "\(inst.op.name): must be inlined or expanded before code generation")
        }
    }
}
