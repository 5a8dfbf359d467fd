import VFCIR
import VFCTensor

/// Data-movement kernels: broadcast, reshape, transpose, slice, concat, take, pad. They
/// copy already-rounded values, so their results need no rounding. scatter_add, the
/// transpose of take, sums values and is rounded by the dispatcher.
extension Kernels {
    /// XLA broadcast_in_dim: operand axis k is result axis dims[k]; size-1 operand axes
    /// and result axes not in `dims` repeat the operand (stride 0).
    static func broadcast(_ dims: [Int], _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let x = try tensor(args, 0)
        let xs = strides(x.shape)
        var src = [Int](repeating: 0, count: spec.shape.count)
        for (k, d) in dims.enumerated() where x.shape[k] != 1 { src[d] = xs[k] }
        var out = try alloc(spec)
        stridedCopy(x, offset: 0, srcStrides: src, outShape: spec.shape, into: &out)
        return out
    }

    /// Row-major order is kept, so the result shares the operand's buffer.
    static func reshape(_ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let x = try tensor(args, 0)
        guard let out = x.reshaped(to: spec.shape) else {
            throw KernelError.reshape(from: x.shape, to: spec.shape)
        }
        return out
    }

    /// Result axis i is operand axis perm[i].
    static func transpose(_ perm: [Int], _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let x = try tensor(args, 0)
        let xs = strides(x.shape)
        var out = try alloc(spec)
        stridedCopy(x, offset: 0, srcStrides: perm.map { xs[$0] }, outShape: spec.shape, into: &out)
        return out
    }

    /// Elements start, start + step, ... below end along one axis.
    static func slice(_ axis: Int, _ start: Int, _ step: Int, _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let x = try tensor(args, 0)
        let a = try Kernels.axis(axis, x.rank)
        var src = strides(x.shape)
        let offset = start * src[a]
        src[a] *= step
        var out = try alloc(spec)
        stridedCopy(x, offset: offset, srcStrides: src, outShape: spec.shape, into: &out)
        return out
    }

    /// Operands one after another along `axis`: for each outer index, each operand's
    /// contiguous block of (its size along axis) x inner elements.
    static func concat(_ axis: Int, _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let xs = try tensors(args)
        let a = try Kernels.axis(axis, spec.shape.count)
        let (outer, _, inner) = split(spec.shape, a)
        var out = try alloc(spec)
        out.withUnsafeMutableBufferPointer { o in
            var k = 0
            for i in 0..<outer {
                for x in xs {
                    let block = x.shape[a] * inner
                    x.withUnsafeBufferPointer { xb in
                        for j in 0..<block { o[k + j] = xb[i * block + j] }
                    }
                    k += block
                }
            }
        }
        return out
    }

    /// numpy take: result[o, idx..., i] = x[o, indices[idx...], i]. Indices must lie in
    /// [0, size) (negative indices do not wrap): an index out of range is an error.
    static func take(_ axis: Int, _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let x = try tensor(args, 0), idx = try tensor(args, 1)
        let a = try Kernels.axis(axis, x.rank)
        let (outer, n, inner) = split(x.shape, a)
        let m = idx.count
        let rows = try checkedIndices(idx, size: n, axis: a)
        var out = try alloc(spec)
        x.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { o in
                var k = 0
                for i in 0..<outer {
                    for j in 0..<m {
                        let base = (i * n + rows[j]) * inner
                        for e in 0..<inner { o[k + e] = xb[base + e] }
                        k += inner
                    }
                }
            }
        }
        return out
    }

    /// Zeros with x's elements at low + k * (interior + 1) along `axis` (the transpose of
    /// a strided slice: pad(low = start, interior = step - 1) puts every element back).
    static func pad(_ axis: Int, _ low: Int, _ interior: Int, _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let x = try tensor(args, 0)
        let a = try Kernels.axis(axis, x.rank)
        let (outer, n, inner) = split(x.shape, a)
        let m = spec.shape[a]
        var out = try alloc(spec)
        x.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<outer {
                    for k in 0..<n {
                        let src = (i * n + k) * inner
                        let dst = (i * m + low + k * (interior + 1)) * inner
                        for e in 0..<inner { o[dst + e] = xb[src + e] }
                    }
                }
            }
        }
        return out
    }

    /// The transpose of take: zeros of shape updates[:axis] + [size] + updates[axis+r:]
    /// (r = rank of the indices), then updates[o, p..., i] added into result[o, indices[p...], i]
    /// in row-major order over the updates, so repeated indices sum in a fixed order.
    /// Indices must lie in [0, size): one out of range is an error, as for take.
    static func scatterAdd(_ axis: Int, _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let u = try tensor(args, 0), idx = try tensor(args, 1)
        guard axis >= 0, axis < spec.shape.count else {
            throw KernelError.axisOutOfRange(axis, rank: spec.shape.count)
        }
        let (outer, size, inner) = split(spec.shape, axis)
        let m = idx.count
        guard u.count == outer * m * inner else {
            throw KernelError.internalError("updates \(Binding.shapeString(u.shape)) do not match the result \(Binding.shapeString(spec.shape))")
        }
        let rows = try checkedIndices(idx, size: size, axis: axis)
        var out = try alloc(spec)
        u.withUnsafeBufferPointer { ub in
            out.withUnsafeMutableBufferPointer { o in
                var k = 0
                for i in 0..<outer {
                    for j in 0..<m {
                        let base = (i * size + rows[j]) * inner
                        for e in 0..<inner { o[base + e] += ub[k + e] }
                        k += inner
                    }
                }
            }
        }
        return out
    }

    /// The indices of take/scatter_add as Ints, each checked to be in 0..<size (NaN too).
    static func checkedIndices(_ idx: Tensor, size: Int, axis: Int) throws -> [Int] {
        try idx.withUnsafeBufferPointer { ib in
            try ib.enumerated().map { j, v in
                // Written so that NaN fails too; the Int conversion is then in range.
                guard v >= 0, v < Double(size) else {
                    throw KernelError.indexOutOfRange(v, position: j, axis: axis, size: size)
                }
                return Int(v)
            }
        }
    }
}
