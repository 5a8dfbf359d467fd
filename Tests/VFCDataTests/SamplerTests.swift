import Foundation
import Testing
import VFCTensor
@testable import VFCData

@Suite struct SamplerTests {
    static let folderDir = makePNGFolder(count: 7)
    static let folder = try! DataIndex(source: folderDir)

    func config(seed: UInt64 = 1, batch: Int = 3, photometric: Bool = true) -> BatchConfig {
        BatchConfig(imageSize: 32, patchSize: 4, globalSize: 32, localSize: 16, globalViews: 2,
                    localViews: 3, batchSize: batch, seed: seed, photometric: photometric)
    }

    @Test func layoutShapesAndDtypes() throws {
        let s = try BatchSampler(dataset: Self.folder, config: config())
        let t = try s.batch(at: 0).tensors
        #expect(t["global_views"]!.shape == [3, 2, 3, 32, 32] && t["global_views"]!.dtype == .f32)
        #expect(t["local_views"]!.shape == [3, 3, 3, 16, 16] && t["local_views"]!.dtype == .f32)
        #expect(t["boxes"]!.shape == [3, 5, 4] && t["boxes"]!.dtype == .f32)
        #expect(t["flips"]!.shape == [3, 5] && t["flips"]!.dtype == .u8)
        #expect(t["content_masks"]!.shape == [3, 2, 8, 8] && t["content_masks"]!.dtype == .u8)
        #expect(t["position_masks"]!.shape == [3, 2, 8, 8] && t["position_masks"]!.dtype == .u8)
        #expect(t.count == 6)
    }

