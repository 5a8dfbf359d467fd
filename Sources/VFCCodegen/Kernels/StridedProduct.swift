/// A batch of products C[t] = op(A[t]) op(B[t]) whose operands and result are strided views
/// of their buffers (`StridedLayout`): attention's per-head products read q, k and v in
/// place in the qkv rows, and write the heads' outputs straight into [N, T, heads * dh].
///
/// Each side is given in terms of the product: op(A)[i][kk] at `a.offset + sum(t_d *
/// a.batch[d]) + i * a.row + kk * a.col`, op(B)[kk][j] with `b.row` along kk and `b.col`
/// along j, C[i][j] with `c.row` along i and `c.col` along j. A dense operand is the special
/// case the lowering always had (`dense`).
struct StridedProduct: Hashable, CustomStringConvertible {
    struct Side: Hashable {
        var offset: Int
        /// One stride per batch axis (0: the same matrix for every item, as a shared rank-2 b).
        var batch: [Int]
        var row: Int
        var col: Int
    }

    var m: Int, n: Int, k: Int
    /// The result's batch axes.
    var batchShape: [Int]
    var a: Side, b: Side, c: Side
    /// The op's transpose flags: the BLAS form tried first where both fit (an axis of
    /// extent 1), so a dense product makes the calls it always made.
    var ta: Bool, tb: Bool

    var batches: Int { batchShape.reduce(1, *) }

    /// The product of `matmul {transpose_a = ta, transpose_b = tb}` on operands laid out as
    /// `a` and `b`, into a result laid out as `c`; nil when the ranks do not fit.
    init?(ta: Bool, tb: Bool, a la: StridedLayout, b lb: StridedLayout, c lc: StridedLayout) {
        let ra = la.shape.count, rb = lb.shape.count, rc = lc.shape.count
        self.ta = ta
        self.tb = tb
        guard ra >= 2, rb >= 2, rc == ra, rb == 2 || rb == ra else { return nil }
        m = ta ? la.shape[ra - 1] : la.shape[ra - 2]
        k = ta ? la.shape[ra - 2] : la.shape[ra - 1]
        n = tb ? lb.shape[rb - 2] : lb.shape[rb - 1]
        let kb = tb ? lb.shape[rb - 1] : lb.shape[rb - 2]
        batchShape = Array(lc.shape.dropLast(2))
        guard kb == k, lc.shape[rc - 2] == m, lc.shape[rc - 1] == n, Array(la.shape.dropLast(2)) == batchShape,
              rb == 2 || Array(lb.shape.dropLast(2)) == batchShape else { return nil }
        a = Side(offset: la.offset, batch: Array(la.strides.dropLast(2)),
                 row: ta ? la.strides[ra - 1] : la.strides[ra - 2], col: ta ? la.strides[ra - 2] : la.strides[ra - 1])
        b = Side(offset: lb.offset, batch: rb == 2 ? Array(repeating: 0, count: batchShape.count) : Array(lb.strides.dropLast(2)),
                 row: tb ? lb.strides[rb - 1] : lb.strides[rb - 2], col: tb ? lb.strides[rb - 2] : lb.strides[rb - 1])
        c = Side(offset: lc.offset, batch: Array(lc.strides.dropLast(2)), row: lc.strides[rc - 2], col: lc.strides[rc - 1])
    }

    /// The dense product `lowerMatmul` has always computed: a, b and the result row-major.
    static func dense(ta: Bool, tb: Bool, a: [Int], b: [Int], c: [Int]) -> StridedProduct? {
        StridedProduct(ta: ta, tb: tb, a: .dense(a), b: .dense(b), c: .dense(c))
    }

    /// How BLAS reads a rows x cols matrix whose elements are `row` and `col` apart:
    /// row-major with leading dimension ld (trans false), or the row-major transpose
    /// (trans true); nil when neither stride is 1 (or the rows would overlap). An axis of
    /// extent 1 has any stride.
    static func blas(rows: Int, cols: Int, row: Int, col: Int, preferTrans: Bool = false) -> (trans: Bool, ld: Int)? {
        func plain() -> (trans: Bool, ld: Int)? {
            guard cols == 1 || col == 1 else { return nil }
            let ld = rows == 1 ? Swift.max(cols, 1) : row
            return ld >= Swift.max(cols, 1) ? (false, ld) : nil
        }
        func transposed() -> (trans: Bool, ld: Int)? {
            guard rows == 1 || row == 1 else { return nil }
            let ld = cols == 1 ? Swift.max(rows, 1) : col
            return ld >= Swift.max(rows, 1) ? (true, ld) : nil
        }
        return preferTrans ? transposed() ?? plain() : plain() ?? transposed()
    }

    /// Whether the item loop packs op(B) (its columns are not contiguous).
    var packsB: Bool { n > 1 && b.col != 1 }

    /// Whether the result's rows are contiguous (the only result layout either kernel writes).
    var storesRows: Bool { n == 1 || c.col == 1 }

    /// The BLAS form of each operand and the result, for a loop of sgemm calls; nil when
    /// some side has no unit stride.
    var blasForm: (ta: Bool, lda: Int, tb: Bool, ldb: Int, ldc: Int)? {
        guard let fa = Self.blas(rows: m, cols: k, row: a.row, col: a.col, preferTrans: ta),
              let fb = Self.blas(rows: k, cols: n, row: b.row, col: b.col, preferTrans: tb),
              let fc = Self.blas(rows: m, cols: n, row: c.row, col: c.col), !fc.trans else { return nil }
        return (fa.trans, fa.ld, fb.trans, fb.ld, fc.ld)
    }

    /// Whether the result is dense and each item's rows follow the previous item's (the
    /// epilogue of a fused kernel addresses the result by row).
    var denseResult: Bool {
        c.offset == 0 && storesRows && (m == 1 || c.row == n)
            && batchShape.indices.allSatisfy { d in batchShape[d] == 1 || c.batch[d] == m * n * batchShape[(d + 1)...].reduce(1, *) }
    }

    var description: String {
        "\(batchShape) x \(m)x\(n)x\(k) a\(a.offset)\(a.batch)/\(a.row),\(a.col) b\(b.offset)\(b.batch)/\(b.row),\(b.col) c\(c.offset)\(c.batch)/\(c.row),\(c.col)"
    }
}
