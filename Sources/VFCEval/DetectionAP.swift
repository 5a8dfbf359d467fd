import Foundation

/// A detection: a box (x0, y0, w, h in pixels) of a class with a confidence score.
public struct ScoredBox: Sendable, Equatable {
    public var box: ObjectBox
    public var score: Double

    public init(box: ObjectBox, score: Double) {
        self.box = box
        self.score = score
    }
}

/// COCO's box AP, computed as pycocotools' `COCOeval` computes it (iouType "bbox", area
/// "all", at most `maxDetections` per image and class): for each class that has ground
/// truth and each IoU threshold 0.50, 0.55, ..., 0.95, detections of every image sorted by
/// score (stable), greedily matched in that order to the unmatched ground-truth box of
/// highest IoU at or above the threshold, and the precision, made non-increasing, sampled at
/// the 101 recall points 0, 0.01, ..., 1. AP is the mean over thresholds, recall points and
/// classes; AP50 the same at IoU 0.5 alone. Checked against pycocotools on fixtures
/// (Tests/fixtures/coco/).
public enum COCOAP {
    /// numpy.linspace(0.5, 0.95, 10), bit for bit.
    public static let iouThresholds: [Double] = (0..<10).map { (i: Int) -> Double in
        let step: Double = (0.95 - 0.5) / 9
        return i == 9 ? 0.95 : Double(i) * step + 0.5
    }
    /// numpy.linspace(0, 1, 101), bit for bit.
    public static let recallPoints: [Double] = (0...100).map { (i: Int) -> Double in
        let step: Double = 1.0 / 100
        return i == 100 ? 1 : Double(i) * step
    }

    /// Intersection over union of two boxes (pycocotools' bbIou, no crowd).
    public static func iou(_ a: ObjectBox, _ b: ObjectBox) -> Double {
        let w = min(a.x0 + a.w, b.x0 + b.w) - max(a.x0, b.x0)
        let h = min(a.y0 + a.h, b.y0 + b.h) - max(a.y0, b.y0)
        guard w > 0, h > 0 else { return 0 }
        let inter = w * h
        return inter / (a.w * a.h + b.w * b.h - inter)
    }

    /// AP@[.5:.95] and AP@.5 (fractions; NaN when no class has ground truth), from each
    /// image's ground truth and detections (in the order given: ties in score keep it).
    public static func evaluate(groundTruth: [[ObjectBox]], detections: [[ScoredBox]], maxDetections: Int = 100) -> (ap: Double, ap50: Double) {
        precondition(groundTruth.count == detections.count, "one list of detections per image")
        let classes = Set(groundTruth.flatMap { $0.map(\.classId) } + detections.flatMap { $0.map(\.box.classId) }).sorted()
        var sums = [Double](repeating: 0, count: iouThresholds.count)
        var counted = 0
        for c in classes {
            let gts = groundTruth.map { $0.filter { $0.classId == c } }
            let npig = gts.reduce(0) { $0 + $1.count }
            guard npig > 0 else { continue }  // no ground truth: pycocotools leaves the class out
            counted += 1
            // Per image: the class's detections by score (stable), at most maxDetections.
            let dts: [[ScoredBox]] = detections.map { d in
                Array(stableSortedByScore(d.filter { $0.box.classId == c }).prefix(maxDetections))
            }
            for (t, threshold) in iouThresholds.enumerated() {
                // (score, matched) of every detection, image by image, in score order.
                var all: [(score: Double, tp: Bool)] = []
                for (g, d) in zip(gts, dts) {
                    var taken = [Bool](repeating: false, count: g.count)
                    for det in d {
                        var best = min(threshold, 1 - 1e-10), match = -1
                        for (j, gt) in g.enumerated() where !taken[j] {
                            let o = iou(det.box, gt)
                            if o < best { continue }
                            best = o
                            match = j
                        }
                        if match >= 0 { taken[match] = true }
                        all.append((det.score, match >= 0))
                    }
                }
                let order = all.indices.sorted { all[$0].score != all[$1].score ? all[$0].score > all[$1].score : $0 < $1 }
                var tp = 0.0, fp = 0.0
                var recall: [Double] = [], precision: [Double] = []
                for i in order {
                    if all[i].tp { tp += 1 } else { fp += 1 }
                    recall.append(tp / Double(npig))
                    precision.append(tp / (tp + fp + Double.ulpOfOne))
                }
                if precision.count > 1 {
                    for i in stride(from: precision.count - 1, to: 0, by: -1) where precision[i] > precision[i - 1] {
                        precision[i - 1] = precision[i]
                    }
                }
                var q = 0.0
                for r in recallPoints {
                    // numpy.searchsorted(recall, r, side="left")
                    var lo = 0, hi = recall.count
                    while lo < hi {
                        let mid = (lo + hi) / 2
                        if recall[mid] < r { lo = mid + 1 } else { hi = mid }
                    }
                    if lo < precision.count { q += precision[lo] }
                }
                sums[t] += q / Double(recallPoints.count)
            }
        }
        guard counted > 0 else { return (.nan, .nan) }
        let perThreshold = sums.map { $0 / Double(counted) }
        return (perThreshold.reduce(0, +) / Double(perThreshold.count), perThreshold[0])
    }

    private static func stableSortedByScore(_ d: [ScoredBox]) -> [ScoredBox] {
        d.indices.sorted { d[$0].score != d[$1].score ? d[$0].score > d[$1].score : $0 < $1 }.map { d[$0] }
    }
}
