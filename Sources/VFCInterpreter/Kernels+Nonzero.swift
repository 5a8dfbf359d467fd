import VFCIR
import VFCTensor

extension Kernels {
    /// The flat row-major indices of the mask's nonzero elements (NaN counts as nonzero,
    /// as `x != 0` says), increasing, then `fill` up to the result's length. More nonzero
    /// elements than that length is an error: the result could not hold them all.
    static func nonzero(_ fill: Int, _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let x = try tensor(args, 0)
        guard spec.shape.count == 1 else {
            throw KernelError.internalError("nonzero result \(Binding.shapeString(spec.shape)) is not rank 1")
        }
        let size = spec.shape[0]
        let found: [Int] = x.withUnsafeBufferPointer { xb in xb.indices.filter { xb[$0] != 0 } }
        guard found.count <= size else { throw KernelError.nonzeroOverflow(count: found.count, size: size) }
        var out = try alloc(spec)
        out.withUnsafeMutableBufferPointer { o in
            for j in 0..<size { o[j] = Double(j < found.count ? found[j] : fill) }
        }
        return out
    }
}
