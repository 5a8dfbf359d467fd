import CLLVM
import VFCIR

/// Batched f32 products of small matrices (attention's per-head scores and their
/// gradients: 65x65x32 on the micro config) as vfc's own vectorised loop nest, split over
/// the batch by `vfc_parallel_for`, instead of one `cblas_sgemm` call per batch item.
///
/// Why: at these sizes OpenBLAS spends most of each call outside the arithmetic (the
/// micro step made 10,423 sgemm calls, 65x65x32 ones at about 32 GFLOP/s), and its calls
/// run one after another. Calling sgemm from inside a parallel loop is not an option:
/// Debian's OpenBLAS 0.3.21 (pthreads build) is not documented as safe to call from
/// several threads with its own threading on, and nesting the two pools oversubscribes.
///
/// Per batch item (one iteration of the parallel loop):
/// 1. When op(B)'s columns are strided (B^T, or a view: StridedProduct), op(B) is packed
///    into a stack scratch `Bp[K][Np]`, Np = N rounded up to the column block (16 floats),
///    zero-padded, 64-byte aligned. Otherwise its rows are read in place at their stride
///    and only the last N mod 16 columns are copied (zero-padded).
/// 2. C is computed in register tiles of 4 rows x 16 columns (two <8 x float>): for each
///    k, two vector loads of op(B)'s row, four broadcasts of op(A)[i][k] (a scalar load:
///    any stride, so ta and views cost nothing), eight multiply-adds. Rows left over (M mod 4) use
///    1-row tiles; the last partial column block uses as few vectors as cover it and
///    stores its valid lanes one by one.
/// Every C element is one sum over k = 0..<K in order (`llvm.fmuladd`), so the result
/// does not depend on the thread count or the tile it falls in, and repeats exactly.
/// It differs from sgemm's blocked sums in the last bits, as sgemm's do from the
/// interpreter's double sums (parity is norm-wise, see Lowering+Linalg.swift).
extension FunctionLowering {
    /// Products with M*N*K up to this use the small-GEMM loop nest: OpenBLAS 0.3.21 runs
    /// gemm single-threaded up to M*N*K = 65536 * GEMM_MULTITHREAD_THRESHOLD (4), so a loop of
    /// such calls never uses the second core, while the loop nest splits the batch. Above
    /// it sgemm's own threads and blocking take over (tiny's 197x197x64 stays on sgemm).
    static let smallGemmMaxWork = 1 << 18
    /// Column block: two <8 x float> (AVX2 registers; AVX-512 hosts run them as halves).
    static let smallGemmVector = 8, smallGemmColumns = 16, smallGemmRows = 4
    /// The packed op(B) lives on the stack of each thread: at most this many floats.
    static let smallGemmMaxScratch = 1 << 14
    /// With tb, products with fewer rows of op(A) than this stay on sgemm.
    static let smallGemmMinRowsWithPacking = 32

    /// Whether a batched matmul goes through `smallBatchedGemm` (also what
    /// `LoweringStats` counts as no sgemm call). Only f32 products that `lowerMatmul` would
    /// otherwise run as a loop of sgemm calls: more than one batch item, small per item.
    static func usesSmallGemm(_ d: DType, ta: Bool, tb: Bool, m: Int, n: Int, k: Int, batches: Int, bRank: Int) -> Bool {
        let loopOfCalls = batches > 1 && !(bRank == 2 && !ta)
        let np = (n + smallGemmColumns - 1) / smallGemmColumns * smallGemmColumns
        // B^T is packed by scalar copies, which only pay for themselves over enough rows of
        // A: at 17x17x32 B^T (micro's local views) packing made the loop nest 1.8x slower
        // than sgemm on one thread; at 65x65x32 B^T it is on par.
        let packingPays = !tb || m >= smallGemmMinRowsWithPacking
        return d == .f32 && loopOfCalls && packingPays && m * n * k > 0 && m * n * k <= smallGemmMaxWork
            && k * np <= smallGemmMaxScratch
    }

    /// C[t] = op(A[t]) op(B[t]) for each batch item t of `p`, f32, each side a strided view
    /// of its buffer (StridedProduct); then `epilogue` on C[t] while it is in L1 (only for a
    /// dense result: the epilogue addresses it by row).
    mutating func smallBatchedGemm(_ p: StridedProduct, _ a: LLVMValueRef, _ b: LLVMValueRef, _ out: LLVMValueRef,
                                   epilogue: GemmEpilogue? = nil) throws {
        let (m, n, k) = (p.m, p.n, p.k)
        guard epilogue == nil || p.denseResult else { throw CodegenError.internalError("epilogue of a strided product") }
        let site = profile?.add(.sgemm, name: "", op: "small-gemm",
                                detail: "\(p.batches) x \(m)x\(n)x\(k)\(p.ta ? " A^T" : "")\(p.tb ? " B^T" : "")",
                                parent: LLVMSupport.valueName(e.function))
        if let site { profileBegin(site) }
        try parallelLoop(p.batches, workPerIteration: m * n * k, buffers: [a, b, out] + (epilogue.map { [$0.context] } ?? [])) { me, t, ptrs in
            let ap = me.e.gep(ptrs[0], .f32, me.batchOffset(t, p.batchShape, p.a))
            let bp = me.e.gep(ptrs[1], .f32, me.batchOffset(t, p.batchShape, p.b))
            let cp = me.e.gep(ptrs[2], .f32, me.batchOffset(t, p.batchShape, p.c))
            me.smallGemmItem(p, ap, bp, cp)
            if let epilogue {
                let i0 = me.e.mul(t, m)
                me.callEpilogue(epilogue, context: ptrs[3], rows: i0, me.e.add(i0, m), cols: n)
            }
        }
        if let site { profileEnd(site) }
    }

