import CBLAS
import Testing
import VFCRuntime
import VFCTensor

/// The runtime's products split over the pool (vfc_sgemm / vfc_dgemm) against one
/// OpenBLAS call on the whole problem: row splits (C taller than wide) and column splits,
/// every transpose, extents that are not multiples of the 16-wide split, a product too small
/// to split. The split must not change any element: each one is the same K-sum in the same
/// order, so the comparison is bit-exact, and 1 and 2 threads agree.
@Suite(.serialized) struct RuntimeGemmTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [(203, 37, 64), (45, 301, 33), (64, 64, 64), (7, 5, 3), (1, 600, 700)]

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func sgemmSplitMatchesOneOpenBLASCall(_ ta: Bool, _ tb: Bool) {
        let before = vfc_num_threads()
        defer { _ = vfc_set_num_threads(before) }
        for (m, n, k) in Self.shapes {
            var rng = RNG(seed: UInt64(m * 1000 + n))
            let a = (0..<(m * k)).map { _ in Float(rng.nextDouble() - 0.5) }
            let b = (0..<(k * n)).map { _ in Float(rng.nextDouble() - 0.5) }
            let lda = ta ? m : k, ldb = tb ? k : n
            var want = [Float](repeating: 0, count: m * n)
            cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0, &want, Int32(n))
            for threads in [2, 1] {
                _ = vfc_set_num_threads(Int32(threads))
                var got = [Float](repeating: .nan, count: m * n)
                vfc_sgemm(ta ? 1 : 0, tb ? 1 : 0, Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), &got, Int32(n))
                #expect(got == want, "\(m)x\(n)x\(k) ta=\(ta) tb=\(tb) on \(threads) thread(s)")
            }
        }
    }

    @Test func dgemmSplitMatchesOneOpenBLASCall() {
        let before = vfc_num_threads()
        defer { _ = vfc_set_num_threads(before) }
        let (m, n, k) = (150, 70, 90)
        var rng = RNG(seed: 7)
        let a = (0..<(m * k)).map { _ in rng.nextDouble() - 0.5 }
        let b = (0..<(k * n)).map { _ in rng.nextDouble() - 0.5 }
        var want = [Double](repeating: 0, count: m * n)
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(m), b, Int32(n), 0, &want, Int32(n))
        _ = vfc_set_num_threads(2)
        var got = [Double](repeating: .nan, count: m * n)
        vfc_dgemm(1, 0, Int32(m), Int32(n), Int32(k), a, Int32(m), b, Int32(n), &got, Int32(n))
        #expect(got == want)
    }
}
