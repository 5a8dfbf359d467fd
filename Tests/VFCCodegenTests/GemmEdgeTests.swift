import Testing
import VFCCodegen
import VFCRuntime
import VFCTensor

/// The narrow kernel of a product's last, partial column panel (vfc_gemm_install_edge):
/// installed for the host's kernel where its tile is wider than one vector, and giving the
/// same bits as the whole tile through a copy, which it replaces, at every column remainder
/// (none, 1, up to and past the narrow width), with partial row panels, K over several
/// blocks (C += sums), every transpose, on 1 and 2 threads; columns past N untouched.
/// In GeneratedGemmTests' serialized suite: it swaps the runtime's kernels.
extension GeneratedGemmTests {
    @Test func edgeKernelGivesTheWholeTilesBits() throws {
        let kernel = try #require(GemmKernel.installForHost(), "this CPU has no vfc GEMM kernel (needs AVX2+FMA or AVX-512)")
        let edge = try #require(kernel.edge, "the host's kernel is one vector wide: no narrow kernel to test")
        var installedNr: Int32 = 0
        #expect(vfc_gemm_edge_installed(&installedNr) == 1 && Int(installedNr) == edge.nr)
        #expect(edge.mr == kernel.mr && edge.nr == kernel.vectorWidth)
        let edgeCode = try edge.compile()
        let before = vfc_num_threads()
        defer { _ = vfc_set_num_threads(before); vfc_gemm_install_edge(edgeCode, Int32(edge.nr)) }
        let nr = kernel.nr, w = edge.nr, kc = Int(vfc_gemm_kc())
        // Column counts: whole tiles only, then remainders 1, w - 1, w, w + 1, nr - 1 (the
        // last two take the whole tile either way); attention's 197 x 197 x 64 with B^T.
        let shapes: [(m: Int, n: Int, k: Int)] = [
            (kernel.mr * 2, 2 * nr, 70), (kernel.mr + 5, nr + 1, kc + 37), (29, 2 * nr + w - 1, 2 * kc + 3),
            (kernel.mr, nr + w, 50), (7, w, 9), (31, nr + w + 1, kc + 1), (3, 2 * nr - 1, 33), (197, 197, 64),
        ]
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            for (m, n, k) in shapes {
                var rng = RNG(seed: UInt64(m * 131 + n * 7 + k))
                let lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 3
                let a = (0..<((ta ? k : m) * lda)).map { _ in Float(rng.nextDouble() - 0.5) }
                let b = (0..<((tb ? n : k) * ldb)).map { _ in Float(rng.nextDouble() - 0.5) }
                let want = Self.naive(ta, tb, m, n, k, a, lda, b, ldb)
                let label = "\(m)x\(n)x\(k) ta=\(ta) tb=\(tb)"
                var results: [[Float]] = []
                for narrow in [true, false] {
                    vfc_gemm_install_edge(narrow ? edgeCode : nil, Int32(w))
                    for threads in [1, 2] as [Int32] {
                        _ = vfc_set_num_threads(threads)
                        var c = [Float](repeating: .nan, count: m * ldc)
                        vfc_gemm_generated(ta ? 1 : 0, tb ? 1 : 0, Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb),
                                           &c, Int32(ldc))
                        for i in 0..<m { for j in n..<ldc { #expect(c[i * ldc + j].isNaN, "\(label): wrote C[\(i)][\(j)]") } }
                        var worst = 0.0
                        for i in 0..<m { for j in 0..<n { worst = max(worst, Swift.abs(Double(c[i * ldc + j]) - want[i * n + j])) } }
                        #expect(worst <= 2e-7 * Double(k), "\(label) narrow=\(narrow) threads=\(threads): off by \(worst)")
                        results.append(c)
                    }
                }
                for r in results.dropFirst() {
                    #expect(r.map(\.bitPattern) == results[0].map(\.bitPattern), "\(label): the narrow kernel changed some bit")
                }
            }
        }
    }

    /// A "narrow" kernel as wide as the installed one is refused (nothing installed); the
    /// host's narrow kernel is taken back. (Swapping the wide kernel itself would change
    /// the cache blocks under other suites' products, so vfc_gemm_install's dropping of a
    /// narrow kernel is left to reading gemm.c.)
    @Test func aNarrowKernelMustBeNarrower() throws {
        let kernel = try #require(GemmKernel.installForHost(), "this CPU has no vfc GEMM kernel (needs AVX2+FMA or AVX-512)")
        let edge = try #require(kernel.edge, "the host's kernel is one vector wide")
        let narrow = try edge.compile()
        defer { vfc_gemm_install_edge(narrow, Int32(edge.nr)) }
        vfc_gemm_install_edge(narrow, Int32(kernel.nr))
        #expect(vfc_gemm_edge_installed(nil) == 0)
        vfc_gemm_install_edge(narrow, Int32(edge.nr))
        var nr: Int32 = 0
        #expect(vfc_gemm_edge_installed(&nr) == 1 && Int(nr) == edge.nr)
    }
}
