import Foundation
import Testing
import VFCData
import VFCTensor
@testable import VFCEval

/// Features with known answers: clusters one per class (separable), noise with random labels
/// (chance), and features that are a linear map of the position targets (R^2 = 1).
@Suite struct ProbeTests {
    /// `rows` points of `classes` well separated clusters in `dim` dims (centre: 4 e_c), with
    /// unit-variance noise in the other dims scaled by `noise`.
    static func clusters(rows: Int, classes: Int, dim: Int, noise: Double, seed: UInt64) -> (FeatureMatrix, [Int]) {
        var rng = RNG(seed: seed)
        var v: [Float] = [], labels: [Int] = []
        for i in 0..<rows {
            let c = i % classes
            labels.append(c)
            for k in 0..<dim { v.append(Float((k == c ? 4.0 : 0.0) + noise * rng.normal())) }
        }
        return (FeatureMatrix(rows: rows, dim: dim, values: v), labels)
    }

    static func noise(rows: Int, classes: Int, dim: Int, seed: UInt64) -> (FeatureMatrix, [Int]) {
        var rng = RNG(seed: seed)
        let v = (0..<(rows * dim)).map { _ in Float(rng.normal()) }
        return (FeatureMatrix(rows: rows, dim: dim, values: v), (0..<rows).map { _ in rng.nextInt(below: classes) })
    }

    @Test func knnSeparableIsPerfect() {
        let (tr, trl) = Self.clusters(rows: 200, classes: 5, dim: 16, noise: 0.5, seed: 1)
        let (va, val) = Self.clusters(rows: 100, classes: 5, dim: 16, noise: 0.5, seed: 2)
        #expect(ClassificationProbes.knn(train: tr, trainLabels: trl, val: va, valLabels: val, classes: 5).top1 == 100)
    }

    @Test func knnRandomIsChance() {
        let (tr, trl) = Self.noise(rows: 1000, classes: 5, dim: 16, seed: 3)
        let (va, val) = Self.noise(rows: 1000, classes: 5, dim: 16, seed: 4)
        let acc = ClassificationProbes.knn(train: tr, trainLabels: trl, val: va, valLabels: val, classes: 5).top1
        // Chance is 20 %; 1000 draws have a standard deviation of 1.3 points.
        #expect(acc > 15 && acc < 25, "\(acc)")
    }

    /// The weighted vote by hand: two neighbours of class 1 at cosine 0.6 outvote one of
    /// class 0 at cosine 1 only when exp(0.6/T) * 2 > exp(1/T), i.e. for T > 0.577.
    @Test func knnVoteWeightsByHand() {
        let s = Float((1 - 0.36).squareRoot())
        let train = FeatureMatrix(rows: 3, dim: 2, values: [1, 0, 0.6, s, 0.6, -s])
        let q = FeatureMatrix(rows: 1, dim: 2, values: [2, 0])
        #expect(KNNClassifier.predict(train: train, labels: [0, 1, 1], classes: 2, query: q, k: 3, temperature: 0.07) == [0])
        #expect(KNNClassifier.predict(train: train, labels: [0, 1, 1], classes: 2, query: q, k: 3, temperature: 1) == [1])
        #expect(KNNClassifier.predict(train: train, labels: [0, 1, 1], classes: 2, query: q, k: 1, temperature: 1) == [0])
    }

    @Test func linearSeparableIsPerfect() throws {
        let (tr, trl) = Self.clusters(rows: 300, classes: 5, dim: 12, noise: 0.5, seed: 5)
        let (va, val) = Self.clusters(rows: 100, classes: 5, dim: 12, noise: 0.5, seed: 6)
        let r = try ClassificationProbes.linear(train: tr, trainLabels: trl, val: va, valLabels: val, classes: 5,
                                                features: "cls", l2Strengths: [1e-3, 1e-2])
        #expect(r.top1 == 100)
        #expect(r.sweep.count == 2)
        #expect(r.converged)
    }

    @Test func linearRandomIsChance() throws {
        let (tr, trl) = Self.noise(rows: 400, classes: 5, dim: 8, seed: 7)
        let (va, val) = Self.noise(rows: 1000, classes: 5, dim: 8, seed: 8)
        let r = try ClassificationProbes.linear(train: tr, trainLabels: trl, val: va, valLabels: val, classes: 5,
                                                features: "cls", l2Strengths: [1e-2])
        #expect(r.top1 > 15 && r.top1 < 25, "\(r.top1)")
    }

