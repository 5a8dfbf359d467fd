import VFCIR
import VFCTensor

/// Matrix products: matmul (plain, batched, rows times a matrix) and linear.
/// Every dot product sums over k = 0, 1, ... in order, starting from 0, in `Double`.
extension Kernels {
    /// [..., m, k] x [..., k, n] (transpose flags swap the last two axes of an operand),
    /// batched over equal leading dims, or with a rank-2 rhs shared by every batch.
    static func matmul(_ ta: Bool, _ tb: Bool, _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let a = try tensor(args, 0), b = try tensor(args, 1)
        let ra = a.rank, rb = b.rank
        let (m, k) = ta ? (a.shape[ra - 1], a.shape[ra - 2]) : (a.shape[ra - 2], a.shape[ra - 1])
        let n = tb ? b.shape[rb - 2] : b.shape[rb - 1]
        let batches = product(a.shape[..<(ra - 2)])
        let bBatch = rb == 2 ? 0 : k * n
        var out = try alloc(spec)
        a.withUnsafeBufferPointer { ab in
            b.withUnsafeBufferPointer { bb in
                out.withUnsafeMutableBufferPointer { o in
                    for t in 0..<batches {
                        let aOff = t * m * k, bOff = t * bBatch, oOff = t * m * n
                        // a(i, p) for either layout of lhs.
                        let (aRow, aCol) = ta ? (1, m) : (k, 1)
                        for i in 0..<m {
                            if tb {
                                // rhs rows are contiguous along k: one dot product per output.
                                for j in 0..<n {
                                    var s = 0.0
                                    for p in 0..<k { s += ab[aOff + i * aRow + p * aCol] * bb[bOff + j * k + p] }
                                    o[oOff + i * n + j] = s
                                }
                            } else {
                                // Accumulating row p of rhs into the output row adds the same
                                // products in the same order as the dot product, but reads
                                // rhs contiguously. The output starts at 0 (alloc zero-fills).
                                for p in 0..<k {
                                    let x = ab[aOff + i * aRow + p * aCol]
                                    let rowOff = bOff + p * n, outOff = oOff + i * n
                                    for j in 0..<n { o[outOff + j] += x * bb[rowOff + j] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// x w^T + b with w [out, in]: each output is the in-order dot product, then + bias.
    static func linear(_ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let x = try tensor(args, 0), w = try tensor(args, 1), bias = try tensor(args, 2)
        let din = w.shape[1], dout = w.shape[0]
        let rows = product(x.shape.dropLast())
        var out = try alloc(spec)
        x.withUnsafeBufferPointer { xb in
            w.withUnsafeBufferPointer { wb in
                bias.withUnsafeBufferPointer { bb in
                    out.withUnsafeMutableBufferPointer { o in
                        for r in 0..<rows {
                            let xOff = r * din
                            for j in 0..<dout {
                                let wOff = j * din
                                var s = 0.0
                                for p in 0..<din { s += xb[xOff + p] * wb[wOff + p] }
                                o[r * dout + j] = s + bb[j]
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