    /// Where the rows of op(B)'s column blocks are read: full blocks from `full` (row kk of
    /// the block at j0 starts at kk * fullStride + j0), the partial last block from `tail`
    /// (row kk at kk * tailStride + tailOffset, zero-padded to the block width).
    private struct BSource {
        var full: LLVMValueRef, fullStride: Int, fullAlign: UInt32
        var tail: LLVMValueRef, tailStride: Int, tailOffset: Int
    }

    /// One product C = op(A) op(B) at the builder's position.
    private func smallGemmItem(_ p: StridedProduct, _ a: LLVMValueRef, _ b: LLVMValueRef, _ c: LLVMValueRef) {
        let (m, n, k) = (p.m, p.n, p.k)
        let cols = Self.smallGemmColumns
        let np = (n + cols - 1) / cols * cols
        let zero = LLVMConstReal(e.f32, 0)!
        let source: BSource
        if p.packsB {
            // 1. B^T (or any op(B) with strided columns) packed whole: Bp[kk][j] = B[j][kk], zero past N (contiguous writes:
            // measured slightly faster than contiguous reads here).
            let packed = entryAlloca(LLVMArrayType2(e.f32, UInt64(k * np)), align: 64)
            e.loop(k, "pk") { kk in
                let row = e.mul(kk, np)
                e.loop(n, "pj") { j in
                    e.store(e.load(b, .f32, e.add(e.mul(j, p.b.col), e.mul(kk, p.b.row))), packed, .f32, e.add(row, j))
                }
                for j in n..<np { e.store(zero, packed, .f32, e.add(row, j)) }
            }
            source = BSource(full: packed, fullStride: np, fullAlign: 32, tail: packed, tailStride: np, tailOffset: n / cols * cols)
        } else if n % cols == 0 {
            // B's rows are contiguous already: no copy at all.
            source = BSource(full: b, fullStride: p.b.row, fullAlign: 4, tail: b, tailStride: p.b.row, tailOffset: 0)
        } else {
            // Full blocks straight from B; only the last columns are copied, zero-padded.
            let j0 = n / cols * cols, tail = n - j0
            let packed = entryAlloca(LLVMArrayType2(e.f32, UInt64(k * cols)), align: 64)
            e.loop(k, "pk") { kk in
                for j in 0..<cols {
                    let v = j < tail ? e.load(b, .f32, e.add(e.mul(kk, p.b.row), j0 + j)) : zero
                    e.store(v, packed, .f32, e.add(e.mul(kk, cols), j))
                }
            }
            source = BSource(full: b, fullStride: p.b.row, fullAlign: 4, tail: packed, tailStride: cols, tailOffset: 0)
        }
        // 2. Row tiles of 4, then single rows.
        let fullRows = m / Self.smallGemmRows * Self.smallGemmRows
        e.loop(fullRows / Self.smallGemmRows, "ti") { tile in
            tileRows(Self.smallGemmRows, e.mul(tile, Self.smallGemmRows), p, a, source, c)
        }
        if fullRows < m {
            e.loop(from: e.i64(fullRows), to: e.i64(m), "ri") { i in
                tileRows(1, i, p, a, source, c)
            }
        }
    }

