import Foundation

/// Linear least squares with an intercept, solved exactly: the weights W and bias b that
/// minimise sum over rows of ||x W + b - y||^2, from the normal equations in f64 by Cholesky.
/// The position probe's head: its figure is then the minimiser's, not where an optimiser
/// stopped (an iterative solver stops short on correlated features, as trained ones are).
public struct LeastSquares: Sendable {
    /// [inputs x outputs], row-major.
    public var weights: [Double]
    public var bias: [Double]
    public let inputs: Int
    public let outputs: Int

    /// Fits `y` (rows x outputs) on `x` (rows x inputs). `ridge` times the mean diagonal of
    /// the centred Gram matrix is added to its diagonal so that a constant or repeated
    /// column (rank deficiency) gets the minimum-norm-like answer instead of a failure;
    /// at the default the figure is the unpenalised minimiser's to many digits.
    public init(x: FeatureMatrix, y: FeatureMatrix, ridge: Double = 1e-10) throws {
        guard x.rows == y.rows, x.rows > 0 else {
            throw EvalError.headShape(rows: x.rows, dim: x.dim, targetRows: y.rows, targetDim: y.dim, inputs: x.dim, targetWidth: y.dim)
        }
        let n = x.rows, p = x.dim, o = y.dim
        // Centre both sides: the intercept then drops out of the system (b = mean y - mean x W).
        var mx = [Double](repeating: 0, count: p), my = [Double](repeating: 0, count: o)
        for i in 0..<n {
            for k in 0..<p { mx[k] += Double(x.values[i * p + k]) }
            for c in 0..<o { my[c] += Double(y.values[i * o + c]) }
        }
        for k in 0..<p { mx[k] /= Double(n) }
        for c in 0..<o { my[c] /= Double(n) }
        var a = [Double](repeating: 0, count: p * p), rhs = [Double](repeating: 0, count: p * o)
        var r = [Double](repeating: 0, count: p)
        for i in 0..<n {
            for k in 0..<p { r[k] = Double(x.values[i * p + k]) - mx[k] }
            for k in 0..<p {
                let rk = r[k]
                if rk == 0 { continue }
                for j in k..<p { a[k * p + j] += rk * r[j] }
                for c in 0..<o { rhs[k * o + c] += rk * (Double(y.values[i * o + c]) - my[c]) }
            }
        }
        var trace = 0.0
        for k in 0..<p {
            trace += a[k * p + k]
            for j in 0..<k { a[k * p + j] = a[j * p + k] }
        }
        let shift = max(ridge * trace / Double(p), Double.leastNormalMagnitude)
        for k in 0..<p { a[k * p + k] += shift }
        let l = try Self.cholesky(a, p)
        var w = rhs
        Self.solve(l, p, &w, o)
        weights = w
        bias = (0..<o).map { c in my[c] - (0..<p).reduce(0.0) { $0 + mx[$1] * w[$1 * o + c] } }
        inputs = p
        outputs = o
    }

    /// x W + b for every row of `x`; throws when `x` is not as wide as the fitted features.
    public func predict(_ x: FeatureMatrix) throws -> FeatureMatrix {
        guard x.dim == inputs else { throw EvalError.featureWidth(got: x.dim, fitted: inputs) }
        var out = [Float](repeating: 0, count: x.rows * outputs)
        for i in 0..<x.rows {
            for c in 0..<outputs {
                var s = bias[c]
                for k in 0..<inputs { s += Double(x.values[i * inputs + k]) * weights[k * outputs + c] }
                out[i * outputs + c] = Float(s)
            }
        }
        return FeatureMatrix(rows: x.rows, dim: outputs, values: out)
    }

    /// The lower factor L (row-major) of a symmetric positive definite p x p matrix.
    static func cholesky(_ a: [Double], _ p: Int) throws -> [Double] {
        var l = [Double](repeating: 0, count: p * p)
        for i in 0..<p {
            for j in 0...i {
                var s = a[i * p + j]
                for k in 0..<j { s -= l[i * p + k] * l[j * p + k] }
                if i == j {
                    guard s > 0, s.isFinite else { throw EvalError.diverged(loss: s) }
                    l[i * p + i] = s.squareRoot()
                } else {
                    l[i * p + j] = s / l[j * p + j]
                }
            }
        }
        return l
    }

    /// Solves L L^T X = B in place for B (p x o, row-major).
    static func solve(_ l: [Double], _ p: Int, _ b: inout [Double], _ o: Int) {
        for c in 0..<o {
            for i in 0..<p {
                var s = b[i * o + c]
                for k in 0..<i { s -= l[i * p + k] * b[k * o + c] }
                b[i * o + c] = s / l[i * p + i]
            }
            for i in stride(from: p - 1, through: 0, by: -1) {
                var s = b[i * o + c]
                for k in (i + 1)..<p { s -= l[k * p + i] * b[k * o + c] }
                b[i * o + c] = s / l[i * p + i]
            }
        }
    }
}
