import Foundation

/// The boxes probe's result on the validation images: COCO AP@[.5:.95] and AP@.5 in percent.
public struct BoxesReport: Codable, Sendable, Equatable {
    public var ap: Double
    public var ap50: Double
    public var trainPatches: Int
    public var positivePatches: Int
    public var valObjects: Int
    public var learningRate: Double
    public var steps: Int
}

/// A detection stand-in on frozen patch features, FCOS-style: a linear head per patch
/// predicts the class of the object whose box holds the patch centre (the smallest such box;
/// class 0 when none) and the distances from the centre to that box's four sides (in patch
/// units). Decoded: every class of every patch with a probability above `minScore` is a box,
/// kept by class-wise non-maximum suppression; scored by COCO AP (`COCOAP`).
public enum BoxesProbe {
    public static let minScore = 0.05
    public static let nmsIoU = 0.6
    public static let maxDetections = 100

    /// The target row of every patch of an n x n grid over a source of side `side`:
    /// one-hot class (classes + 1), the 4 distances l, t, r, b in patch units, the positive flag.
    public static func targets(objects: [ObjectBox], classes: Int, grid n: Int, side: Int) -> [Float] {
        let p = Double(side) / Double(n)
        let width = classes + 6
        var out = [Float](repeating: 0, count: n * n * width)
        for i in 0..<n {
            for j in 0..<n {
                let (cx, cy) = ((Double(j) + 0.5) * p, (Double(i) + 0.5) * p)
                var best: ObjectBox?
                for o in objects where o.x0 <= cx && cx < o.x0 + o.w && o.y0 <= cy && cy < o.y0 + o.h {
                    if best == nil || o.w * o.h < best!.w * best!.h { best = o }
                }
                let row = (i * n + j) * width
                guard let o = best else {
                    out[row] = 1
                    continue
                }
                out[row + 1 + o.classId] = 1
                let d = [cx - o.x0, cy - o.y0, o.x0 + o.w - cx, o.y0 + o.h - cy].map { Float($0 / p) }
                for k in 0..<4 { out[row + classes + 1 + k] = d[k] }
                out[row + classes + 5] = 1
            }
        }
        return out
    }

    /// Boxes from one image's head outputs (n * n rows of classes + 1 logits and 4 distances).
    public static func decode(_ outputs: ArraySlice<Float>, classes: Int, grid n: Int, side: Int) -> [ScoredBox] {
        let p = Double(side) / Double(n)
        let width = classes + 5
        var candidates: [ScoredBox] = []
        let base = outputs.startIndex
        for i in 0..<n {
            for j in 0..<n {
                let row = base + (i * n + j) * width
                let logits = (0...classes).map { Double(outputs[row + $0]) }
                let top = logits.max()!
                let e = logits.map { exp($0 - top) }
                let total = e.reduce(0, +)
                let (cx, cy) = ((Double(j) + 0.5) * p, (Double(i) + 0.5) * p)
                let d = (0..<4).map { max(0, Double(outputs[row + classes + 1 + $0])) * p }
                for c in 0..<classes {
                    let score = e[c + 1] / total
                    guard score > minScore else { continue }
                    candidates.append(ScoredBox(box: ObjectBox(classId: c, x0: cx - d[0], y0: cy - d[1], w: d[0] + d[2], h: d[1] + d[3]),
                                                score: score))
                }
            }
        }
        return nms(candidates)
    }

    /// Greedy class-wise non-maximum suppression, then the `maxDetections` best.
    public static func nms(_ boxes: [ScoredBox]) -> [ScoredBox] {
        let sorted = boxes.indices.sorted { boxes[$0].score != boxes[$1].score ? boxes[$0].score > boxes[$1].score : $0 < $1 }.map { boxes[$0] }
        var kept: [ScoredBox] = []
        for b in sorted where !kept.contains(where: { $0.box.classId == b.box.classId && COCOAP.iou($0.box, b.box) > nmsIoU }) {
            kept.append(b)
            if kept.count == maxDetections { break }
        }
        return kept
    }

    /// Trains the head on the training images' patch features (`trainPatches`, n * n rows per
    /// image, image-major) and scores its decoded boxes on the validation images.
    public static func run(trainPatches: FeatureMatrix, trainObjects: [[ObjectBox]], valPatches: FeatureMatrix,
                           valObjects: [[ObjectBox]], classes: Int, grid: Int, side: Int,
                           learningRate: Double = 0.01, steps: Int = 1000, batchSize: Int = 1024, seed: UInt64 = 0) throws -> BoxesReport {
        let head = try LinearHead(inputs: trainPatches.dim, loss: .fcos(classes: classes))
        var t: [Float] = []
        for objects in trainObjects { t += targets(objects: objects, classes: classes, grid: grid, side: side) }
        let targetRows = FeatureMatrix(rows: trainPatches.rows, dim: classes + 6, values: t)
        let positives = (0..<targetRows.rows).filter { targetRows.values[$0 * targetRows.dim + classes + 5] > 0 }.count
        let standard = Standardizer(fitting: trainPatches)
        let weights = try head.train(x: standard.apply(trainPatches), targets: targetRows,
                                     ProbeTraining(learningRate: learningRate, steps: steps, batchSize: batchSize, seed: seed))
        let out = try head.predict(weights, x: standard.apply(valPatches))
        let per = grid * grid * out.dim
        let detections = valObjects.indices.map { i in
            decode(out.values[i * per ..< (i + 1) * per], classes: classes, grid: grid, side: side)
        }
        let (ap, ap50) = COCOAP.evaluate(groundTruth: valObjects, detections: detections)
        return BoxesReport(ap: 100 * ap, ap50: 100 * ap50, trainPatches: trainPatches.rows, positivePatches: positives,
                           valObjects: valObjects.reduce(0) { $0 + $1.count }, learningRate: learningRate, steps: steps)
    }
}
