import Testing
import VFCCodegen
import VFCRuntime
import VFCTensor

/// vfc's generated GEMM (GemmKernel's microkernel inside gemm.c's packing and blocking)
/// against a naive f64 product: odd shapes that leave partial tiles on both sides, K
/// around and across the KC block, every transpose, leading dimensions wider than the
/// matrices; bit-identical results on 1 and 2 threads; the microkernels of both ISAs
/// (where the CPU runs them) on one tile, C = AB and C += AB.
@Suite(.serialized) struct GeneratedGemmTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (7, 5, 3), (13, 33, 129), (12, 32, 128), (25, 65, 257), (200, 37, 640), (45, 301, 330),
        (128, 512, 96), (2, 600, 7), (97, 3, 1000), (5, 40, 0),
    ]

    static func naive(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: [Float], _ lda: Int,
                      _ b: [Float], _ ldb: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let x = Double(ta ? a[p * lda + i] : a[i * lda + p]), y = Double(tb ? b[j * ldb + p] : b[p * ldb + j])
                    s += x * y
                }
                c[i * n + j] = s
            }
        }
        return c
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matchesAnF64ReferenceOnEveryThreadCount(_ ta: Bool, _ tb: Bool) throws {
        let kernel = try #require(GemmKernel.installForHost(), "this CPU has no vfc GEMM kernel (needs AVX2+FMA or AVX-512)")
        #expect(kernel.nr % kernel.vectorWidth == 0)
        let before = vfc_num_threads()
        defer { _ = vfc_set_num_threads(before) }
        for (m, n, k) in Self.shapes {
            var rng = RNG(seed: UInt64(m * 7919 + n * 31 + k))
            // Leading dimensions 3 wider than the stored rows: the kernel must honour them.
            let lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 3, ldc = n + 2
            let a = (0..<((ta ? k : m) * lda)).map { _ in Float(rng.nextDouble() - 0.5) }
            let b = (0..<((tb ? n : k) * ldb)).map { _ in Float(rng.nextDouble() - 0.5) }
            let want = Self.naive(ta, tb, m, n, k, a, lda, b, ldb)
            var results: [[Float]] = []
            for threads in [2, 1] {
                _ = vfc_set_num_threads(Int32(threads))
                var c = [Float](repeating: .nan, count: max(1, m * ldc))
                vfc_gemm_generated(ta ? 1 : 0, tb ? 1 : 0, Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), &c, Int32(ldc))
                results.append(c)
                // Columns past n in each row of C are not written.
                for i in 0..<m { for j in n..<ldc { #expect(c[i * ldc + j].isNaN, "\(m)x\(n)x\(k): wrote C[\(i)][\(j)]") } }
                // f32 sums of k products in [-1/4, 1/4]: within a few ulps per term of |sum| <= k/4.
                var worst = 0.0
                for i in 0..<m { for j in 0..<n { worst = max(worst, Swift.abs(Double(c[i * ldc + j]) - want[i * n + j])) } }
                #expect(worst <= 2e-7 * Double(max(k, 1)) + 1e-30, "\(m)x\(n)x\(k) ta=\(ta) tb=\(tb) threads=\(threads): off by \(worst)")
            }
            #expect(results[0].map(\.bitPattern) == results[1].map(\.bitPattern), "\(m)x\(n)x\(k) ta=\(ta) tb=\(tb): 2 threads differ from 1")
        }
    }

    /// One tile through a compiled microkernel: packed a[p][mr], b[p][nr]; C with a row
    /// stride wider than the tile.
    func checkTile(_ kernel: GemmKernel) throws {
        let code = try kernel.compile()
        let (mr, nr, kc, ldc) = (kernel.mr, kernel.nr, 37, kernel.nr + 5)
        var rng = RNG(seed: 11)
        let a = UnsafeMutablePointer<Float>.allocate(capacity: kc * mr + 64)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: kc * nr + 64)
        defer { a.deallocate(); b.deallocate() }
        // 64-byte aligned panels, as gemm.c packs them.
        let ap = UnsafeMutablePointer<Float>(bitPattern: (Int(bitPattern: a) + 63) & ~63)!
        let bp = UnsafeMutablePointer<Float>(bitPattern: (Int(bitPattern: b) + 63) & ~63)!
        for i in 0..<(kc * mr) { ap[i] = Float(rng.nextDouble() - 0.5) }
        for i in 0..<(kc * nr) { bp[i] = Float(rng.nextDouble() - 0.5) }
        let start = (0..<(mr * ldc)).map { _ in Float(rng.nextDouble()) }
        for accumulate in [0, 1] as [Int32] {
            var c = start
            code(Int64(kc), ap, 1, Int64(mr), bp, Int64(nr), &c, Int64(ldc), accumulate)
            for r in 0..<mr {
                for j in 0..<ldc {
                    guard j < nr else { #expect(c[r * ldc + j] == start[r * ldc + j]); continue }
                    var s = accumulate != 0 ? Double(start[r * ldc + j]) : 0
                    for p in 0..<kc { s += Double(ap[p * mr + r]) * Double(bp[p * nr + j]) }
                    #expect(Swift.abs(Double(c[r * ldc + j]) - s) <= 1e-5, "\(mr)x\(nr) tile [\(r)][\(j)] accumulate=\(accumulate)")
                }
            }
        }
    }

    /// The packed paths against the in-place ones, bit for bit (both feed the kernel the
    /// same values in the same order) and against the f64 product: op(B) with a row stride
    /// of 256 floats and M >= 1024 is packed, with 259 read in place; op(A) without
    /// transpose is packed when N >= 1024 and read in place below (the first 1000 columns).
    @Test func packedAndInPlacePanelsAgree() throws {
        _ = try #require(GemmKernel.installForHost(), "this CPU has no vfc GEMM kernel (needs AVX2+FMA or AVX-512)")
        func product(_ m: Int, _ n: Int, _ k: Int, _ a: [Float], _ lda: Int, _ b: [Float], _ ldb: Int) -> [Float] {
            var c = [Float](repeating: .nan, count: m * n)
            vfc_gemm_generated(0, 0, Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), &c, Int32(n))
            return c
        }
        var rng = RNG(seed: 5)
        // op(B) packed or not.
        do {
            let (m, n, k) = (1030, 40, 300)
            let a = (0..<(m * k)).map { _ in Float(rng.nextDouble() - 0.5) }
            let b = (0..<(k * n)).map { _ in Float(rng.nextDouble() - 0.5) }
            var results: [[Float]] = []
            for ldb in [256, 259] {
                var wide = [Float](repeating: 0, count: k * ldb)
                for p in 0..<k { for j in 0..<n { wide[p * ldb + j] = b[p * n + j] } }
                results.append(product(m, n, k, a, k, wide, ldb))
            }
            let want = Self.naive(false, false, m, n, k, a, k, b, n)
            var worst = 0.0
            for i in 0..<(m * n) { worst = max(worst, Swift.abs(Double(results[0][i]) - want[i])) }
            #expect(worst <= 2e-7 * Double(k), "packed op(B): off by \(worst)")
            #expect(results[0].map(\.bitPattern) == results[1].map(\.bitPattern), "packed op(B) differs from in place")
        }
        // op(A) packed (N = 1030) or not (N = 1000, the same rows of B).
        do {
            let (m, n, k) = (30, 1030, 300)
            let a = (0..<(m * k)).map { _ in Float(rng.nextDouble() - 0.5) }
            let b = (0..<(k * n)).map { _ in Float(rng.nextDouble() - 0.5) }
            let whole = product(m, n, k, a, k, b, n), part = product(m, 1000, k, a, k, b, n)
            let want = Self.naive(false, false, m, n, k, a, k, b, n)
            var worst = 0.0
            for i in 0..<(m * n) { worst = max(worst, Swift.abs(Double(whole[i]) - want[i])) }
            #expect(worst <= 2e-7 * Double(k), "packed op(A): off by \(worst)")
            for i in 0..<m {
                #expect(whole[(i * n)..<(i * n + 1000)].map(\.bitPattern) == part[(i * 1000)..<(i * 1000 + 1000)].map(\.bitPattern),
                        "row \(i): packed op(A) differs from in place")
            }
        }
    }

    /// K cut into blocks of equal depth (the default) or into KC-deep blocks and a short
    /// remainder: both match the reference, on 1 and 2 threads alike, and the cut is
    /// really different (the sums round differently somewhere).
    @Test func bothCutsOfKMatchTheReference() throws {
        let kernel = try #require(GemmKernel.installForHost(), "this CPU has no vfc GEMM kernel (needs AVX2+FMA or AVX-512)")
        _ = kernel
        let before = vfc_num_threads()
        defer { _ = vfc_set_num_threads(before); vfc_gemm_set_even_k_blocks(1) }
        let (m, n, k) = (37, 70, 2 * Int(vfc_gemm_kc()) + 40)
        var rng = RNG(seed: 11)
        let a = (0..<(m * k)).map { _ in Float(rng.nextDouble() - 0.5) }
        let b = (0..<(k * n)).map { _ in Float(rng.nextDouble() - 0.5) }
        let want = Self.naive(false, false, m, n, k, a, k, b, n)
        var byCut: [[Float]] = []
        for even in [1, 0] as [Int32] {
            vfc_gemm_set_even_k_blocks(even)
            var results: [[Float]] = []
            for threads in [2, 1] as [Int32] {
                _ = vfc_set_num_threads(threads)
                var c = [Float](repeating: .nan, count: m * n)
                vfc_gemm_generated(0, 0, Int32(m), Int32(n), Int32(k), a, Int32(k), b, Int32(n), &c, Int32(n))
                var worst = 0.0
                for i in 0..<(m * n) { worst = max(worst, Swift.abs(Double(c[i]) - want[i])) }
                #expect(worst <= 2e-7 * Double(k), "even=\(even) threads=\(threads): off by \(worst)")
                results.append(c)
            }
            #expect(results[0].map(\.bitPattern) == results[1].map(\.bitPattern), "even=\(even): 2 threads differ from 1")
            byCut.append(results[0])
        }
        #expect(byCut[0].map(\.bitPattern) != byCut[1].map(\.bitPattern), "the two cuts of K gave the same bits")
    }

    /// The cache sizes gemm.c blocks for: on x86-64 CPUID names an L1 data cache and a
    /// larger L2, each a whole number of 64-byte lines.
    @Test func cpuidNamesTheCacheSizes() {
        #if arch(x86_64)
        let l1 = vfc_cpu_cache_bytes(1), l2 = vfc_cpu_cache_bytes(2)
        #expect(l1 >= 8192 && l1 % 64 == 0, "L1 \(l1)")
        #expect(l2 > l1 && l2 % 64 == 0, "L2 \(l2)")
        #expect(vfc_cpu_cache_bytes(7) == 0)
        #endif
    }

    @Test func microkernelsOfBothISAsComputeATile() throws {
        var cpu = vfc_cpu_info()
        vfc_cpu_detect(&cpu)
        // Each kernel only where the CPU has its instructions.
        if cpu.avx2 != 0 && cpu.fma != 0 { try checkTile(GemmKernel(mr: 6, nr: 16, vectorWidth: 8)) }
        if vfc_cpu_level(&cpu) >= 3 { try checkTile(GemmKernel(mr: 12, nr: 32, vectorWidth: 16)) }
        // Without the prefetch of C (vfc-bench gemm-ab's baseline) the same tile.
        if let host = GemmKernel.forHost { try checkTile(GemmKernel(mr: host.mr, nr: host.nr, vectorWidth: host.vectorWidth, prefetchC: false)) }
        #expect(GemmKernel.forHost == nil || vfc_cpu_level(&cpu) >= 2)
    }

    /// VFC_GEMM=auto's table: vfc's kernel for the step's products except B^T with
    /// M < 128 and K >= 256, OpenBLAS below 2^22 multiply-adds except products above
    /// 2^21 (attention's per-head items).
    @Test func autoChoosesByShapeClass() {
        #expect(vfc_gemm_prefers_generated(1, 0, 128, 512, 2080) == 1)  // a weight gradient
        #expect(vfc_gemm_prefers_generated(0, 1, 2080, 512, 128) == 1)  // x W^T
        #expect(vfc_gemm_prefers_generated(0, 0, 2080, 128, 512) == 1)  // dy W
        #expect(vfc_gemm_prefers_generated(0, 1, 3136, 2048, 2048) == 1)
        #expect(vfc_gemm_prefers_generated(0, 0, 64, 2048, 2048) == 1)
        #expect(vfc_gemm_prefers_generated(0, 1, 64, 2048, 2048) == 0)   // B^T, few rows
        #expect(vfc_gemm_prefers_generated(0, 1, 96, 512, 512) == 0)
        #expect(vfc_gemm_prefers_generated(0, 1, 96, 1024, 128) == 1)   // B^T, few rows, short K
        #expect(vfc_gemm_prefers_generated(1, 0, 2048, 2048, 3136) == 1)
        #expect(vfc_gemm_prefers_generated(0, 1, 65, 65, 32) == 0)      // a per-head product
        #expect(vfc_gemm_prefers_generated(0, 0, 96, 128, 512) == 1)    // 2^22.6 multiply-adds
        #expect(vfc_gemm_prefers_generated(0, 0, 64, 128, 256) == 0)    // 2^21
        #expect(vfc_gemm_prefers_generated(0, 0, 197, 64, 197) == 1)    // attention's per-head items
        #expect(vfc_gemm_prefers_generated(1, 0, 197, 64, 197) == 1)
        #expect(vfc_gemm_prefers_generated(0, 1, 197, 197, 64) == 1)    // ... with B^T (the narrow kernel's last tile)
        #expect(vfc_gemm_prefers_generated(0, 1, 128, 128, 128) == 0)   // 2^21
    }
}
