import Foundation
import Testing
@testable import VFCData
import VFCTestSupport

@Suite struct TarShardTests {
    func image(_ i: Int) throws -> [UInt8] {
        try PNGCodec.encode(testPattern(width: 12, height: 10, channels: 3, phase: i), width: 12, height: 10, channels: 3)
    }

    /// Two shards in WebDataset layout (key.png + key.cls), the second with a directory prefix.
    func makeShards(_ dir: String) throws {
        writeBytes(makeTar([("000000.png", try image(0)), ("000000.cls", Array("4\n".utf8)),
                            ("000001.png", try image(1)), ("000001.cls", Array("2".utf8))]),
                   to: "\(dir)/train-000.tar")
        writeBytes(makeTar([("sub/000002.png", try image(2)), ("sub/000002.cls", Array("1".utf8)),
                            ("notes.txt", Array("x".utf8)), ("sub/000003.png", try image(3))]),
                   to: "\(dir)/train-001.tar")
    }

    @Test func bracesExpandWithPadding() throws {
        #expect(try TarShards.expand("a/s-{008..011}.tar") == ["a/s-008.tar", "a/s-009.tar", "a/s-010.tar", "a/s-011.tar"])
        #expect(try TarShards.expand("x{1..2}y{0..1}.tar") == ["x1y0.tar", "x1y1.tar", "x2y0.tar", "x2y1.tar"])
        #expect(throws: DatasetError.self) { try TarShards.expand("s-{5..1}.tar") }
        #expect(throws: DatasetError.self) { try TarShards.expand("s-{a..b}.tar") }
    }

    @Test func shardsAreIndexedWithLabelsAndDecodeLikeFiles() throws {
        let dir = makeTempDirectory("vfcdata")
        defer { removeTree(dir) }
        try makeShards(dir)
        let index = try DataIndex(source: "\(dir)/train-{000..001}.tar", shuffleBuffer: 2)
        #expect(index.count == 4)
        #expect(index.paths == ["\(dir)/train-000.tar/000000.png", "\(dir)/train-000.tar/000001.png",
                                "\(dir)/train-001.tar/sub/000002.png", "\(dir)/train-001.tar/sub/000003.png"])
        #expect(index.entries.map(\.label) == [4, 2, 1, -1])
        for i in 0..<4 {
            #expect(try index.sourceImage(i, size: 8) == PNGCodec.decode(try image(i)).resizedAndCenterCropped(to: 8))
        }
        let s = try BatchSampler(dataset: index, config: BatchConfig(
            imageSize: 8, patchSize: 4, globalSize: 8, localSize: 4, globalViews: 1, localViews: 1, batchSize: 4, seed: 1))
        let b = try s.batch(at: 0)
        #expect(b.imageIndices.sorted() == [0, 1, 2, 3])
        #expect(b.labels == b.imageIndices.map { [4, 2, 1, -1][$0] })
        // The shuffle buffer is part of the order, hence of the resume state.
        let other = try DataIndex(source: "\(dir)/train-{000..001}.tar", shuffleBuffer: 3)
        var t = try BatchSampler(dataset: other, config: s.config)
        #expect { try t.restore(state: b.stateAfter) } throws: { "\($0)".contains("paths is") }
    }

    @Test func aTruncatedShardIsAnErrorNamingTheOffsetOrSkippedOnRequest() throws {
        let dir = makeTempDirectory("vfcdata")
        defer { removeTree(dir) }
        try makeShards(dir)
        let whole = [UInt8](FileManager.default.contents(atPath: "\(dir)/train-001.tar")!)
        let cut = 2048 + 100  // inside the third member's header
        writeBytes(Array(whole.prefix(cut)), to: "\(dir)/train-001.tar")
        #expect { try DataIndex(source: "\(dir)/train-{000..001}.tar") } throws: {
            "\($0)".contains("train-001.tar: truncated tar shard at byte offset 2048 (a partial header of 100 bytes)")
        }
        var warnings: [String] = []
        let index = try DataIndex(source: "\(dir)/train-{000..001}.tar", skipTruncatedShards: true) { warnings.append($0) }
        #expect(index.count == 3)
        #expect(warnings.count == 1 && warnings[0].contains("train-001.tar: truncated tar shard at byte offset 2048"))
        // A member cut short: the offset is where the file ends.
        writeBytes(Array(whole.prefix(512 + 50)), to: "\(dir)/train-001.tar")
        #expect { try DataIndex(source: "\(dir)/train-001.tar") } throws: {
            "\($0)".contains("truncated tar shard at byte offset 562 (member at byte offset 0 needs")
        }
        writeBytes(whole, to: "\(dir)/train-001.tar")
        #expect { try DataIndex(source: "\(dir)/train-{000..002}.tar") } throws: { "\($0)".contains("train-002.tar: cannot open") }
    }
}
