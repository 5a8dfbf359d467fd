import CLLVM
import VFCIR

/// Reductions and products with run-time extents (see `Lowering+RuntimeDims.swift`). The
/// precision rules are those of the fixed-size lowerings: float sums in double, one
/// rounding per result; products through vfc_sgemm / vfc_dgemm with run-time sizes.
extension FunctionLowering {
    /// reduce over `axes` of x (shape `xs`) into `out` (shape `shape`). Trailing reduced
    /// axes: one register reduction per result, rows split across threads; otherwise every
    /// element is combined into its result slot in one pass over x in order.
    mutating func runtimeReduce(_ kind: ReduceOp, _ axes: [Int], _ xp: LLVMValueRef, _ xs: [Dim], _ out: LLVMValueRef,
                                _ dtype: DType, _ shape: [Dim], _ block: LLVMValueRef) throws {
        let rank = xs.count
        let reduced = Set(axes.map { $0 < 0 ? $0 + rank : $0 })
        let acc = reduceAccumulatorType(kind, dtype)
        let reducedDim = product(reduced.sorted().map { xs[$0] }) ?? Dim(0)
        if !reduced.isEmpty, reduced == Set((rank - reduced.count)..<rank) {
            let rows = extent(product(Array(xs.prefix(rank - reduced.count))) ?? Dim(0), block)
            try runtimeParallelLoop(rows, workPerIteration: Swift.max(reducedDim.coefficient, 1), buffers: [xp, out, block]) { me, r, p in
                let n = me.extent(reducedDim, p[2])
                let base = me.e.mul(r, n)
                let identity = me.reduceIdentity(kind, acc)
                let total = me.carriedLoop(n, identity, "red") { k, a in
                    me.reduceCombine(kind, acc, a, me.reduceWiden(me.e.load(p[0], dtype, me.e.add(base, k)), dtype, to: acc))
                }
                me.e.store(me.runtimeFinish(kind, total, acc, dtype, n), p[1], dtype, r)
            }
            return
        }
        let outCount = count(shape, block)
        let identity = reduceIdentity(kind, acc)
        let accBuffer = acc == dtype ? out : runtimeAllocate(acc, outCount, zeroed: false)
        e.loop(outCount, "init") { i in e.store(identity, accBuffer, acc, i) }
        // The result's strides for each axis of x: 0 along reduced axes.
        let kept = xs.indices.filter { !reduced.contains($0) }
        let keptStrides = runtimeStrides(kept.map { xs[$0] }, block)
        var outStrides = [LLVMValueRef](repeating: e.i64(0), count: rank)
        for (j, a) in kept.enumerated() { outStrides[a] = keptStrides[j] }
        runtimeNest(xs.map { extent($0, block) }, [runtimeStrides(xs, block), outStrides], [e.i64(0), e.i64(0)]) { o in
            let v = reduceWiden(e.load(xp, dtype, o[0]), dtype, to: acc)
            e.store(reduceCombine(kind, acc, e.load(accBuffer, acc, o[1]), v), accBuffer, acc, o[1])
        }
        if accBuffer != out || kind == .mean {
            let n = extent(reducedDim, block)
            e.loop(outCount, "finish") { i in
                e.store(runtimeFinish(kind, e.load(accBuffer, acc, i), acc, dtype, n), out, dtype, i)
            }
        }
    }

    /// `reduceFinish` with the reduced count `n` an i64 value.
    func runtimeFinish(_ kind: ReduceOp, _ v: LLVMValueRef, _ acc: DType, _ d: DType, _ n: LLVMValueRef) -> LLVMValueRef {
        var v = v
        if kind == .mean { v = LLVMBuildFDiv(e.builder, v, LLVMBuildSIToFP(e.builder, n, e.storage(acc), ""), "") }
        return acc == d ? v : convert(v, from: acc, to: d)
    }

    /// matmul of a (`ash`) and b (`bsh`) as `lowerMatmul` does it, with run-time sizes: one
    /// product when b is a matrix and a is not transposed, else one per batch item. A
    /// product with an empty contraction is a zero fill.
    mutating func runtimeMatmul(_ ta: Bool, _ tb: Bool, _ ap: LLVMValueRef, _ ash: [Dim], _ bp: LLVMValueRef, _ bsh: [Dim],
                                _ out: LLVMValueRef, _ dtype: DType, _ block: LLVMValueRef) throws {
        let ra = ash.count, rb = bsh.count
        let (md, kd) = ta ? (ash[ra - 1], ash[ra - 2]) : (ash[ra - 2], ash[ra - 1])
        let nd = tb ? bsh[rb - 2] : bsh[rb - 1]
        let batchDim = product(Array(ash[..<(ra - 2)])) ?? Dim(0)
        let m = extent(md, block), k = extent(kd, block), n = extent(nd, block), batches = extent(batchDim, block)
        let lda = ta ? m : k, ldb = tb ? k : n
        try runtimeIfNonEmpty(k, zeroing: out, dtype, e.mul(e.mul(batches, m), n)) { me in
            if rb == 2 && !ta {
                me.runtimeGemm(dtype, ta, tb, me.e.mul(batches, m), n, k, ap, lda, bp, ldb, out, n,
                               profiled: "\(batchDim.multiplied(by: md) ?? md)x\(nd)x\(kd)")
                return
            }
            if ra == 2 && rb == 2 {
                // One product (a weight gradient, contracting over the batch): called here,
                // so that it is profiled as the product it is.
                me.runtimeGemm(dtype, ta, tb, m, n, k, ap, lda, bp, ldb, out, n, profiled: "\(md)x\(nd)x\(kd)")
                return
            }
            // One product per item, the items spread over the pool's threads (each product
            // then runs on its own thread), as `lowerMatmul` does.
            let work = Swift.max(md.coefficient * nd.coefficient * kd.coefficient, 1)
            try me.runtimeParallelLoop(batches, workPerIteration: work, buffers: [ap, bp, out, block]) { me, t, p in
                let m = me.extent(md, p[3]), k = me.extent(kd, p[3]), n = me.extent(nd, p[3])
                let aPtr = me.e.gep(p[0], dtype, me.e.mul(t, me.e.mul(m, k)))
                let bPtr = rb == 2 ? p[1] : me.e.gep(p[1], dtype, me.e.mul(t, me.e.mul(k, n)))
                let cPtr = me.e.gep(p[2], dtype, me.e.mul(t, me.e.mul(m, n)))
                me.runtimeGemm(dtype, ta, tb, m, n, k, aPtr, ta ? m : k, bPtr, tb ? k : n, cPtr, n)
            }
        }
    }

