import Foundation
import Testing
import VFCData
import VFCTensor
@testable import VFCEval

/// The position probe's exact least-squares head: a fit by hand, the optimality condition
/// on random data, rank-deficient columns, and the correlated features on which an iterative
/// solver run for a fixed budget stops short.
@Suite struct LeastSquaresTests {
    /// y = [1, 3, 2, 5] on x = [0, 1, 2, 3]: S_xy = 5.5, S_xx = 5, slope 1.1, intercept
    /// 2.75 - 1.1 * 1.5 = 1.1.
    @Test func lineByHand() throws {
        let x = FeatureMatrix(rows: 4, dim: 1, values: [0, 1, 2, 3])
        let y = FeatureMatrix(rows: 4, dim: 1, values: [1, 3, 2, 5])
        let f = try LeastSquares(x: x, y: y)
        #expect(abs(f.weights[0] - 1.1) < 1e-8, "\(f.weights)")
        #expect(abs(f.bias[0] - 1.1) < 1e-8, "\(f.bias)")
        #expect(abs(try f.predict(FeatureMatrix(rows: 1, dim: 1, values: [4])).values[0] - 5.5) < 1e-5)
    }

    /// Scoring features of another width than the fitted ones is an error, not a crash.
    @Test func predictRejectsAnotherWidth() throws {
        let f = try LeastSquares(x: FeatureMatrix(rows: 3, dim: 1, values: [0, 1, 2]),
                                 y: FeatureMatrix(rows: 3, dim: 1, values: [1, 2, 3]))
        #expect(throws: EvalError.self) { try f.predict(FeatureMatrix(rows: 1, dim: 2, values: [1, 2])) }
    }

    /// At the minimiser the residual is orthogonal to every column and sums to zero
    /// (X^T r = 0, 1^T r = 0), computed here in f64 independently of the solver.
    @Test func residualIsOrthogonalToTheColumns() throws {
        var rng = RNG(seed: 3)
        let (n, p) = (500, 6)
        let x = FeatureMatrix(rows: n, dim: p, values: (0..<(n * p)).map { _ in Float(rng.normal()) })
        var t: [Float] = []
        for i in 0..<n {
            let r: [Double] = x.row(i).map(Double.init)
            let e1: Double = rng.normal(), e2: Double = rng.normal()
            let a: Double = 0.3 * r[0] - r[2] + 0.1 * e1
            let b: Double = 2 + r[5] + e2
            t += [Float(a), Float(b)]
        }
        let y = FeatureMatrix(rows: n, dim: 2, values: t)
        let f = try LeastSquares(x: x, y: y)
        let pred = try f.predict(x)
        for c in 0..<2 {
            var sum = 0.0, scale = 0.0
            var dots = [Double](repeating: 0, count: p)
            for i in 0..<n {
                let r = Double(y.values[2 * i + c]) - Double(pred.values[2 * i + c])
                sum += r
                scale += abs(Double(y.values[2 * i + c]))
                for k in 0..<p { dots[k] += Double(x.values[i * p + k]) * r }
            }
            #expect(abs(sum) < 1e-4 * scale, "\(sum)")
            for d in dots { #expect(abs(d) < 1e-4 * scale, "\(dots)") }
        }
    }

    /// A constant column and a repeated column leave the Gram matrix singular: the fit still
    /// succeeds and reproduces an exact linear target.
    @Test func rankDeficientColumns() throws {
        var rng = RNG(seed: 4)
        var v: [Float] = [], t: [Float] = []
        for _ in 0..<200 {
            let a: Double = rng.normal(), b: Double = rng.normal()
            let target: Double = 2 * a - b + 0.5
            v += [Float(a), 7, Float(a), Float(b)]
            t += [Float(target)]
        }
        let x = FeatureMatrix(rows: 200, dim: 4, values: v), y = FeatureMatrix(rows: 200, dim: 1, values: t)
        let pred = try LeastSquares(x: x, y: y).predict(x)
        for i in 0..<200 { #expect(abs(pred.values[i] - t[i]) < 1e-4) }
    }

    /// Positions carried only by two nearly collinear columns (their difference is 1e-3 of
    /// their size), as in features that have grown alike: the exact head reads them fully.
    @Test func positionFromNearlyCollinearFeatures() throws {
        var rng = RNG(seed: 5)
        func make(_ rows: Int) -> (FeatureMatrix, FeatureMatrix) {
            var x: [Float] = [], t: [Float] = []
            for _ in 0..<rows {
                let u: Double = rng.uniform(lo: 0, hi: 1), v: Double = rng.uniform(lo: 0, hi: 1)
                t += [Float(u), Float(v)]
                let s: Double = 1 + u + v
                let d: Double = 1e-3 * (u - v)
                let n1: Double = rng.normal(), n2: Double = rng.normal()
                x += [Float(s), Float(s + d), Float(n1), Float(n2)]
            }
            return (FeatureMatrix(rows: rows, dim: 4, values: x), FeatureMatrix(rows: rows, dim: 2, values: t))
        }
        let (tx, ty) = make(4000), (vx, vy) = make(1000)
        let r = try PositionProbe.run(train: tx, trainTargets: ty, val: vx, valTargets: vy, grid: 8)
        #expect(r.r2 > 0.999, "\(r.r2)")
    }
}
