import Foundation
import Testing
import VFCTensor
@testable import VFCEval

/// The boxes probe's targets by hand, and the whole probe (train, decode, NMS, AP) on
/// features with known answers: features that hold the targets give near-perfect AP,
/// noise gives nearly none.
@Suite struct BoxesProbeTests {
    /// A 2 x 2 grid over a 16-pixel image (patch centres at 4 and 12): an object (class 1)
    /// covering the left column, and a smaller one (class 0) inside it at the top-left centre.
    @Test func targetsByHand() {
        let big = ObjectBox(classId: 1, x0: 0, y0: 0, w: 8, h: 16)
        let small = ObjectBox(classId: 0, x0: 2, y0: 2, w: 4, h: 4)
        let t = BoxesProbe.targets(objects: [big, small], classes: 2, grid: 2, side: 16)
        let w = 2 + 6
        // Patch (0, 0), centre (4, 4): the smaller box, class 0 -> one-hot index 1; distances
        // (2, 2, 2, 2) pixels = 0.25 patches.
        #expect(Array(t[0..<w]) == [0, 1, 0, 0.25, 0.25, 0.25, 0.25, 1])
        // Patch (0, 1), centre (12, 4): background.
        #expect(Array(t[w..<(2 * w)]) == [1, 0, 0, 0, 0, 0, 0, 0])
        // Patch (1, 0), centre (4, 12): the big box, distances (4, 12, 4, 4) = (0.5, 1.5, 0.5, 0.5).
        #expect(Array(t[(2 * w)..<(3 * w)]) == [0, 0, 1, 0.5, 1.5, 0.5, 0.5, 1])
    }

    /// Random objects on 64-pixel images with an 8 x 8 grid.
    static func scenes(_ count: Int, seed: UInt64) -> [[ObjectBox]] {
        var rng = RNG(seed: seed)
        return (0..<count).map { _ in
            (0..<(1 + rng.nextInt(below: 2))).map { _ in
                let w = rng.uniform(lo: 14, hi: 30), h = rng.uniform(lo: 14, hi: 30)
                return ObjectBox(classId: rng.nextInt(below: 3), x0: rng.uniform(lo: 0, hi: 64 - w), y0: rng.uniform(lo: 0, hi: 64 - h), w: w, h: h)
            }
        }
    }

    /// Patch features: the target row (one-hot class, distances) plus two noise columns, or
    /// only noise.
    static func features(_ scenes: [[ObjectBox]], informative: Bool, seed: UInt64) -> FeatureMatrix {
        var rng = RNG(seed: seed)
        var v: [Float] = []
        for s in scenes {
            let t = BoxesProbe.targets(objects: s, classes: 3, grid: 8, side: 64)
            for p in 0..<64 {
                if informative { v += t[(p * 9)..<(p * 9 + 8)] } else { v += (0..<8).map { _ in Float(rng.normal()) } }
                v += [Float(rng.normal()), Float(rng.normal())]
            }
        }
        return FeatureMatrix(rows: scenes.count * 64, dim: 10, values: v)
    }

    @Test func targetsAsFeaturesGiveNearPerfectAP() throws {
        let train = Self.scenes(200, seed: 1), val = Self.scenes(50, seed: 2)
        let r = try BoxesProbe.run(trainPatches: Self.features(train, informative: true, seed: 3), trainObjects: train,
                                   valPatches: Self.features(val, informative: true, seed: 4), valObjects: val,
                                   classes: 3, grid: 8, side: 64, steps: 1500, batchSize: 512)
        #expect(r.ap50 > 95, "AP50 \(r.ap50)")
        #expect(r.ap > 80, "AP \(r.ap)")
    }

    @Test func noiseGivesAlmostNoAP() throws {
        let train = Self.scenes(200, seed: 5), val = Self.scenes(50, seed: 6)
        let r = try BoxesProbe.run(trainPatches: Self.features(train, informative: false, seed: 7), trainObjects: train,
                                   valPatches: Self.features(val, informative: false, seed: 8), valObjects: val,
                                   classes: 3, grid: 8, side: 64, steps: 300, batchSize: 512)
        #expect(r.ap < 5, "AP \(r.ap)")
    }
}
