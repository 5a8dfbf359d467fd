import VFCIR

/// Gradient rules of matrix products, as matrix products. Transposes ride on matmul's
/// transpose flags; an explicit transpose is emitted only where no flag can express it
/// (a rank-2 factor would have to be the lhs of a higher-rank one).
extension GradRules {
    /// For C = op(A) op(B) (op = identity or a swap of the last two axes):
    ///   d op(A) = dC op(B)^T,  d op(B) = op(A)^T dC,
    /// and undoing op on the left-hand side turns each into one matmul with flags:
    ///   (F, F): dA = dC B^T          dB = A^T dC
    ///   (F, T): dA = dC B            dB = dC^T A
    ///   (T, F): dA = B dC^T          dB = A dC
    ///   (T, T): dA = B^T dC^T        dB = dC^T A^T
    /// These hold per batch for equal-rank operands. A rank > 2 lhs with a rank-2 rhs
    /// shares B across all leading dims of A, so dB sums over them (`rowsTimesMatrixVJP`).
    static func matmulVJP(_ ta: Bool, _ tb: Bool, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> [Operand?] {
        let dy = try c.dy(), x = c.x(0), w = c.x(1)
        let at = try c.type(0), bt = try c.type(1)
        if at.rank > 2 && bt.rank == 2 { return try rowsTimesMatrixVJP(ta, tb, c, &b) }
        var da: Operand?, db: Operand?
        if c.needs[0] {
            switch (ta, tb) {
            case (false, false): da = try matmul(dy, w, false, true, &b)
            case (false, true): da = try matmul(dy, w, false, false, &b)
            case (true, false): da = try matmul(w, dy, false, true, &b)
            case (true, true): da = try matmul(w, dy, true, true, &b)
            }
        }
        if c.needs[1] {
            switch (ta, tb) {
            case (false, false): db = try matmul(x, dy, true, false, &b)
            case (false, true): db = try matmul(dy, x, true, false, &b)
            case (true, false): db = try matmul(x, dy, false, false, &b)
            case (true, true): db = try matmul(dy, x, true, true, &b)
            }
        }
        return [da, db]
    }

    /// A [..., m, k] (or [..., k, m] with transpose_a) times a rank-2 B.
    ///
    /// dA: with op(A) = A the table's products keep dC as the lhs and work directly. With
    /// transpose_a the table puts the rank-2 B first, which matmul does not accept, so
    /// d op(A) = dC op(B)^T is formed instead and its last two axes swapped.
    ///
    /// dB: the leading dims of A and dC flatten into rows ([R, k] and [R, n]), and one
    /// matmul contracts over all rows at once, which is the sum over the leading dims.
    /// With transpose_a, A is [..., k, m] and must be swapped to [..., m, k] first: its
    /// rows are not contiguous otherwise.
    static func rowsTimesMatrixVJP(_ ta: Bool, _ tb: Bool, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> [Operand?] {
        let dy = try c.dy(), x = c.x(0), w = c.x(1)
        let at = try c.type(0)
        let r = at.rank
        let swapLast = Array(0..<(r - 2)) + [r - 1, r - 2]
        var da: Operand?, db: Operand?
        if c.needs[0] {
            // dC op(B)^T: op(B)^T is B^T when op is the identity and B when it swaps.
            let dOpA = try matmul(dy, w, false, !tb, &b)
            da = ta ? try b.transpose(dOpA, swapLast) : dOpA
        }
        if c.needs[1] {
            let opA = ta ? try b.transpose(x, swapLast) : x
            let k = at.shape[ta ? r - 2 : r - 1]
            // dC is [..., m, n]: its leading dims are the rows of op(A) as well.
            let dShape = try b.tensorType(dy).shape
            let rows = try rowCount(Array(dShape.dropLast()), &b)
            let n = dShape[r - 1]
            let aRows = try b.reshape(opA, [rows, k])
            let dRows = try b.reshape(dy, [rows, n])
            // dB = op(A)^T dC for B, and its transpose dC^T op(A) for B^T.
            db = tb ? try matmul(dRows, aRows, true, false, &b) : try matmul(aRows, dRows, true, false, &b)
        }
        return [da, db]
    }

    /// y = x w^T + b with x [..., in], w [out, in], b [out]:
    ///   dx = dy w (as rows), dw = dy_rows^T x_rows, db = dy summed over the leading axes.
    /// A rank-1 x is one row; matmul wants rank >= 2, so dy goes through [1, out] then.
    static func linearVJP(_ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> [Operand?] {
        let dy = try c.dy(), x = c.x(0), w = c.x(1)
        let xt = try c.type(0), wt = try c.type(1)
        let out = wt.shape[0], width = wt.shape[1]
        let lead = Array(xt.shape.dropLast())
        var dx: Operand?, dw: Operand?, dbias: Operand?
        if c.needs[0] {
            if xt.rank >= 2 {
                dx = try matmul(dy, w, false, false, &b)
            } else {
                let g = try matmul(try b.reshape(dy, [1, out]), w, false, false, &b)
                dx = try b.reshape(g, xt.shape)
            }
        }
        if c.needs[1] {
            let rows = try rowCount(lead, &b)
            let dRows = try b.reshape(dy, [rows, out])
            let xRows = try b.reshape(x, [rows, width])
            dw = try matmul(dRows, xRows, true, false, &b)
        }
        if c.needs[2] {
            dbias = try b.reduceSum(dy, axes: Array(lead.indices))
        }
        return [dx, dw, dbias]
    }

    private static func matmul(_ l: Operand, _ r: Operand, _ ta: Bool, _ tb: Bool, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand {
        try b.emit(.matmul(transposeA: ta, transposeB: tb), [l, r])
    }

    /// The number of rows when leading dims are flattened (symbols multiply as monomials).
    private static func rowCount(_ dims: [Dim], _ b: inout GradBuilder) throws(DiagnosticError) -> Dim {
        guard let rows = product(dims) else { throw b.internalError("row count overflows") }
        return rows
    }
}
