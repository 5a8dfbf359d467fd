import Foundation

/// The kNN probe's result: top-1 accuracy in percent on the validation images.
public struct KNNReport: Codable, Sendable, Equatable {
    public var top1: Double
    public var k: Int
    public var temperature: Double
}

/// One learning rate of the linear probe's sweep and its top-1 (percent) on the hold-out.
public struct SweepPoint: Codable, Sendable, Equatable {
    public var learningRate: Double
    public var holdoutTop1: Double
}

/// The linear probe's result: top-1 in percent on the validation images, with the
/// learning rate chosen on a hold-out part of the training images.
public struct LinearReport: Codable, Sendable, Equatable {
    public var top1: Double
    public var learningRate: Double
    public var sweep: [SweepPoint]
    public var features: String
    public var steps: Int
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

    /// Learning rates the linear probe tries.
    public static let learningRates = [1e-3, 3e-3, 1e-2, 3e-2, 1e-1]

    /// A linear classifier (softmax cross-entropy, AdamW, features standardised on the
    /// training rows). Each learning rate of `learningRates` is trained on the training rows
    /// less a hold-out fifth (seeded) and scored on that fifth; the best (the smaller on a tie)
    /// is trained again on every training row and scored on the validation rows.
    public static func linear(train: FeatureMatrix, trainLabels: [Int], val: FeatureMatrix, valLabels: [Int], classes: Int,
                              features: String, steps: Int = 1000, batchSize: Int = 256, seed: UInt64 = 0,
                              learningRates: [Double] = learningRates) throws -> LinearReport {
        let head = try LinearHead(inputs: train.dim, loss: .crossEntropy(classes: classes))
        func fit(_ x: FeatureMatrix, _ y: [Int], _ lr: Double, scoreOn: FeatureMatrix, _ yScore: [Int]) throws -> Double {
            let standard = Standardizer(fitting: x)
            let weights = try head.train(x: standard.apply(x), targets: oneHot(y, classes: classes),
                                         ProbeTraining(learningRate: lr, steps: steps, batchSize: batchSize, seed: seed))
            let logits = try head.predict(weights, x: standard.apply(scoreOn))
            return top1(argmax(logits), yScore)
        }
        let (sub, hold) = EvalDataset.split(count: train.rows, fraction: 0.2, seed: seed &+ 1)
        guard !sub.isEmpty, !hold.isEmpty else {
            throw EvalError.tooFewForHoldOut(train.rows)
        }
        var sweep: [SweepPoint] = []
        for lr in learningRates {
            let acc = try fit(train.selecting(sub), sub.map { trainLabels[$0] }, lr,
                              scoreOn: train.selecting(hold), hold.map { trainLabels[$0] })
            sweep.append(SweepPoint(learningRate: lr, holdoutTop1: acc))
        }
        var best = sweep[0]
        for p in sweep.dropFirst() where p.holdoutTop1 > best.holdoutTop1 { best = p }
        let acc = try fit(train, trainLabels, best.learningRate, scoreOn: val, valLabels)
        return LinearReport(top1: acc, learningRate: best.learningRate, sweep: sweep, features: features, steps: steps)
    }

    /// One-hot rows of `labels` (each in 0..<classes).
    public static func oneHot(_ labels: [Int], classes: Int) -> FeatureMatrix {
        var v = [Float](repeating: 0, count: labels.count * classes)
        for (i, l) in labels.enumerated() { v[i * classes + l] = 1 }
        return FeatureMatrix(rows: labels.count, dim: classes, values: v)
    }

    /// The index of each row's largest value (the first on a tie).
    public static func argmax(_ m: FeatureMatrix) -> [Int] {
        (0..<m.rows).map { i in
            var best = 0
            for c in 1..<max(m.dim, 1) where m.values[i * m.dim + c] > m.values[i * m.dim + best] { best = c }
            return best
        }
    }
}
