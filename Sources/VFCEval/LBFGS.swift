import Foundation

/// Limited-memory BFGS (Nocedal and Wright, algorithm 7.4 with the two-loop recursion) with
/// a backtracking Armijo line search, in f64 on the host. The linear probe uses it to solve
/// its convex objective to convergence, so that the answer is the objective's minimiser and
/// not a property of an optimiser's schedule; the objective and its gradient come from a
/// compiled IR module.
public struct LBFGS: Sendable, Equatable {
    /// Curvature pairs kept.
    public var memory: Int
    /// Stop when the largest absolute gradient component is at most this.
    public var gradientTolerance: Double
    /// Stop after this many iterations even when not converged.
    public var maxIterations: Int

    public init(memory: Int = 10, gradientTolerance: Double = 1e-7, maxIterations: Int = 1000) {
        self.memory = memory
        self.gradientTolerance = gradientTolerance
        self.maxIterations = maxIterations
    }

    /// The end point: `x`, its objective value, the largest absolute gradient component, the
    /// iterations taken, and whether the gradient reached the tolerance.
    public struct Result: Sendable {
        public var x: [Double]
        public var value: Double
        public var gradientMax: Double
        public var iterations: Int
        public var converged: Bool
    }

    /// Minimises `objective` (value and gradient at a point) from `x0`. Stops at the gradient
    /// tolerance, at `maxIterations`, or when the line search can no longer lower the value
    /// (the precision of f64 reached); `converged` says which.
    public func minimize(from x0: [Double], _ objective: ([Double]) throws -> (Double, [Double])) throws -> Result {
        var x = x0
        var (f, g) = try objective(x)
        var s: [[Double]] = [], y: [[Double]] = [], rho: [Double] = []
        var iterations = 0
        while Self.maxAbs(g) > gradientTolerance, iterations < maxIterations {
            // Two-loop recursion: d = -H g.
            var q = g
            var alpha = [Double](repeating: 0, count: s.count)
            for i in stride(from: s.count - 1, through: 0, by: -1) {
                alpha[i] = rho[i] * Self.dot(s[i], q)
                Self.axpy(-alpha[i], y[i], &q)
            }
            let gamma = s.isEmpty ? 1 / max(Self.norm(g), 1e-300) : Self.dot(s[s.count - 1], y[y.count - 1]) / Self.dot(y[y.count - 1], y[y.count - 1])
            for i in q.indices { q[i] *= gamma }
            for i in s.indices {
                let beta = rho[i] * Self.dot(y[i], q)
                Self.axpy(alpha[i] - beta, s[i], &q)
            }
            var d = q.map { -$0 }
            var slope = Self.dot(g, d)
            if slope >= 0 {
                // Not a descent direction (rounding): restart from steepest descent.
                s.removeAll(); y.removeAll(); rho.removeAll()
                d = g.map { -$0 / max(Self.norm(g), 1e-300) }
                slope = Self.dot(g, d)
            }
            var step = 1.0, accepted = false
            var xn = x, fn = f, gn = g
            for _ in 0..<60 {
                for i in x.indices { xn[i] = x[i] + step * d[i] }
                (fn, gn) = try objective(xn)
                if fn.isFinite, fn <= f + 1e-4 * step * slope {
                    accepted = true
                    break
                }
                step *= 0.5
            }
            iterations += 1
            guard accepted else {
                // A stale curvature memory can give a poor direction: retry once from
                // steepest descent before concluding that the value cannot be lowered.
                if s.isEmpty { break }
                s.removeAll(); y.removeAll(); rho.removeAll()
                continue
            }
            let sk = zip(xn, x).map { $0 - $1 }, yk = zip(gn, g).map { $0 - $1 }
            let sy = Self.dot(sk, yk)
            if sy > 1e-12 * Self.dot(yk, yk) {
                s.append(sk); y.append(yk); rho.append(1 / sy)
                if s.count > memory { s.removeFirst(); y.removeFirst(); rho.removeFirst() }
            }
            (x, f, g) = (xn, fn, gn)
        }
        let gmax = Self.maxAbs(g)
        return Result(x: x, value: f, gradientMax: gmax, iterations: iterations, converged: gmax <= gradientTolerance)
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }

    static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }

    static func maxAbs(_ a: [Double]) -> Double { a.reduce(0) { max($0, abs($1)) } }

    static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
        for i in y.indices { y[i] += alpha * x[i] }
    }
}
