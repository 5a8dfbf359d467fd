import Foundation
import Testing
import VFCCodegen
import VFCIR
import VFCTensor
import VFCTestSupport

/// The f32 elementary functions (Emitter+MathF32.swift, computed in f32 arithmetic)
/// against libm's double functions: dense grids for the maximum error in f32 ulps (the
/// bounds are the measured maxima rounded up a little), the edges exactly.
@Suite struct MathF32Tests {
    /// Runs `%y = op %x` on f32 inputs with the JIT.
    private func run(_ op: String, _ xs: [Double]) throws -> VFCTensor.Tensor {
        let m = try verified("""
            func @f(%x: f32[\(xs.count)]) {
              %y = \(op) %x
              return %y
            }
            """)
        let input = VFCTensor.Tensor(dtype: .f32, shape: [xs.count], scalars: xs)
        return try JITModule(module: m, functions: ["f"]).run(function: "f", inputs: [input], params: [:])[0]
    }

    /// |got - want| in units of the last place of `want` rounded to f32 (at least the
    /// smallest subnormal, so results in the subnormals count absolute error). Where
    /// `want` rounds to an f32 infinity, only that infinity is 0 ulps off.
    private func ulps(_ got: Double, _ want: Double) -> Double {
        let rounded = Double(Float(want))
        if rounded.isInfinite { return got == rounded ? 0 : .infinity }
        let ulp = Swift.max(Double(Float(Swift.abs(want)).ulp), Double(Float.leastNonzeroMagnitude))
        return Swift.abs(got - want) / ulp
    }

    /// `count` f32 points evenly over [lo, hi].
    private func grid(_ lo: Double, _ hi: Double, _ count: Int) -> [Double] {
        (0..<count).map { Double(Float(lo + (hi - lo) * Double($0) / Double(count - 1))) }
    }

    /// The largest ulp error of `op` over `xs` against `reference`, and where.
    private func maxError(_ op: String, _ xs: [Double], _ reference: (Double) -> Double) throws -> (ulps: Double, at: Double) {
        let y = try run(op, xs)
        var worst = (ulps: 0.0, at: 0.0)
        for (i, x) in xs.enumerated() {
            let e = ulps(y[flat: i], reference(x))
            if !(e <= worst.ulps) { worst = (e, x) }
        }
        return worst
    }