    @Test func masksAndBoxesOfBatches() throws {
        for batch in [1, 3, 4] {
            let s = try BatchSampler(dataset: Self.folder, config: config(batch: batch))
            for k in 0..<6 {
                let t = try s.batch(at: k).tensors
                let cm = t["content_masks"]!.scalars, pm = t["position_masks"]!.scalars
                var masked = 0
                for v in 0..<(batch * 2) {
                    let c = cm[(v * 64)..<((v + 1) * 64)].reduce(0, +)
                    let p = pm[(v * 64)..<((v + 1) * 64)].reduce(0, +)
                    #expect(p == 16)
                    if c > 0 { masked += 1; #expect(c <= 0.5 * 64) }
                }
                #expect(masked == batch * 2 / 2)
                let boxes = t["boxes"]!.scalars
                for v in 0..<(batch * 5) {
                    let (x0, y0, w, h) = (boxes[4 * v], boxes[4 * v + 1], boxes[4 * v + 2], boxes[4 * v + 3])
                    #expect(x0 >= 0 && y0 >= 0 && w >= 1 && h >= 1 && x0 + w <= 32 && y0 + h <= 32)
                }
                #expect(t["flips"]!.scalars.allSatisfy { $0 == 0 || $0 == 1 })
            }
        }
    }

    @Test func deterministicForASeed() throws {
        let a = try BatchSampler(dataset: Self.folder, config: config(seed: 5))
        let b = try BatchSampler(dataset: Self.folder, config: config(seed: 5))
        let c = try BatchSampler(dataset: Self.folder, config: config(seed: 6))
        for k in 0..<3 {
            #expect(try a.batch(at: k).tensors == b.batch(at: k).tensors)
            #expect(try a.batch(at: k).tensors["global_views"] != c.batch(at: k).tensors["global_views"])
        }
    }

    @Test func epochsVisitEveryImageOnce() throws {
        let s = try BatchSampler(dataset: Self.folder, config: config(batch: 7))
        for k in 0..<3 { #expect(s.imageIndices(batch: k).sorted() == Array(0..<7)) }
        #expect(s.imageIndices(batch: 0) != s.imageIndices(batch: 1) || s.imageIndices(batch: 1) != s.imageIndices(batch: 2))
        // Batches of 3 over 7 images: items 0..<21 are three epochs back to back.
        let t = try BatchSampler(dataset: Self.folder, config: config(batch: 3))
        let items = (0..<7).flatMap { t.imageIndices(batch: $0) }
        for e in 0..<3 { #expect(items[(7 * e)..<(7 * e + 7)].sorted() == Array(0..<7)) }
    }

    @Test func resumeFromSavedStateGivesIdenticalBatches() throws {
        var run = try BatchSampler(dataset: Self.folder, config: config())
        var uninterrupted: [[String: Tensor]] = []
        for _ in 0..<7 { uninterrupted.append(try run.next().tensors) }

        var first = try BatchSampler(dataset: Self.folder, config: config())
        var saved = ""
        for _ in 0..<4 { saved = try first.next().stateAfter }
        #expect(saved == first.state)
        var resumed = try BatchSampler(dataset: Self.folder, config: config())
        try resumed.restore(state: saved)
        #expect(resumed.nextBatch == 4)
        for k in 4..<7 { #expect(try resumed.next().tensors == uninterrupted[k]) }

        // A state for another config or dataset is refused, with the reason.
        var other = try BatchSampler(dataset: Self.folder, config: config(seed: 2))
        #expect { try other.restore(state: saved) } throws: { "\($0)".contains("seed is 2 here, 1 in the state") }
        #expect(throws: DatasetError.self) { try other.restore(state: "garbage") }
        let smaller = try DataIndex(images: try (0..<5).map { try Self.folder.sourceImage($0, size: 32) })
        var third = try BatchSampler(dataset: smaller, config: config())
        #expect { try third.restore(state: saved) } throws: { "\($0)".contains("images is 5 here, 7 in the state") }
    }

    @Test func prefetcherYieldsTheSequentialBatchesInOrder() throws {
        var s = try BatchSampler(dataset: Self.folder, config: config())
        try s.restore(state: try s.batch(at: 1).stateAfter)  // start at batch 2
        let p = Prefetcher(sampler: s, depth: 2)
        for k in 2..<8 {
            if k % 2 == 0 { Thread.sleep(forTimeInterval: 0.01) }  // let the queue fill sometimes
            let b = try p.next()
            #expect(b.index == k)
            #expect(try b.tensors == s.batch(at: k).tensors)
            #expect(p.ready <= 2)
        }
        #expect(p.consumed == 6)
        #expect(p.totalWaitSeconds >= 0 && p.lastWaitSeconds >= 0)
        p.stop()
        p.stop()
        // Dropping a running prefetcher stops its worker (no hang, no crash).
        do { _ = Prefetcher(sampler: s, depth: 1) }
    }

    @Test func noPhotometricViewsAreNormalisedResampledCrops() throws {
        var cfg = config(photometric: false)
        cfg.normalize = false
        let s = try BatchSampler(dataset: Self.folder, config: cfg)
        let b = try s.batch(at: 0)
        let boxes = b.tensors["boxes"]!.scalars, flips = b.tensors["flips"]!.scalars
        let gv = b.tensors["global_views"]!.scalars
        for slot in 0..<3 {
            let box = CropBox(x0: Int(boxes[slot * 20]), y0: Int(boxes[slot * 20 + 1]),
                              w: Int(boxes[slot * 20 + 2]), h: Int(boxes[slot * 20 + 3]))
            let v = ViewGeometry.resample(try Self.folder.sourceImage(b.imageIndices[slot], size: 32), box: box, side: 32, flip: flips[slot * 5] == 1)
            let got = gv[(slot * 2 * 3072)..<(slot * 2 * 3072 + 3072)]
            let same: Bool = zip(got, v).allSatisfy { (a: Double, b: Float) -> Bool in a == Double(b) }
            #expect(same)
        }
        // With normalisation the same pixels come out as (x - mean) / std.
        cfg.normalize = true
        let n = try BatchSampler(dataset: Self.folder, config: cfg).batch(at: 0).tensors["global_views"]!.scalars
        for i in stride(from: 0, to: 3072, by: 97) {
            let c = i / 1024
            #expect(abs(n[i] - (gv[i] - Double(Photometric.mean[c])) / Double(Photometric.std[c])) < 1e-5)
        }
    }

    @Test func invalidConfigsAreRejected() {
        var c = config()
        c.globalSize = 30
        #expect(throws: DatasetError.self) { try BatchSampler(dataset: Self.folder, config: c) }
    }
}
