import Foundation
import VFCIR
import VFCTensor

/// Reductions and the normalisations built on them: reduce_*, softmax, log_softmax,
/// l2_normalize, layer_norm. Every sum runs sequentially in row-major order in `Double`,
/// so results do not depend on how a backend would split the work.
extension Kernels {
    /// reduce_{sum,max,min,mean}: one pass over the operand in row-major order, each
    /// element combined into its output slot, so each output sees its inputs in row-major
    /// order. Empty reductions give 0 (sum), NaN (mean), -inf (max), +inf (min); max/min
    /// propagate NaN.
    static func reduce(_ kind: ReduceOp, _ axes: [Int], _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let x = try tensor(args, 0)
        let r = x.rank
        var reduced = Set<Int>()
        for a in axes { reduced.insert(try axis(a, r)) }
        let kept = (0..<r).filter { !reduced.contains($0) }
        let keptStrides = strides(kept.map { x.shape[$0] })
        // The output offset that input axis i advances by: 0 along reduced axes.
        var ost = [Int](repeating: 0, count: r)
        for (j, i) in kept.enumerated() { ost[i] = keptStrides[j] }
        var out = try alloc(spec)
        let initial: Double = kind == .max ? -.infinity : kind == .min ? .infinity : 0
        x.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { o in
                o.initialize(repeating: initial)
                switch kind {
                case .sum, .mean: accumulate(xb, x.shape, ost, o) { $0 + $1 }
                case .max: accumulate(xb, x.shape, ost, o) { acc, v in v.isNaN || v > acc ? v : acc }
                case .min: accumulate(xb, x.shape, ost, o) { acc, v in v.isNaN || v < acc ? v : acc }
                }
                if kind == .mean {
                    let n = Double(reduced.reduce(1) { $0 * x.shape[$1] })
                    for i in o.indices { o[i] /= n }
                }
            }
        }
        return out
    }

    /// o[offset(i)] = combine(o[offset(i)], x[i]) for every input element i in row-major
    /// order, where offset advances by ost[axis] along each axis.
    @inline(__always)
    private static func accumulate(
        _ x: UnsafeBufferPointer<Double>, _ shape: [Int], _ ost: [Int], _ o: UnsafeMutableBufferPointer<Double>,
        _ combine: (Double, Double) -> Double
    ) {
        if x.isEmpty { return }
        let r = shape.count
        if r == 0 {
            o[0] = combine(o[0], x[0])
            return
        }
        let inner = shape[r - 1], innerStride = ost[r - 1]
        var index = [Int](repeating: 0, count: r)
        var base = 0, k = 0
        while true {
            var p = base
            for _ in 0..<inner {
                o[p] = combine(o[p], x[k])
                k += 1
                p += innerStride
            }
            var ax = r - 2
            while ax >= 0 {
                index[ax] += 1
                base += ost[ax]
                if index[ax] < shape[ax] { break }
                base -= ost[ax] * shape[ax]
                index[ax] = 0
                ax -= 1
            }
            if ax < 0 { return }
        }
    }

    /// Calls `body(base, stride, n)` for every line of the operand along `axis`: the line's
    /// elements are at base + k * stride, k in 0..<n.
    @inline(__always)
    private static func forEachLine(_ shape: [Int], _ axis: Int, _ body: (Int, Int, Int) -> Void) {
        let (outer, n, inner) = split(shape, axis)
        for o in 0..<outer {
            for i in 0..<inner { body(o * n * inner + i, inner, n) }
        }
    }

    /// softmax or log_softmax along `axis`, stable: the line's max is subtracted first
    /// (0 instead when the max is infinite, which keeps all -inf lines from becoming
    /// inf - inf before the sum).
    static func softmax(_ axis: Int, log: Bool, _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let x = try tensor(args, 0)
        let a = try Kernels.axis(axis, x.rank)
        var out = try alloc(spec)
        x.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { o in
                forEachLine(x.shape, a) { base, stride, n in
                    var m = -Double.infinity
                    for k in 0..<n { m = maxNaN(m, xb[base + k * stride]) }
                    let shift = m.isFinite ? m : 0
                    var s = 0.0
                    for k in 0..<n {
                        let e = Foundation.exp(xb[base + k * stride] - shift)
                        o[base + k * stride] = e
                        s += e
                    }
                    if log {
                        let ls = Foundation.log(s)
                        for k in 0..<n { o[base + k * stride] = (xb[base + k * stride] - shift) - ls }
                    } else {
                        for k in 0..<n { o[base + k * stride] /= s }
                    }
                }
            }
        }
        return out
    }

    /// x / max(||x||, eps) along `axis`, the norm summing squares in order.
    static func l2Normalize(_ axis: Int, _ eps: Double, _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let x = try tensor(args, 0)
        let a = try Kernels.axis(axis, x.rank)
        var out = try alloc(spec)
        x.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { o in
                forEachLine(x.shape, a) { base, stride, n in
                    var s = 0.0
                    for k in 0..<n { s += xb[base + k * stride] * xb[base + k * stride] }
                    let d = maxNaN(s.squareRoot(), eps)
                    for k in 0..<n { o[base + k * stride] = xb[base + k * stride] / d }
                }
            }
        }
        return out
    }

    /// (x - mean) / sqrt(var + eps) * w + b over the last axis, with the biased variance
    /// (divided by D) computed from the mean in a second pass (method.md section 3).
    static func layerNorm(_ eps: Double, _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let x = try tensor(args, 0), w = try tensor(args, 1), b = try tensor(args, 2)
        let d = x.shape.last ?? 1
        let rows = d == 0 ? 0 : x.count / d
        var out = try alloc(spec)
        x.withUnsafeBufferPointer { xb in
            w.withUnsafeBufferPointer { wb in
                b.withUnsafeBufferPointer { bb in
                    out.withUnsafeMutableBufferPointer { o in
                        for r in 0..<rows {
                            let base = r * d
                            var s = 0.0
                            for k in 0..<d { s += xb[base + k] }
                            let mean = s / Double(d)
                            var v = 0.0
                            for k in 0..<d {
                                let c = xb[base + k] - mean
                                v += c * c
                            }
                            let den = (v / Double(d) + eps).squareRoot()
                            for k in 0..<d { o[base + k] = (xb[base + k] - mean) / den * wb[k] + bb[k] }
                        }
                    }
                }
            }
        }
        return out
    }
}
