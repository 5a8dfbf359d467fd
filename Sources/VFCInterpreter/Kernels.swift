import VFCIR
import VFCTensor

/// The interpreter's kernels, one file per op family. Each takes the resolved operands and
/// the result's `ResultSpec` and returns the result with unrounded `Double` elements; the
/// dispatcher rounds them to the element type. Kernels run after the op's shape rule has
/// been re-checked on the concrete shapes, so they may rely on it; data-derived indices
/// (take indices, crop boxes) are checked here, with an error rather than a trap.
enum Kernels {
    /// A zero-filled result, or an error when it is over the interpreter's budget.
    static func alloc(_ spec: ResultSpec) throws -> Tensor {
        guard Tensor.checkedElementCount(spec.shape) != nil else {
            throw KernelError.kernelResultOverBudget(spec.dtype, spec.shape)
        }
        return Tensor(dtype: spec.dtype, shape: spec.shape)
    }

    /// The tensor operand `i`; literals are only valid where the shape rule allows them,
    /// so this failing means the rule and the kernel disagree.
    static func tensor(_ args: [Arg], _ i: Int) throws -> Tensor {
        guard i < args.count, case .tensor(let t) = args[i] else {
            throw KernelError.literalOperand(i)
        }
        return t
    }

    static func tensors(_ args: [Arg]) throws -> [Tensor] {
        try args.indices.map { try tensor(args, $0) }
    }

    /// `t` with every element rounded to its dtype (a no-op for f64): done once per op,
    /// after the kernel computed in `Double`.
    static func rounded(_ t: Tensor) -> Tensor {
        var t = t
        switch t.dtype {
        case .f64:
            break
        case .f32:
            t.withUnsafeMutableBufferPointer { b in
                for i in b.indices { b[i] = Double(Float(b[i])) }
            }
        default:
            let d = t.dtype
            t.withUnsafeMutableBufferPointer { b in
                for i in b.indices { b[i] = Tensor.round(b[i], to: d) }
            }
        }
        return t
    }

    /// A possibly negative axis resolved against `rank` (the shape rule checked its range).
    static func axis(_ a: Int, _ rank: Int) throws -> Int {
        let r = a < 0 ? a + rank : a
        guard r >= 0, r < rank else { throw KernelError.axisOutOfRange(a, rank: rank) }
        return r
    }

    /// Row-major strides of `shape`.
    static func strides(_ shape: [Int]) -> [Int] { Tensor.rowMajorStrides(shape) }

    static func product(_ dims: ArraySlice<Int>) -> Int { dims.reduce(1, &*) }

    /// (outer, n, inner) for iterating along `axis`: element (o, k, i) is at
    /// (o * n + k) * inner + i.
    static func split(_ shape: [Int], _ axis: Int) -> (outer: Int, n: Int, inner: Int) {
        (product(shape[..<axis]), shape[axis], product(shape[(axis + 1)...]))
    }

    /// Fills `out` (row-major over `outShape`) from `src`, where output axis i advances
    /// the source by `srcStrides[i]` elements from `offset`: broadcast (stride 0),
    /// transpose (permuted strides) and strided slices are all this one loop.
    static func stridedCopy(_ src: Tensor, offset: Int, srcStrides: [Int], outShape: [Int], into out: inout Tensor) {
        let r = outShape.count
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                if o.isEmpty { return }
                if r == 0 {
                    o[0] = s[offset]
                    return
                }
                let inner = outShape[r - 1], innerStride = srcStrides[r - 1]
                var index = [Int](repeating: 0, count: r)
                var base = offset, k = 0
                while true {
                    var p = base
                    for _ in 0..<inner {
                        o[k] = s[p]
                        k += 1
                        p += innerStride
                    }
                    // Advance the odometer over the outer axes, last axis fastest.
                    var ax = r - 2
                    while ax >= 0 {
                        index[ax] += 1
                        base += srcStrides[ax]
                        if index[ax] < outShape[ax] { break }
                        base -= srcStrides[ax] * outShape[ax]
                        index[ax] = 0
                        ax -= 1
                    }
                    if ax < 0 { return }
                }
            }
        }
    }
}