    /// C[i0 ..< i0 + rows][every column]: full column blocks stored as vectors, the last
    /// partial block lane by lane.
    private func tileRows(_ rows: Int, _ i0: LLVMValueRef, _ p: StridedProduct,
                          _ a: LLVMValueRef, _ source: BSource, _ c: LLVMValueRef) {
        let (n, k) = (p.n, p.k)
        let cols = Self.smallGemmColumns, width = Self.smallGemmVector
        let vec = LLVMVectorType(e.f32, UInt32(width))!
        // `vectors` <8 x float> per row: two for full blocks, as few as cover the tail (a
        // 65-column product computes 72 columns, not 80).
        func block(_ base: LLVMValueRef, _ stride: Int, _ j0: LLVMValueRef, _ align: UInt32, vectors: Int) -> [LLVMValueRef] {
            let zero = LLVMConstNull(vec)!
            return accumulate(k, Array(repeating: zero, count: rows * vectors)) { kk, acc in
                var loads: [LLVMValueRef] = []
                for v in 0..<vectors {
                    let load = LLVMBuildLoad2(e.builder, vec, e.gep(base, .f32, e.add(e.add(e.mul(kk, stride), j0), v * width)), "")!
                    LLVMSetAlignment(load, align)
                    loads.append(load)
                }
                var next = acc
                for r in 0..<rows {
                    let i = e.add(i0, r)
                    let x = e.load(a, .f32, e.add(e.mul(i, p.a.row), e.mul(kk, p.a.col)))
                    let s = splat(x, vec, width)
                    for v in 0..<vectors {
                        next[r * vectors + v] = e.intrinsic("llvm.fmuladd", vec, [s, loads[v], acc[r * vectors + v]])
                    }
                }
                return next
            }
        }
        let vectors = cols / width
        e.loop(n / cols, "tj") { jb in
            let j0 = e.mul(jb, cols)
            let acc = block(source.full, source.fullStride, j0, source.fullAlign, vectors: vectors)
            for r in 0..<rows {
                let rowBase = e.mul(e.add(i0, r), p.c.row)
                for v in 0..<vectors {
                    let store = LLVMBuildStore(e.builder, acc[r * vectors + v], e.gep(c, .f32, e.add(e.add(rowBase, j0), v * width)))!
                    LLVMSetAlignment(store, 4)
                }
            }
        }
        let tail = n % cols
        guard tail > 0 else { return }
        let j0 = n / cols * cols
        let acc = block(source.tail, source.tailStride, e.i64(source.tailOffset), 32, vectors: (tail + width - 1) / width)
        for r in 0..<rows {
            let rowBase = e.mul(e.add(i0, r), p.c.row)
            for l in 0..<tail {
                let x = LLVMBuildExtractElement(e.builder, acc[r * ((tail + width - 1) / width) + l / width], LLVMConstInt(e.i32, UInt64(l % width), 0), "")!
                e.store(x, c, .f32, e.add(rowBase, j0 + l))
            }
        }
    }

    /// for kk in 0..<count: values = body(kk, values), with the values carried in
    /// registers (phis), returning the final values.
    private func accumulate(_ count: Int, _ initial: [LLVMValueRef],
                            _ body: (LLVMValueRef, [LLVMValueRef]) -> [LLVMValueRef]) -> [LLVMValueRef] {
        let entry = LLVMGetInsertBlock(e.builder)
        let header = e.block("acc.header"), bodyBlock = e.block("acc.body"), exit = e.block("acc.exit")
        LLVMBuildBr(e.builder, header)
        LLVMPositionBuilderAtEnd(e.builder, header)
        let index = LLVMBuildPhi(e.builder, e.i64, "kk")!
        let carried = initial.map { LLVMBuildPhi(e.builder, LLVMTypeOf($0), "acc")! }
        let done = LLVMBuildICmp(e.builder, LLVMIntSGE, index, e.i64(count), "")
        LLVMBuildCondBr(e.builder, done, exit, bodyBlock)
        LLVMPositionBuilderAtEnd(e.builder, bodyBlock)
        let next = body(index, carried)
        let nextIndex = LLVMBuildAdd(e.builder, index, e.i64(1), "")!
        let latch = LLVMGetInsertBlock(e.builder)
        LLVMBuildBr(e.builder, header)
        func incoming(_ phi: LLVMValueRef, _ start: LLVMValueRef, _ step: LLVMValueRef) {
            var values: [LLVMValueRef?] = [start, step]
            var blocks: [LLVMBasicBlockRef?] = [entry, latch]
            LLVMAddIncoming(phi, &values, &blocks, 2)
        }
        incoming(index, e.i64(0), nextIndex)
        for (phi, (start, step)) in zip(carried, zip(initial, next)) { incoming(phi, start, step) }
        LLVMPositionBuilderAtEnd(e.builder, exit)
        return carried
    }

    /// `x` in every lane of a `width`-lane vector.
    private func splat(_ x: LLVMValueRef, _ vec: LLVMTypeRef, _ width: Int) -> LLVMValueRef {
        let one = LLVMBuildInsertElement(e.builder, LLVMGetPoison(vec), x, LLVMConstInt(e.i32, 0, 0), "")
        let mask = LLVMConstNull(LLVMVectorType(e.i32, UInt32(width)))
        return LLVMBuildShuffleVector(e.builder, one, LLVMGetPoison(vec), mask, "")!
    }

    /// A static stack slot of `type` in the entry block of the function being emitted (an
    /// alloca inside a loop would grow the stack on every iteration).
    private func entryAlloca(_ type: LLVMTypeRef, align: UInt32) -> LLVMValueRef {
        let current = LLVMGetInsertBlock(e.builder)
        let entry = LLVMGetEntryBasicBlock(e.function)
        if let first = LLVMGetFirstInstruction(entry) {
            LLVMPositionBuilderBefore(e.builder, first)
        } else {
            LLVMPositionBuilderAtEnd(e.builder, entry)
        }
        let slot = LLVMBuildAlloca(e.builder, type, "packed")!
        LLVMSetAlignment(slot, align)
        LLVMPositionBuilderAtEnd(e.builder, current)
        return slot
    }
}
