import Foundation
import Testing
@testable import VFCEval

/// COCOAP against pycocotools' COCOeval on the checked-in fixtures
/// (Tests/fixtures/coco/make_coco_fixtures.py made them), and on cases worked by hand.
@Suite struct COCOAPTests {
    struct Fixture: Decodable {
        struct Image: Decodable {
            var gt: [[Double]]
            var dets: [[Double]]
        }
        struct Case: Decodable {
            var seed: Int
            var images: [Image]
            var ap: Double
            var ap50: Double
        }
        var cases: [Case]
    }

    static func fixture() throws -> Fixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Tests/fixtures/coco/coco_ap.json").standardized
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    static func box(_ v: [Double]) -> ObjectBox { ObjectBox(classId: Int(v[0]), x0: v[1], y0: v[2], w: v[3], h: v[4]) }

    @Test func matchesPycocotools() throws {
        let f = try Self.fixture()
        #expect(f.cases.count == 5)
        for c in f.cases {
            let gt = c.images.map { $0.gt.map(Self.box) }
            let dets = c.images.map { $0.dets.map { ScoredBox(box: Self.box($0), score: $0[5]) } }
            let (ap, ap50) = COCOAP.evaluate(groundTruth: gt, detections: dets)
            #expect(abs(ap - c.ap) < 1e-9, "seed \(c.seed): AP \(ap), pycocotools \(c.ap)")
            #expect(abs(ap50 - c.ap50) < 1e-9, "seed \(c.seed): AP50 \(ap50), pycocotools \(c.ap50)")
        }
    }

    @Test func perfectDetectionsScoreOne() {
        let gt = [[ObjectBox(classId: 0, x0: 1, y0: 2, w: 10, h: 5)], [ObjectBox(classId: 1, x0: 0, y0: 0, w: 4, h: 4)]]
        let dets = gt.map { $0.map { ScoredBox(box: $0, score: 0.9) } }
        let (ap, ap50) = COCOAP.evaluate(groundTruth: gt, detections: dets)
        // Precision is tp / (tp + fp + eps) with numpy's eps, as in pycocotools: 1 - 2e-16.
        #expect(abs(ap - 1) < 1e-12 && abs(ap50 - 1) < 1e-12)
    }

    /// One box of IoU 0.62 with its ground truth: matched at thresholds 0.5, 0.55, 0.6 only,
    /// so AP = 3/10 and AP50 = 1.
    @Test func partialOverlapByHand() {
        let g = ObjectBox(classId: 0, x0: 0, y0: 0, w: 10, h: 10)
        let d = ObjectBox(classId: 0, x0: 0, y0: 0, w: 10, h: 6.2)
        #expect(abs(COCOAP.iou(g, d) - 0.62) < 1e-12)
        let (ap, ap50) = COCOAP.evaluate(groundTruth: [[g]], detections: [[ScoredBox(box: d, score: 1)]])
        #expect(abs(ap - 0.3) < 1e-12 && abs(ap50 - 1) < 1e-12)
    }

    @Test func noDetectionsScoreZero() {
        let (ap, ap50) = COCOAP.evaluate(groundTruth: [[ObjectBox(classId: 2, x0: 0, y0: 0, w: 3, h: 3)]], detections: [[]])
        #expect(ap == 0 && ap50 == 0)
    }
}
