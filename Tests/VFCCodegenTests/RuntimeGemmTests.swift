import CBLAS
import Testing
import VFCRuntime
import VFCTensor

/// The runtime's products split over the pool (vfc_sgemm / vfc_dgemm): row splits (C taller
/// than wide) and column splits into 2 to 15 parts, every transpose, extents that are not
/// multiples of the 16-wide parts, and products too small to split. Results are
/// bit-identical on 1 and 2 threads (the parts depend on the shape only: OpenBLAS sums a
/// 6x512x512 product cut in halves in another order than the whole, so a cut by thread
/// count would not be), and agree with one OpenBLAS call on the whole product to f32
/// rounding of its K-sums.
@Suite(.serialized) struct RuntimeGemmTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [(203, 37, 640), (45, 301, 330), (64, 64, 64), (7, 5, 3), (1, 600, 7000), (6, 512, 512),
                                                     (512, 6, 512), (300, 200, 100), (1000, 64, 512), (4, 4096, 1024)]

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func sgemmIsIndependentOfTheThreadCount(_ ta: Bool, _ tb: Bool) {
        let before = vfc_num_threads()
        defer { _ = vfc_set_num_threads(before) }
        for (m, n, k) in Self.shapes {
            var rng = RNG(seed: UInt64(m * 1000 + n))
            let a = (0..<(m * k)).map { _ in Float(rng.nextDouble() - 0.5) }
            let b = (0..<(k * n)).map { _ in Float(rng.nextDouble() - 0.5) }
            let lda = ta ? m : k, ldb = tb ? k : n
            var whole = [Float](repeating: 0, count: m * n)
            cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0, &whole, Int32(n))
            var results: [[Float]] = []
            for threads in [2, 1] {
                _ = vfc_set_num_threads(Int32(threads))
                var got = [Float](repeating: .nan, count: m * n)
                vfc_sgemm(ta ? 1 : 0, tb ? 1 : 0, Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), &got, Int32(n))
                results.append(got)
            }
            #expect(results[0] == results[1], "\(m)x\(n)x\(k) ta=\(ta) tb=\(tb): 2 threads differ from 1")
            // |sum| <= sqrt(k)/2-ish for these inputs; f32 reorderings differ by a few ulps of
            // the terms' magnitude, so an absolute bound scaled by k.
            let worst = zip(results[0], whole).map { Swift.abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-6 * Float(k), "\(m)x\(n)x\(k) ta=\(ta) tb=\(tb): off by \(worst) from one OpenBLAS call")
        }
    }

    @Test func dgemmIsIndependentOfTheThreadCount() {
        let before = vfc_num_threads()
        defer { _ = vfc_set_num_threads(before) }
        let (m, n, k) = (150, 70, 900)
        var rng = RNG(seed: 7)
        let a = (0..<(m * k)).map { _ in rng.nextDouble() - 0.5 }
        let b = (0..<(k * n)).map { _ in rng.nextDouble() - 0.5 }
        var whole = [Double](repeating: 0, count: m * n)
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(m), b, Int32(n), 0, &whole, Int32(n))
        var results: [[Double]] = []
        for threads in [2, 1] {
            _ = vfc_set_num_threads(Int32(threads))
            var got = [Double](repeating: .nan, count: m * n)
            vfc_dgemm(1, 0, Int32(m), Int32(n), Int32(k), a, Int32(m), b, Int32(n), &got, Int32(n))
            results.append(got)
        }
        #expect(results[0] == results[1])
        #expect(zip(results[0], whole).allSatisfy { Swift.abs($0 - $1) <= 1e-12 })
    }
}
