import CLLVM
import VFCIR

/// Lowering of matrix products to calls of the runtime: `vfc_sgemm` for f32 (vfc's
/// generated kernel or OpenBLAS, chosen per shape: gemm.c, GemmKernel.swift), `vfc_dgemm`
/// for f64 (runtime_gemm.c: cblas_sgemm / cblas_dgemm split over the pool's threads; defined in
/// the JIT by address, linked by name ahead of time), row-major, alpha 1,
/// beta 0. blasint is 32-bit (Debian's OpenBLAS is built without OPENBLAS_USE64BITINT),
/// so every size and leading dimension must fit in an i32. The verifier admits float
/// operands only. Products with an empty contraction (K = 0) make no call: the result is
/// zero-filled.
///
/// Precision: OpenBLAS accumulates in the element type (f32 dot products in float, in
/// its own blocked order), unlike the interpreter's in-order double sums, so an f32 result
/// that cancels to nearly zero carries an error relative to the terms it sums, not to
/// itself (parity is judged norm-wise for that reason, see the tests' Support.swift).
/// Widening f32 operands to double for dgemm would match the interpreter exactly, at
/// roughly 2-3x the time of sgemm on 1024^3 (measured on a shared 2-core host).
extension FunctionLowering {
    /// `epilogue` (f32 only): a fused kernel's elementwise code, applied to each part of the
    /// result as the product completes it (Lowering+GemmEpilogue.swift).
    mutating func lowerMatmul(_ ta: Bool, _ tb: Bool, _ a: Lowered, _ b: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int],
                              epilogue: GemmEpilogue? = nil) throws {
        guard case .buffer(let ap, _, let ash) = a, case .buffer(let bp, _, let bsh) = b else {
            throw CodegenError.internalError("matmul of a literal")
        }
        let ra = ash.count, rb = bsh.count
        let (m, k) = ta ? (ash[ra - 1], ash[ra - 2]) : (ash[ra - 2], ash[ra - 1])
        let n = tb ? bsh[rb - 2] : bsh[rb - 1]
        let batches = ash[..<(ra - 2)].reduce(1, *)
        if batches * m * n == 0 { return }
        if k == 0 {
            zeroFill(out, dtype, batches * m * n)
            if let epilogue { callEpilogue(epilogue, context: epilogue.context, rows: e.i64(0), e.i64(batches * m), cols: n) }
            return
        }
        // Leading dimensions: a is stored [m, k] ([k, m] transposed), b [k, n] ([n, k]).
        let lda = ta ? m : k, ldb = tb ? k : n
        if rb == 2 && !ta {
            // Rows of a times one matrix: the rows of every batch are contiguous, so one
            // product with M = batches * m.
            try gemm(dtype, ta, tb, batches * m, n, k, ap, lda, bp, ldb, out, n, epilogue: epilogue)
            return
        }
        if batches == 1 {
            try gemm(dtype, ta, tb, m, n, k, ap, lda, bp, ldb, out, n, epilogue: epilogue)
            return
        }
        // A loop of products: batched same-rank operands, or transposed batches of a
        // sharing a rank-2 b, one kernel over the batch (StridedBatchedGemm.swift).
        guard let p = StridedProduct.dense(ta: ta, tb: tb, a: ash, b: bsh, c: shape) else {
            throw CodegenError.internalError("matmul of \(ash) and \(bsh) into \(shape)")
        }
        try stridedBatchedGemm(dtype, p, ap, bp, out, epilogue: epilogue)
    }

    /// The profile site of a product (nil when not profiling): "MxNxK" with the transposed
    /// operands, prefixed by the batch count of a loop of products.
    private func profileSite(_ d: DType, _ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, batches: Int = 1) -> Int? {
        profile?.add(.sgemm, name: "", op: d == .f32 ? "sgemm" : "dgemm",
                     detail: "\(batches > 1 ? "\(batches) x " : "")\(m)x\(n)x\(k)\(ta ? " A^T" : "")\(tb ? " B^T" : "")",
                     parent: LLVMSupport.valueName(e.function))
    }

    /// x w^T + b: one product of the rows of x [rows, in] with w [out, in] transposed,
    /// then the bias added to every row.
    mutating func lowerLinear(_ ops: [Lowered], _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        guard ops.count == 3, case .buffer(let xp, _, let xs) = ops[0], case .buffer(let wp, _, let ws) = ops[1],
              case .buffer(let bp, _, _) = ops[2] else { throw CodegenError.internalError("linear needs tensor x, weight, bias") }
        let dout = ws[0], din = ws[1]
        let rows = xs.dropLast().reduce(1, *)
        if rows * dout == 0 { return }
        if din > 0 {
            try gemm(dtype, false, true, rows, dout, din, xp, din, wp, din, out, dout)
        } else {
            zeroFill(out, dtype, rows * dout)
        }
        addRowBias(out, bp, dtype, rows: e.i64(rows), cols: e.i64(dout))
    }

    /// out[r, j] += bias[j] for every row r of `rows` rows of `cols` (i64 values).
    func addRowBias(_ out: LLVMValueRef, _ bp: LLVMValueRef, _ dtype: DType, rows: LLVMValueRef, cols: LLVMValueRef) {
        e.loop(rows, "row") { r in
            let base = e.mul(r, cols)
            e.loop(cols, "col") { j in
                let i = e.add(base, j)
                let v = e.fastMath(LLVMBuildFAdd(e.builder, e.load(out, dtype, i), e.load(bp, dtype, j), ""))
                e.store(v, out, dtype, i)
            }
        }
    }

    func zeroFill(_ p: LLVMValueRef, _ d: DType, _ count: Int) {
        LLVMBuildMemSet(e.builder, p, LLVMConstInt(e.i8, 0, 0), e.i64(count * d.byteSize), 1)
    }

    private func checkBLASSizes(_ sizes: [Int]) throws {
        for s in sizes where s > Int(Int32.max) {
            throw CodegenError.blasSizeLimit(op: "matmul", size: s)
        }
    }

    /// C[M, N] = op(A)[M, K] op(B)[K, N], row-major, through the runtime's vfc_sgemm /
    /// vfc_dgemm (OpenBLAS split over the pool's threads). `profiled: false` inside a
    /// parallel loop body, whose calls the profile does not see. With an `epilogue` (f32):
    /// vfc_sgemm_fused, C's row r being row `rowOffset + r` for the epilogue.
    func gemm(_ d: DType, _ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int,
              _ a: LLVMValueRef, _ lda: Int, _ b: LLVMValueRef, _ ldb: Int, _ c: LLVMValueRef, _ ldc: Int,
              profiled: Bool = true, epilogue: GemmEpilogue? = nil, rowOffset: LLVMValueRef? = nil) throws {
        guard d.isFloat else { throw CodegenError.internalError("matmul of \(d)") }
        try checkBLASSizes([m, n, k, lda, ldb, ldc])
        let i32 = e.i32
        func int(_ v: Int) -> LLVMValueRef { LLVMConstInt(i32, UInt64(v), 1) }
        let site = profiled ? profileSite(d, ta, tb, m, n, k) : nil
        if let site { profileBegin(site) }
        defer { if let site { profileEnd(site) } }
        if let epilogue, d == .f32 {
            _ = e.call("vfc_sgemm_fused", e.void,
                       [i32, i32, i32, i32, i32, e.ptr, i32, e.ptr, i32, e.ptr, i32, e.ptr, e.ptr, e.i64],
                       [int(ta ? 1 : 0), int(tb ? 1 : 0), int(m), int(n), int(k),
                        a, int(Swift.max(lda, 1)), b, int(Swift.max(ldb, 1)), c, int(Swift.max(ldc, 1)),
                        epilogue.function, epilogue.context, rowOffset ?? e.i64(0)])
            return
        }
        _ = e.call(d == .f32 ? "vfc_sgemm" : "vfc_dgemm", e.void,
                   [i32, i32, i32, i32, i32, e.ptr, i32, e.ptr, i32, e.ptr, i32],
                   [int(ta ? 1 : 0), int(tb ? 1 : 0), int(m), int(n), int(k),
                    a, int(Swift.max(lda, 1)), b, int(Swift.max(ldb, 1)), c, int(Swift.max(ldc, 1))])
    }
}
