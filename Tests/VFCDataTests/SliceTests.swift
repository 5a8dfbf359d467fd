import Testing
import VFCTensor
@testable import VFCData

/// Data parallelism: the slices of a batch that the ranks prepare make up the batch the
/// whole sampler prepares, whatever the number of slices.
@Suite struct SliceTests {
    static let folder = try! DataIndex(source: makePNGFolder(count: 7))

    func sampler(batch: Int) throws -> BatchSampler {
        try BatchSampler(dataset: Self.folder, config: BatchConfig(imageSize: 32, patchSize: 4, globalSize: 32, localSize: 16,
                                                                    globalViews: 2, localViews: 3, batchSize: batch, seed: 4))
    }

    /// The rows of `parts` (in order), joined along the first dimension.
    func joined(_ parts: [Tensor]) -> Tensor {
        let rows = parts.map { $0.shape[0] }.reduce(0, +)
        return Tensor(dtype: parts[0].dtype, shape: [rows] + parts[0].shape.dropFirst(), scalars: parts.flatMap(\.scalars))
    }

    @Test(arguments: [1, 2, 3, 6])
    func slicesMakeUpTheBatch(ranks: Int) throws {
        let whole = try sampler(batch: 6)
        for k in [0, 1, 4] {  // batch 1 straddles two epochs of the 7 images
            let full = try whole.batch(at: k)
            var parts: [Batch] = []
            for r in 0..<ranks {
                parts.append(try sampler(batch: 6).batch(at: k, rows: r * (6 / ranks) ..< (r + 1) * (6 / ranks)))
            }
            for name in full.tensors.keys.sorted() {
                #expect(joined(parts.map { $0.tensors[name]! }) == full.tensors[name]!, "batch \(k), \(name), \(ranks) slices")
            }
            #expect(parts.flatMap(\.imageIndices) == full.imageIndices)
            #expect(parts.allSatisfy { $0.stateAfter == full.stateAfter })
        }
    }
}
