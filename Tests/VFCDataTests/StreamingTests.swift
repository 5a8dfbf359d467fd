import Foundation
import Testing
import VFCTensor
@testable import VFCData

/// Batches decoded per batch on worker threads: independent of how the work is split.
@Suite struct StreamingTests {
    static let dir = makePNGFolder(count: 9, size: 24)
    static let index = try! DataIndex(source: dir)

    func config(batch: Int = 5) -> BatchConfig {
        BatchConfig(imageSize: 24, patchSize: 4, globalSize: 16, localSize: 8, globalViews: 2,
                    localViews: 2, batchSize: batch, seed: 7)
    }

    @Test func rowsOfABatchAreTheSameRowsOfTheWholeBatch() throws {
        let s = try BatchSampler(dataset: Self.index, config: config())
        for k in [0, 3] {
            let whole = try s.batch(at: k)
            for rows in [0..<2, 2..<5, 4..<5] {
                let part = try s.batch(at: k, rows: rows)
                #expect(part.rows == rows)
                #expect(part.imageIndices == Array(whole.imageIndices[rows]))
                #expect(part.stateAfter == whole.stateAfter)
                for (name, t) in whole.tensors {
                    #expect(part.tensors[name]!.shape == [rows.count] + t.shape.dropFirst())
                    let inner = t.count / t.shape[0]
                    #expect(part.tensors[name]!.scalars == Array(t.scalars[(rows.lowerBound * inner)..<(rows.upperBound * inner)]))
                }
            }
        }
        #expect(throws: DatasetError.self) { try s.batch(at: 0, rows: 3..<6) }
    }

    @Test func batchesDoNotDependOnTheWorkerCount() throws {
        let s = try BatchSampler(dataset: Self.index, config: config())
        let reference = try (0..<5).map { try s.batch(at: $0, threads: 1).tensors }
        for workers in [1, 2, 5] {
            let p = Prefetcher(sampler: s, depth: 2, workers: workers)
            for k in 0..<5 {
                let b = try p.next()
                #expect(b.index == k && b.tensors == reference[k])
            }
            p.stop()
        }
        // A rank's slice from its own prefetcher.
        let p = Prefetcher(sampler: s, depth: 1, workers: 3, rows: 1..<4)
        for k in 0..<3 { #expect(try p.next().tensors == s.batch(at: k, rows: 1..<4).tensors) }
    }

    @Test func streamedSourcesEqualTheInMemoryPipeline() throws {
        // Decoding per batch from the bytes gives the same S x S sources (bit for bit) as
        // decoding to floats first and resizing those.
        for i in 0..<Self.index.count {
            let direct = try ImageDecoding.read(path: Self.index.paths[i]).resizedAndCenterCropped(to: 16)
            #expect(try Self.index.sourceImage(i, size: 16) == direct)
        }
        let inMemory = try DataIndex(images: (0..<Self.index.count).map { try ImageDecoding.read(path: Self.index.paths[$0]) },
                                     names: Self.index.paths.map { String($0.dropFirst(Self.dir.count + 1)) })
        let a = try BatchSampler(dataset: Self.index, config: config()).batch(at: 1)
        let b = try BatchSampler(dataset: inMemory, config: config()).batch(at: 1)
        #expect(a.tensors == b.tensors)
    }

    @Test func shardBufferOrderIsAPermutationThatReadsNearlySequentially() {
        let shards = [0..<30, 30..<45, 45..<100]
        let order = EpochOrder.shardBuffer(shards: shards, buffer: 8)
        for epoch in 0..<3 {
            let p = order.permutation(count: 100, seed: 3, epoch: epoch)
            #expect(p.sorted() == Array(0..<100))
            // Each item comes out at most `buffer` places after the stream read it, never before.
            var readAt: [Int: Int] = [:]
            var position = 0
            var rng = RandomStreams.rng(seed: 3, .epochOrder, epoch)
            for s in RandomStreams.permutation(shards.count, rng: &rng) {
                for item in shards[s] { readAt[item] = position; position += 1 }
            }
            for (out, item) in p.enumerated() {
                #expect(out >= readAt[item]! - 8)
            }
        }
        #expect(order.permutation(count: 100, seed: 3, epoch: 0) != order.permutation(count: 100, seed: 3, epoch: 1))
    }
}

extension StreamingTests {
    /// Samplers with different seeds on one dataset (which caches epoch orders) each get
    /// their own order, whichever asks first.
    @Test func samplersOfOneDatasetWithDifferentSeedsDoNotShareOrders() throws {
        let index = try DataIndex(source: Self.dir)
        var c = config(batch: 9)
        let first = try BatchSampler(dataset: index, config: c).imageIndices(batch: 0)
        c.seed = 8
        let other = try BatchSampler(dataset: index, config: c).imageIndices(batch: 0)
        let fresh = try BatchSampler(dataset: try DataIndex(source: Self.dir), config: c).imageIndices(batch: 0)
        #expect(other == fresh)
        #expect(other != first)
    }
}
