import VFCIR

/// What fusion may do with an op: an exhaustive switch, so a new op must say.
///
/// A fused kernel (`FusionGraph`) holds elementwise ops around at most one anchor:
/// elementwise ops compute one element at one index from elements at the same index; an
/// anchor is an op whose lowering has its own loops that fused elementwise code can run
/// inside (a prologue that computes the anchor's input on load, an epilogue that is applied
/// to each result element before it is stored).
public enum FusionRole: Equatable, Sendable {
    /// unary, binary, compare, select, convert.
    case elementwise
    /// softmax, log_softmax (last axis), layer_norm: rows with a prologue and an epilogue.
    case rowAnchor
    /// A reduction over trailing axes: a prologue, and an epilogue on the reduced values.
    case reduceAnchor
    /// matmul, linear: the product is BLAS; an epilogue in one pass over its result.
    case gemmAnchor
    /// crop_sample_grad: the field scatter of crop_sample_add's backward, with the masked
    /// selects and token sums of the same gradient (`fuse-crop-sample`), in one pass over
    /// the gradient. An anchor so that `fuse-elementwise` leaves its kernel alone.
    case cropAnchor
    /// Everything else: never fused (yet); `reason` says why.
    case opaque(reason: String)

    /// The role of `inst`, whose operand 0 has `inputRank` dims (for axis checks).
    public static func of(_ inst: Instruction, inputRank: Int) -> FusionRole {
        if inst.op.has(.callsLibm) {
            // A scalar libm call in a fused loop keeps every other op of the kernel from
            // vectorising (the GELU backward chain with a libm erf fused ran about 2x
            // slower than unfused). f32 erf is arithmetic (`Emitter.erfF32`) and
            // vectorises, so it fuses; f64 erf is still libm's, which only the f64
            // reference runs use.
            return .opaque(reason: "\(inst.op.name) calls libm (a scalar loop): fused, it would keep the kernel from vectorising")
        }
        switch inst.op {
        case .unary, .binary, .compare, .select, .convert:
            return .elementwise
        case .softmax(let axis), .logSoftmax(let axis):
            return axis == -1 || axis == inputRank - 1 ? .rowAnchor : .opaque(reason: "\(inst.op.name) over a leading axis is not fused")
        case .layerNorm:
            return .rowAnchor
        case .reduce(_, let axes, _):
            let normalized = Set(axes.map { $0 < 0 ? $0 + inputRank : $0 })
            let trailing = Set((inputRank - normalized.count)..<inputRank)
            return !normalized.isEmpty && normalized == trailing ? .reduceAnchor
                : .opaque(reason: "\(inst.op.name) over leading axes \(axes) is not fused (its loops are not row-wise)")
        case .matmul, .linear:
            return .gemmAnchor
        case .l2Normalize:
            return .opaque(reason: "l2_normalize is not fused yet")
        case .constant, .broadcast, .reshape, .transpose, .slice, .concat, .take, .pad, .scatterAdd, .nonzero, .stopGradient:
            return .opaque(reason: "\(inst.op.name) moves data (not fused)")
        case .cropSampleGrad:
            return .cropAnchor
        case .cropSampleAdd:
            // Already one kernel: the patch embedding, the bilinear samples and both masks.
            return .opaque(reason: "crop_sample_add is one kernel of its own")
        case .patchify, .cropSample:
            return .opaque(reason: "\(inst.op.name) is not fused yet")
        case .call(let callee):
            return .opaque(reason: "call of @\(callee) (inline it first)")
        case .valueAndGrad:
            return .opaque(reason: "value_and_grad (run autodiff first)")
        }
    }

    public var isAnchor: Bool {
        switch self {
        case .rowAnchor, .reduceAnchor, .gemmAnchor, .cropAnchor: return true
        case .elementwise, .opaque: return false
        }
    }
}
