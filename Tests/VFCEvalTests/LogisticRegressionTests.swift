import Foundation
import Testing
import VFCTensor
import VFCTestSupport
@testable import VFCEval

/// The linear probe's solver: L-BFGS on functions with known minimisers, and the logistic
/// regression's end point checked against scikit-learn's solution of the same objective
/// (a checked-in fixture), its optimality condition computed here in f64 (independently of
/// the IR module's autodiff) and a case solved by hand.
@Suite struct LogisticRegressionTests {
    /// Rosenbrock's function, minimum 0 at (1, 1), from the classic start (-1.2, 1).
    @Test func lbfgsFindsRosenbrockMinimum() throws {
        let r = try LBFGS(gradientTolerance: 1e-9, maxIterations: 500).minimize(from: [-1.2, 1]) { p in
            let (x, y) = (p[0], p[1])
            let f = 100 * (y - x * x) * (y - x * x) + (1 - x) * (1 - x)
            return (f, [-400 * x * (y - x * x) - 2 * (1 - x), 200 * (y - x * x)])
        }
        #expect(r.converged)
        #expect(abs(r.x[0] - 1) < 1e-6 && abs(r.x[1] - 1) < 1e-6, "\(r.x)")
    }

    /// Two rows of one feature, x = +1 of class 0 and x = -1 of class 1. By symmetry the
    /// minimiser is W = [a, -a], equal biases, and J(a) = -log sigmoid(2a) + l2 a^2, whose
    /// stationary point l2 a = 1 - sigmoid(2a) is found here by bisection.
    @Test func twoPointsByHand() throws {
        let l2 = 0.1
        var lo = 0.0, hi = 100.0
        for _ in 0..<200 {
            let a = (lo + hi) / 2
            if l2 * a - (1 - 1 / (1 + exp(-2 * a))) < 0 { lo = a } else { hi = a }
        }
        let model = try LogisticRegression(inputs: 1, classes: 2)
        let fit = try model.fit(x: FeatureMatrix(rows: 2, dim: 1, values: [1, -1]), labels: [0, 1], l2: l2, solver: LBFGS())
        #expect(fit.converged)
        #expect(abs(fit.w[0] - lo) < 1e-6 && abs(fit.w[1] + lo) < 1e-6, "\(fit.w) against a = \(lo)")
        #expect(abs(fit.b[0] - fit.b[1]) < 1e-6)
    }

    /// On noise (3 classes, 6 features, 60 rows), the gradient of J at the fitted weights,
    /// computed here in f64 from its formula, is zero to the solver's tolerance, and the
    /// predictions are the argmax of the logits computed here.
    @Test func endPointIsStationary() throws {
        let (rows, dim, classes, l2) = (60, 6, 3, 0.01)
        var rng = RNG(seed: 11)
        let x = (0..<(rows * dim)).map { _ in Float(rng.normal()) }
        let y = (0..<rows).map { _ in rng.nextInt(below: classes) }
        let m = FeatureMatrix(rows: rows, dim: dim, values: x)
        let model = try LogisticRegression(inputs: dim, classes: classes)
        let fit = try model.fit(x: m, labels: y, l2: l2, solver: LBFGS(gradientTolerance: 1e-9))
        #expect(fit.converged)
        var gw = fit.w.map { l2 * $0 }, gb = [Double](repeating: 0, count: classes)
        var predicted: [Int] = []
        for i in 0..<rows {
            let z = (0..<classes).map { c in fit.b[c] + (0..<dim).reduce(0.0) { $0 + fit.w[c * dim + $1] * Double(x[i * dim + $1]) } }
            let top = z.max()!
            let e = z.map { exp($0 - top) }, sum = e.reduce(0, +)
            predicted.append(z.firstIndex(of: top)!)
            for c in 0..<classes {
                let r = (e[c] / sum - (c == y[i] ? 1 : 0)) / Double(rows)
                gb[c] += r
                for k in 0..<dim { gw[c * dim + k] += r * Double(x[i * dim + k]) }
            }
        }
        let worst = (gw + gb).map(abs).max()!
        #expect(worst < 1e-8, "largest gradient component \(worst)")
        #expect(try model.predict(fit, x: m) == predicted)
    }

    struct Fixture: Decodable {
        struct Fit: Decodable { var l2: Double; var w: [Double]; var probabilities: [Double]; var objective: Double }
        var rows: Int, dim: Int, classes: Int
        var x: [Double]
        var y: [Int]
        var fits: [Fit]
    }

    /// scikit-learn's LogisticRegression(C = 1 / (l2 n)) on the rows of
    /// Tests/fixtures/eval/make_logistic_fixture.py: the same weights, class probabilities
    /// and objective value, at a weak and a strong penalty.
    @Test func matchesScikitLearn() throws {
        let f = try JSONDecoder().decode(Fixture.self, from: Data(repoFile("Tests/fixtures/eval/logistic_fixture.json").utf8))
        let x = FeatureMatrix(rows: f.rows, dim: f.dim, values: f.x.map(Float.init))
        let model = try LogisticRegression(inputs: f.dim, classes: f.classes)
        for s in f.fits {
            let fit = try model.fit(x: x, labels: f.y, l2: s.l2, solver: LBFGS(gradientTolerance: 1e-10, maxIterations: 5000))
            #expect(fit.converged)
            let dw = zip(fit.w, s.w).map { abs($0 - $1) }.max()!
            #expect(dw < 1e-6, "l2 \(s.l2): largest weight difference \(dw)")
            #expect(abs(fit.objective - s.objective) < 1e-10, "l2 \(s.l2): \(fit.objective) against \(s.objective)")
            var dp = 0.0
            for i in 0..<f.rows {
                let z = (0..<f.classes).map { c in fit.b[c] + (0..<f.dim).reduce(0.0) { $0 + fit.w[c * f.dim + $1] * f.x[i * f.dim + $1] } }
                let top = z.max()!, e = z.map { exp($0 - top) }, sum = e.reduce(0, +)
                for c in 0..<f.classes { dp = max(dp, abs(e[c] / sum - s.probabilities[i * f.classes + c])) }
            }
            #expect(dp < 1e-7, "l2 \(s.l2): largest probability difference \(dp)")
        }
    }
}
