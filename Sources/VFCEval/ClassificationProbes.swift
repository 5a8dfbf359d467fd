import Foundation

/// The kNN probe's result: top-1 accuracy in percent on the validation images.
public struct KNNReport: Codable, Sendable, Equatable {
    public var top1: Double
    public var k: Int
    public var temperature: Double
}

/// One L2 strength of the linear probe's sweep: top-1 (percent) on the hold-out, and how
/// the solver ended on the rest of the training rows.
public struct SweepPoint: Codable, Sendable, Equatable {
    public var l2: Double
    public var holdoutTop1: Double
    public var iterations: Int
    public var gradientMax: Double
}

/// The linear probe's result: top-1 in percent on the validation images of the
/// L2-penalised logistic regression (`LogisticRegression`) whose strength was chosen on a
/// hold-out part of the training images, and how its solver ended (`gradient_max`: the
/// largest absolute gradient component of the objective at the end, `converged`: at most
/// the tolerance).
public struct LinearReport: Codable, Sendable, Equatable {
    public var top1: Double
    public var l2: Double
    public var sweep: [SweepPoint]
    public var features: String
    public var iterations: Int
    public var gradientMax: Double
    public var converged: Bool
}

/// Top-1 accuracy in percent.
public func top1(_ predicted: [Int], _ labels: [Int]) -> Double {
    guard !labels.isEmpty else { return .nan }
    return 100 * Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
}

/// The classification probes on frozen image features (one row per image).
public enum ClassificationProbes {
    /// DINO's weighted kNN (k = 20, T = 0.07 by default) of validation rows among train rows.
    public static func knn(train: FeatureMatrix, trainLabels: [Int], val: FeatureMatrix, valLabels: [Int], classes: Int,
                           k: Int = 20, temperature: Double = 0.07) -> KNNReport {
        let predicted = KNNClassifier.predict(train: train, labels: trainLabels, classes: classes, query: val,
                                              k: k, temperature: temperature)
        return KNNReport(top1: top1(predicted, valLabels), k: min(k, train.rows), temperature: temperature)
    }

    /// L2 strengths the linear probe tries (`l2` of `LogisticRegression`, on standardised
    /// features; scikit-learn's C = 1 / (l2 n) for n training rows).
    public static let l2Strengths = [1e-4, 1e-3, 1e-2, 1e-1, 1]

    /// The training rows the linear probe's sweep fits (`fit`) and scores (`holdOut`, a
    /// seeded fifth) when choosing the L2 strength.
    public static func holdOutSplit(rows: Int, seed: UInt64) -> (fit: [Int], holdOut: [Int]) {
        let (fit, hold) = EvalDataset.split(count: rows, fraction: 0.2, seed: seed &+ 1)
        return (fit, hold)
    }

    /// A linear classifier: L2-penalised multinomial logistic regression solved to
    /// convergence (`LogisticRegression`, L-BFGS, full batch) on features standardised on
    /// its training rows. Each strength of `l2Strengths` is fitted on the training rows less a
    /// hold-out fifth (`holdOutSplit`) and scored on that fifth; the best (the stronger on a
    /// tie) is fitted again on every training row and scored on the validation rows. A
    /// convex problem with one minimiser: any correct solver gives the same classifier.
    public static func linear(train: FeatureMatrix, trainLabels: [Int], val: FeatureMatrix, valLabels: [Int], classes: Int,
                              features: String, maxIterations: Int = 3000, seed: UInt64 = 0,
                              l2Strengths: [Double] = l2Strengths) throws -> LinearReport {
        let model = try LogisticRegression(inputs: train.dim, classes: classes)
        let solver = LBFGS(maxIterations: maxIterations)
        func fit(_ x: FeatureMatrix, _ y: [Int], _ l2: Double, scoreOn: FeatureMatrix, _ yScore: [Int]) throws -> (Double, LogisticRegression.Fit) {
            let standard = Standardizer(fitting: x)
            let f = try model.fit(x: standard.apply(x), labels: y, l2: l2, solver: solver)
            return (top1(try model.predict(f, x: standard.apply(scoreOn)), yScore), f)
        }
        let (sub, hold) = holdOutSplit(rows: train.rows, seed: seed)
        guard !sub.isEmpty, !hold.isEmpty else {
            throw EvalError.tooFewForHoldOut(train.rows)
        }
        var sweep: [SweepPoint] = []
        for l2 in l2Strengths {
            let (acc, f) = try fit(train.selecting(sub), sub.map { trainLabels[$0] }, l2,
                                   scoreOn: train.selecting(hold), hold.map { trainLabels[$0] })
            sweep.append(SweepPoint(l2: l2, holdoutTop1: acc, iterations: f.iterations, gradientMax: f.gradientMax))
        }
        var best = sweep[0]
        for p in sweep.dropFirst() where p.holdoutTop1 > best.holdoutTop1 || (p.holdoutTop1 == best.holdoutTop1 && p.l2 > best.l2) {
            best = p
        }
        let (acc, f) = try fit(train, trainLabels, best.l2, scoreOn: val, valLabels)
        return LinearReport(top1: acc, l2: best.l2, sweep: sweep, features: features, iterations: f.iterations,
                            gradientMax: f.gradientMax, converged: f.converged)
    }
}
