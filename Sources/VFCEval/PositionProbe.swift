import Foundation
import VFCData
import VFCTensor

/// The position probe's result on the validation images' crops: the mean distance between
/// predicted and true patch centres in patch units, and R^2 over both coordinates.
public struct PositionReport: Codable, Sendable, Equatable {
    public var meanErrorPatches: Double
    public var r2: Double
    public var trainPatches: Int
    public var valPatches: Int
}

/// Crops like the training views (RandomResizedCrop of the global views' scale, a flip with
/// probability 1/2) and, for each patch of a crop, the position of its centre in the
/// original image normalised to [0, 1]: what the crop-tied field is meant to teach.
public enum PositionProbe {
    /// One crop per image: its box and flip drawn from a stream seeded by (seed, image index).
    public static func crop(side: Int, seed: UInt64, image: Int) -> (box: CropBox, flip: Bool) {
        var rng = RNG(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(image) &* 0xBF58_476D_1CE4_E5B9 ^ 0x7057)
        let box = ViewGeometry.randomResizedCrop(size: side, scale: ViewGeometry.globalScale, rng: &rng)
        return (box, rng.nextInt(below: 2) == 1)
    }

    /// The normalised centre (x, y) of every patch of an n x n grid over `box` in a source of
    /// side `side`, row-major; a flipped view shows column j of the box at grid column n-1-j.
    public static func targets(box: CropBox, flip: Bool, grid n: Int, side: Int) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(2 * n * n)
        for i in 0..<n {
            for j in 0..<n {
                let jj = flip ? n - 1 - j : j
                let u = Double(box.x0) + (Double(jj) + 0.5) * Double(box.w) / Double(n)
                let v = Double(box.y0) + (Double(i) + 0.5) * Double(box.h) / Double(n)
                out += [Float(u / Double(side)), Float(v / Double(side))]
            }
        }
        return out
    }

    /// Fits a linear map from patch features (standardised on the training rows) to the
    /// normalised (x, y) by exact least squares (`LeastSquares`) and scores it on the
    /// validation rows; `grid` converts the error to patch units.
    public static func run(train: FeatureMatrix, trainTargets: FeatureMatrix, val: FeatureMatrix, valTargets: FeatureMatrix,
                           grid: Int) throws -> PositionReport {
        guard train.dim == val.dim, trainTargets.dim == 2, valTargets.dim == 2, train.rows == trainTargets.rows,
              val.rows == valTargets.rows, train.rows > 0 else {
            throw EvalError.headShape(rows: train.rows, dim: train.dim, targetRows: trainTargets.rows, targetDim: trainTargets.dim,
                                      inputs: val.dim, targetWidth: 2)
        }
        // Standardising changes no least-squares fit; it keeps the normal equations well scaled.
        let standard = Standardizer(fitting: train)
        let head = try LeastSquares(x: standard.apply(train), y: trainTargets)
        let (error, r2) = scores(predicted: try head.predict(standard.apply(val)), targets: valTargets, grid: grid)
        return PositionReport(meanErrorPatches: error, r2: r2, trainPatches: train.rows, valPatches: val.rows)
    }

    /// Mean Euclidean error (times `grid`: normalised units to patches) and R^2 = 1 -
    /// SS_res / SS_tot summed over both coordinates.
    public static func scores(predicted: FeatureMatrix, targets: FeatureMatrix, grid: Int) -> (meanError: Double, r2: Double) {
        let n = targets.rows
        guard n > 0 else { return (.nan, .nan) }
        var mean = [0.0, 0.0]
        for i in 0..<n { for c in 0..<2 { mean[c] += Double(targets.values[2 * i + c]) / Double(n) } }
        var ssRes = 0.0, ssTot = 0.0, dist = 0.0
        for i in 0..<n {
            var d2 = 0.0
            for c in 0..<2 {
                let t = Double(targets.values[2 * i + c]), p = Double(predicted.values[2 * i + c])
                d2 += (p - t) * (p - t)
                ssTot += (t - mean[c]) * (t - mean[c])
            }
            ssRes += d2
            dist += d2.squareRoot()
        }
        return (dist / Double(n) * Double(grid), ssTot > 0 ? 1 - ssRes / ssTot : .nan)
    }
}