    /// exp over its whole f32 range: within one ulp (measured 0.99... see `Emitter.expF32`),
    /// subnormal results included; inf exactly where expf overflows, 0 far below.
    @Test func f32ExpIsWithinOneUlpOfLibm() throws {
        let worst = try maxError("exp", grid(-104, 89, 2_000_001)) { Foundation.exp($0) }
        #expect(worst.ulps <= 1.0, "exp: \(worst.ulps) ulp at \(worst.at)")
        let edges: [Double] = [0, -0.0, 1e-30, -1e-38, 1e-45, 88.72283, 88.722839, 89, 100, 1e30, -87.3, -103.2, -103.98, -104, -200,
                               .infinity, -.infinity, .nan]
        let y = try run("exp", edges)
        for (i, x) in edges.enumerated() {
            let want = Double(Float(Foundation.exp(Double(Float(x)))))
            if want.isNaN { #expect(y[flat: i].isNaN); continue }
            if want.isInfinite || want == 0 { #expect(y[flat: i] == want, "exp(\(x)) = \(y[flat: i])"); continue }
            #expect(ulps(y[flat: i], Foundation.exp(Double(Float(x)))) <= 1, "exp(\(x)) = \(y[flat: i]), libm \(want)")
        }
    }

    /// erf on a dense grid: measured max 0.91 ulp (near |x| = 1, in the polynomial branch;
    /// with the Horner steps fused, as the JIT does on FMA hosts).
    @Test func f32ErfDenseMaxUlp() throws {
        let worst = try maxError("erf", grid(-7, 7, 2_000_001)) { Foundation.erf($0) }
        #expect(worst.ulps <= 1.0, "erf: \(worst.ulps) ulp at \(worst.at)")
    }

    /// tanh on a dense grid: measured max 1.27 ulp (just above the branch point 0.625), so
    /// the bound is 1.5 rather than 1.
    @Test func f32TanhDenseMaxUlp() throws {
        let worst = try maxError("tanh", grid(-12, 12, 2_000_001)) { Foundation.tanh($0) }
        #expect(worst.ulps <= 1.5, "tanh: \(worst.ulps) ulp at \(worst.at)")
    }

    /// gelu keeps its relative accuracy where erfc(-x / sqrt 2) is tiny (large negative x,
    /// no cancellation of 1 + erf), down to the smallest normal result (x = -13.14, where
    /// erfc alone is already subnormal). Measured: max 3.26 ulp (x = -3.02), max relative
    /// error 2.5e-7 (x = -1.12).
    @Test func f32GeluDenseError() throws {
        let xs = grid(-15, 12, 2_000_001)
        let y = try run("gelu", xs)
        var worst = (rel: 0.0, at: 0.0), worstUlps = (ulps: 0.0, at: 0.0)
        for (i, x) in xs.enumerated() {
            let want = x * 0.5 * Foundation.erfc(-x / 2.0.squareRoot())
            guard Swift.abs(want) >= Double(Float.leastNormalMagnitude) else { continue }
            let rel = Swift.abs(y[flat: i] - want) / Swift.abs(want), e = ulps(y[flat: i], want)
            if !(rel <= worst.rel) { worst = (rel, x) }
            if !(e <= worstUlps.ulps) { worstUlps = (e, x) }
        }
        #expect(worst.rel <= 3e-7, "gelu: relative error \(worst.rel) at \(worst.at)")
        #expect(worstUlps.ulps <= 3.5, "gelu: \(worstUlps.ulps) ulp at \(worstUlps.at)")
        // gelu(-inf) is NaN (-inf * 0), as the f64 interpreter computes it.
        let edges = try run("gelu", [.infinity, .nan, 0, -0.0, -15.5, -20, -1e30, -.infinity])
        #expect(edges[flat: 0] == .infinity && edges[flat: 1].isNaN && edges[flat: 2] == 0 && edges[flat: 3] == 0)
        #expect(edges[flat: 4] == 0 && edges[flat: 5] == 0 && edges[flat: 6] == 0 && edges[flat: 7].isNaN)
    }

    /// f32 gelu and tanh stay within a few f32 ulps of the exact functions over the whole
    /// useful range.
    @Test func f32GeluAndTanhAreAccurate() throws {
        let xs = stride(from: -12.0, through: 12.0, by: 0.0371).map { Double(Float($0)) } + [0, 1e-9, -3e-5, 20, -20]
        let m = try verified("""
            func @f(%x: f32[\(xs.count)]) {
              %g = gelu %x
              %t = tanh %x
              return %g, %t
            }
            """)
        let out = try JITModule(module: m, functions: ["f"]).run(function: "f", inputs: [VFCTensor.Tensor(dtype: .f32, shape: [xs.count], scalars: xs)], params: [:])
        for (i, x) in xs.enumerated() {
            let gelu = x * 0.5 * Foundation.erfc(-x / 2.0.squareRoot()), tanh = Foundation.tanh(x)
            #expect(Swift.abs(out[0][flat: i] - gelu) <= 4e-7 * Swift.abs(gelu) + 1e-37, "gelu(\(x)) = \(out[0][flat: i]), exact \(gelu)")
            #expect(Swift.abs(out[1][flat: i] - tanh) <= 2.5e-7 * Swift.abs(tanh) + 1e-37, "tanh(\(x)) = \(out[1][flat: i]), exact \(tanh)")
        }
    }

    /// f32 erf against libm's double erf: within 1.2e-7 relative over both branches (the
    /// polynomial below |x| = 1, 1 - erfc above), at the branch point, for tiny and
    /// subnormal inputs (the polynomial keeps relative accuracy there) and at the edges
    /// (+-inf, NaN, saturation to +-1).
    @Test func f32ErfIsAccurate() throws {
        let grid = stride(from: -7.0, through: 7.0, by: 0.00173).map { Double(Float($0)) }
        let edges: [Double] = [0, 1e-30, -1e-38, 1e-44, 3e-5, -0.99999994, 1, -1, 1.0000001, 3.9, 10, -10, 1e30]
        let xs = grid + edges.map { Double(Float($0)) }
        let inputs = xs + [.infinity, -.infinity, .nan]
        let out = try run("erf", inputs)
        for (i, x) in xs.enumerated() {
            let want = Foundation.erf(x), got = out[flat: i]
            // One f32 ulp of |want| (2^-23 relative), or the smallest subnormal.
            #expect(Swift.abs(got - want) <= 1.2e-7 * Swift.abs(want) + 1.5e-45, "erf(\(x)) = \(got), libm \(want)")
        }
        #expect(out[flat: xs.count] == 1 && out[flat: xs.count + 1] == -1 && out[flat: xs.count + 2].isNaN)
    }

    /// f32 softmax computes its exponentials in f32 from the exact difference x - max:
    /// spread-out rows (differences of 80), -inf entries (masked scores) and a row of equal
    /// values agree with softmax computed in double to a few f32 ulps.
    @Test func f32SoftmaxWithWideRowsAndMaskedEntries() throws {
        let rows: [[Double]] = [[-80, -40.5, -1e-3, 0, 3.25, -17.1, 0.5, -60],
                                [1e4, 1e4 - 3.7, 9990.1, -1e4, 1e4 - 0.01, 1e4, 9999.9, 9900],
                                [-.infinity, 2, -.infinity, 2.5, -1, -.infinity, 0, 1.5],
                                [7, 7, 7, 7, 7, 7, 7, 7]].map { $0.map { Double(Float($0)) } }
        let m = try verified("""
            func @f(%x: f32[4, 8]) {
              %s = softmax %x {axis = -1}
              %l = log_softmax %x {axis = -1}
              return %s, %l
            }
            """)
        let input = VFCTensor.Tensor(dtype: .f32, shape: [4, 8], scalars: rows.flatMap { $0 })
        let out = try JITModule(module: m, functions: ["f"]).run(function: "f", inputs: [input], params: [:])
        for (r, row) in rows.enumerated() {
            let top = row.max()!
            let sum = row.reduce(0) { $0 + Foundation.exp($1 - top) }
            for (k, x) in row.enumerated() {
                let p = Foundation.exp(x - top) / sum, lp = x - top - Foundation.log(sum)
                let got = out[0][flat: r * 8 + k], gotLog = out[1][flat: r * 8 + k]
                #expect(ulps(got, p) <= 2, "softmax[\(r), \(k)] = \(got), exact \(p)")
                if lp.isInfinite { #expect(gotLog == lp) } else { #expect(ulps(gotLog, lp) <= 2, "log_softmax[\(r), \(k)] = \(gotLog), exact \(lp)") }
            }
        }
    }
}