    /// Features that are an affine map of the targets (plus columns of noise): the linear
    /// head can invert it exactly, so R^2 reaches 1 and the error 0.
    @Test func positionOfALinearMapIsExact() throws {
        var rng = RNG(seed: 9)
        func make(_ rows: Int) -> (FeatureMatrix, FeatureMatrix) {
            var x: [Float] = [], t: [Float] = []
            for _ in 0..<rows {
                let (u, v) = (rng.uniform(lo: 0, hi: 1), rng.uniform(lo: 0, hi: 1))
                t += [Float(u), Float(v)]
                x += [Float(3 * u - 2 * v + 1), Float(0.5 * u + v - 0.25), Float(rng.normal()), Float(rng.normal())]
            }
            return (FeatureMatrix(rows: rows, dim: 4, values: x), FeatureMatrix(rows: rows, dim: 2, values: t))
        }
        let (tx, ty) = make(4000), (vx, vy) = make(1000)
        let r = try PositionProbe.run(train: tx, trainTargets: ty, val: vx, valTargets: vy, grid: 8)
        #expect(r.r2 > 0.9999, "\(r.r2)")
        #expect(r.meanErrorPatches < 0.05, "\(r.meanErrorPatches)")
    }

    @Test func positionOfNoiseIsZero() throws {
        var rng = RNG(seed: 10)
        func make(_ rows: Int) -> (FeatureMatrix, FeatureMatrix) {
            let x = (0..<(rows * 4)).map { _ in Float(rng.normal()) }
            let t = (0..<(rows * 2)).map { _ in Float(rng.uniform(lo: 0, hi: 1)) }
            return (FeatureMatrix(rows: rows, dim: 4, values: x), FeatureMatrix(rows: rows, dim: 2, values: t))
        }
        let (tx, ty) = make(2000), (vx, vy) = make(1000)
        let r = try PositionProbe.run(train: tx, trainTargets: ty, val: vx, valTargets: vy, grid: 8)
        #expect(abs(r.r2) < 0.02, "\(r.r2)")
    }

    /// Scores by hand: predictions off by (0.1, 0) and (0, 0.2) on targets (0, 0), (1, 1).
    @Test func positionScoresByHand() {
        let t = FeatureMatrix(rows: 2, dim: 2, values: [0, 0, 1, 1])
        let p = FeatureMatrix(rows: 2, dim: 2, values: [0.1, 0, 1, 1.2])
        let (e, r2) = PositionProbe.scores(predicted: p, targets: t, grid: 8)
        #expect(abs(e - 8 * 0.15) < 1e-6)
        // SS_res = 0.01 + 0.04, SS_tot = 2 * (0.25 + 0.25).
        #expect(abs(r2 - (1 - 0.05 / 1.0)) < 1e-6)
    }

    /// Patch centres of a 2 x 2 grid over the box (8, 16, 32, 16) of a 64-pixel source.
    @Test func positionTargetsByHand() {
        let box = CropBox(x0: 8, y0: 16, w: 32, h: 16)
        let plain = PositionProbe.targets(box: box, flip: false, grid: 2, side: 64).map(Double.init)
        let expected = [16.0, 20, 32, 20, 16, 28, 32, 28].map { $0 / 64 }
        #expect(zip(plain, expected).allSatisfy { abs($0 - $1) < 1e-7 })
        let flipped = PositionProbe.targets(box: box, flip: true, grid: 2, side: 64).map(Double.init)
        let mirrored = [32.0, 20, 16, 20, 32, 28, 16, 28].map { $0 / 64 }
        #expect(zip(flipped, mirrored).allSatisfy { abs($0 - $1) < 1e-7 })
    }

    @Test func splitIsDeterministicAndDisjoint() {
        let a = EvalDataset.split(count: 101, fraction: 0.2, seed: 3)
        let b = EvalDataset.split(count: 101, fraction: 0.2, seed: 3)
        #expect(a.train == b.train && a.val == b.val)
        #expect(a.val.count == 20 && a.train.count == 81)
        #expect(Set(a.train).isDisjoint(with: a.val))
        #expect(EvalDataset.split(count: 101, fraction: 0.2, seed: 4).val != a.val)
    }
}
