import Testing
import VFCCodegen
import VFCRuntime
import VFCTensor

/// gemm.c's task schedules (the balanced grid claimed task by task or split in index order,
/// the static grid of MC-row tasks) on 1 and 2 threads: the grids differ with the thread count and
/// the schedule, the results must not differ in any bit, and they match an
/// f64 product. The shapes are the step's kinds at a smaller scale: many row panels and few
/// column panels (x W^T), few rows and long K (a weight gradient), partial tiles and
/// K blocks on every side.
@Suite(.serialized) struct GemmScheduleTests {
    static let cases: [(ta: Bool, tb: Bool, m: Int, n: Int, k: Int)] = [
        (false, true, 1525, 96, 200), (false, false, 1201, 200, 130), (true, false, 100, 390, 1000),
        (false, true, 37, 1100, 350), (true, true, 800, 70, 700),
    ]

    @Test func everyScheduleAndThreadCountGivesTheSameBits() throws {
        _ = try #require(GemmKernel.installForHost(), "this CPU has no vfc GEMM kernel (needs AVX2+FMA or AVX-512)")
        let before = vfc_num_threads()
        defer {
            _ = vfc_set_num_threads(before)
            vfc_gemm_set_schedule(VFC_GEMM_CLAIMED)
        }
        for (ta, tb, m, n, k) in Self.cases {
            var rng = RNG(seed: UInt64(m * 31 + n * 7 + k))
            let lda = ta ? m : k, ldb = tb ? k : n
            let a = (0..<(m * k)).map { _ in Float(rng.nextDouble() - 0.5) }
            let b = (0..<(k * n)).map { _ in Float(rng.nextDouble() - 0.5) }
            var results: [(String, [Float])] = []
            for threads in [1, 2] {
                for (name, schedule) in [("claimed", VFC_GEMM_CLAIMED), ("grid", VFC_GEMM_GRID), ("static", VFC_GEMM_STATIC)] {
                    _ = vfc_set_num_threads(Int32(threads))
                    vfc_gemm_set_schedule(schedule)
                    var c = [Float](repeating: .nan, count: m * n)
                    vfc_gemm_generated(ta ? 1 : 0, tb ? 1 : 0, Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), &c, Int32(n))
                    results.append(("\(threads) thread(s), \(name)", c))
                }
            }
            let want = GeneratedGemmTests.naive(ta, tb, m, n, k, a, lda, b, ldb)
            var worst = 0.0
            for i in 0..<(m * n) { worst = max(worst, Swift.abs(Double(results[0].1[i]) - want[i])) }
            #expect(worst <= 2e-7 * Double(k), "\(m)x\(n)x\(k) ta=\(ta) tb=\(tb): off by \(worst)")
            for (name, c) in results.dropFirst() {
                #expect(c.map(\.bitPattern) == results[0].1.map(\.bitPattern), "\(m)x\(n)x\(k) ta=\(ta) tb=\(tb): \(name) differs from \(results[0].0)")
            }
        }
    }

    /// The balanced grid splits the step's kinds of products (row counts of thousands, few
    /// column panels; few rows) within 3 % of even over 2 threads, and never worse than the
    /// static grid; one thread takes everything.
    @Test func theBalancedGridSplitsEvenly() throws {
        _ = try #require(GemmKernel.installForHost(), "this CPU has no vfc GEMM kernel (needs AVX2+FMA or AVX-512)")
        for (m, n) in [(3152, 192), (3152, 768), (2080, 128), (1088, 512), (512, 128), (192, 768), (3136, 8192)] as [(Int32, Int32)] {
            let grid = vfc_gemm_split_excess(m, n, 2, VFC_GEMM_GRID), old = vfc_gemm_split_excess(m, n, 2, VFC_GEMM_STATIC)
            #expect(grid >= 1 && grid <= 1.03, "\(m)x\(n): busiest thread \(grid)x an even share")
            #expect(grid <= old + 1e-12, "\(m)x\(n): balanced \(grid), static \(old)")
            #expect(vfc_gemm_split_excess(m, n, 1, VFC_GEMM_GRID) == 1)
        }
    }
}