    /// linear: x [rows, in] times w [out, in] transposed, plus the bias on every row.
    mutating func runtimeLinear(_ xp: LLVMValueRef, _ xs: [Dim], _ wp: LLVMValueRef, _ ws: [Dim], _ bp: LLVMValueRef,
                       _ out: LLVMValueRef, _ dtype: DType, _ block: LLVMValueRef) {
        let dout = extent(ws[0], block), din = extent(ws[1], block)
        let rows = extent(product(Array(xs.dropLast())) ?? Dim(0), block)
        runtimeIfNonEmpty(din, zeroing: out, dtype, e.mul(rows, dout)) { me in
            me.runtimeGemm(dtype, false, true, rows, dout, din, xp, din, wp, din, out, dout,
                           profiled: "\(product(Array(xs.dropLast())) ?? Dim(0))x\(ws[0])x\(ws[1])")
        }
        addRowBias(out, bp, dtype, rows: rows, cols: dout)
    }

    /// `body` when `k` > 0, else a zero fill of `count` elements of `out`.
    private mutating func runtimeIfNonEmpty(_ k: LLVMValueRef, zeroing out: LLVMValueRef, _ d: DType, _ count: LLVMValueRef,
                                            _ body: (inout FunctionLowering) throws -> Void) rethrows {
        let nonEmpty = e.block("k.nonempty"), empty = e.block("k.empty"), done = e.block("k.done")
        LLVMBuildCondBr(e.builder, LLVMBuildICmp(e.builder, LLVMIntSGT, k, e.i64(0), ""), nonEmpty, empty)
        LLVMPositionBuilderAtEnd(e.builder, empty)
        LLVMBuildMemSet(e.builder, out, LLVMConstInt(e.i8, 0, 0), e.mul(count, d.byteSize), 1)
        LLVMBuildBr(e.builder, done)
        LLVMPositionBuilderAtEnd(e.builder, nonEmpty)
        try body(&self)
        LLVMBuildBr(e.builder, done)
        LLVMPositionBuilderAtEnd(e.builder, done)
    }

    /// `gemm` with i64 sizes (narrowed to the 32-bit blasint; leading dims at least 1).
    /// `profiled`: the sizes ("MxNxK", symbolic) of its profile site, when profiling; nil
    /// for a call on the pool's threads (the counters are the calling thread's).
    func runtimeGemm(_ d: DType, _ ta: Bool, _ tb: Bool, _ m: LLVMValueRef, _ n: LLVMValueRef, _ k: LLVMValueRef,
                     _ a: LLVMValueRef, _ lda: LLVMValueRef, _ b: LLVMValueRef, _ ldb: LLVMValueRef, _ c: LLVMValueRef, _ ldc: LLVMValueRef,
                     profiled: String? = nil) {
        let site = profiled.flatMap { sizes in
            profile?.add(.sgemm, name: "", op: d == .f32 ? "sgemm" : "dgemm", detail: "\(sizes)\(ta ? " A^T" : "")\(tb ? " B^T" : "")",
                         parent: LLVMSupport.valueName(e.function))
        }
        if let site { profileBegin(site) }
        defer { if let site { profileEnd(site) } }
        let i32 = e.i32
        func int(_ v: LLVMValueRef) -> LLVMValueRef { LLVMBuildTrunc(e.builder, v, i32, "") }
        func ld(_ v: LLVMValueRef) -> LLVMValueRef {
            int(LLVMBuildSelect(e.builder, LLVMBuildICmp(e.builder, LLVMIntSGT, v, e.i64(1), ""), v, e.i64(1), ""))
        }
        func flag(_ t: Bool) -> LLVMValueRef { LLVMConstInt(i32, t ? 1 : 0, 0) }
        _ = e.call(d == .f32 ? "vfc_sgemm" : "vfc_dgemm", e.void,
                   [i32, i32, i32, i32, i32, e.ptr, i32, e.ptr, i32, e.ptr, i32],
                   [flag(ta), flag(tb), int(m), int(n), int(k), a, ld(lda), b, ld(ldb), c, ld(ldc)])
    }
}
