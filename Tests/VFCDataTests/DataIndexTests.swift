import Foundation
import Testing
@testable import VFCData
import VFCTestSupport

@Suite struct DataIndexTests {
    @Test func scansRecursivelySortedCaseInsensitiveWithClassLabels() throws {
        let dir = makeTempDirectory("vfcdata")
        defer { removeTree(dir) }
        let png = try PNGCodec.encode(testPattern(width: 20, height: 10, channels: 3), width: 20, height: 10, channels: 3)
        let jpg = try JPEGCodec.encode(testPattern(width: 10, height: 30, channels: 3), width: 10, height: 30, channels: 3)
        writeBytes(png, to: "\(dir)/b/one.PNG")
        writeBytes(jpg, to: "\(dir)/a/deeper/two.JPeG")
        writeBytes(jpg, to: "\(dir)/c.jpg")
        writeBytes(Array("text".utf8), to: "\(dir)/notes.txt")
        var warnings: [String] = []
        let index = try DataIndex(source: dir) { warnings.append($0) }
        #expect(warnings.isEmpty)
        #expect(index.paths.map { String($0.dropFirst(dir.count + 1)) } == ["a/deeper/two.JPeG", "b/one.PNG", "c.jpg"])
        #expect(index.classes == ["a", "b"])
        #expect(index.entries.map(\.label) == [0, 1, -1])
        for i in 0..<3 {
            let image = try index.sourceImage(i, size: 16)
            #expect(image.width == 16 && image.height == 16 && image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
    }

    @Test func corruptAndTruncatedFilesAreReplacedAndWarnedAboutOnce() throws {
        let dir = makeTempDirectory("vfcdata")
        defer { removeTree(dir) }
        let jpg = try JPEGCodec.encode(testPattern(width: 64, height: 64, channels: 3), width: 64, height: 64, channels: 3)
        writeBytes(Array(jpg.prefix(jpg.count * 2 / 3)), to: "\(dir)/a_truncated.jpg")
        writeBytes(Array("garbage, not a png".utf8), to: "\(dir)/b_corrupt.png")
        writeBytes([], to: "\(dir)/c_empty.jpeg")
        writeBytes(jpg, to: "\(dir)/d_good.jpg")
        let warnings = Locked<[String]>([])
        let index = try DataIndex(source: dir) { w in warnings.update { $0.append(w) } }
        #expect(index.count == 4)
        let sampler = try BatchSampler(dataset: index, config: BatchConfig(
            imageSize: 32, patchSize: 8, globalSize: 32, localSize: 16, globalViews: 1, localViews: 1, batchSize: 4, seed: 0))
        for k in 0..<3 {
            let b = try sampler.batch(at: k)
            // Every row falls through to the one readable file (the next one, wrapping around).
            #expect(b.imageIndices == [3, 3, 3, 3])
        }
        #expect(index.skipped.map { ($0.path as NSString).lastPathComponent } .sorted()
                == ["a_truncated.jpg", "b_corrupt.png", "c_empty.jpeg"])
        #expect(warnings.value.count == 3)
        #expect(warnings.value.allSatisfy { $0.hasPrefix("skipping \(dir)/") })
        #expect(warnings.value.contains { $0.contains("a_truncated.jpg: damaged JPEG") })
    }

    @Test func emptyOrUnreadableDatasetIsAnError() throws {
        let dir = makeTempDirectory("vfcdata")
        defer { removeTree(dir) }
        #expect { try DataIndex(source: dir) } throws: { "\($0)".contains("no images") }
        writeBytes(Array("x".utf8), to: "\(dir)/bad.png")
        let index = try DataIndex(source: dir)
        let sampler = try BatchSampler(dataset: index, config: BatchConfig(
            imageSize: 32, patchSize: 8, globalSize: 32, localSize: 16, globalViews: 1, localViews: 1, batchSize: 2, seed: 0))
        #expect { try sampler.batch(at: 0) } throws: { "\($0)".contains("no readable images") }
        #expect { try DataIndex(source: "\(dir)/missing") } throws: { "\($0)".contains("no such file") }
    }

    /// Symlinked files and folders are followed; dangling links, link loops and a folder
    /// linked into itself are warned about and counted, never silently dropped or hung on.
    @Test func symlinksAreFollowedAndBrokenOnesReported() throws {
        let dir = makeTempDirectory("vfcdata")
        defer { removeTree(dir) }
        let png = try PNGCodec.encode(testPattern(width: 8, height: 8, channels: 3), width: 8, height: 8, channels: 3)
        writeBytes(png, to: "\(dir)/real/x.png")
        writeBytes(png, to: "\(dir)/elsewhere/y.png")
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: "\(dir)/data", withDestinationPath: "\(dir)/real")
        try fm.createSymbolicLink(atPath: "\(dir)/real/linked_dir", withDestinationPath: "\(dir)/elsewhere")
        try fm.createSymbolicLink(atPath: "\(dir)/real/linked.png", withDestinationPath: "\(dir)/elsewhere/y.png")
        try fm.createSymbolicLink(atPath: "\(dir)/real/dangling.png", withDestinationPath: "\(dir)/nowhere.png")
        try fm.createSymbolicLink(atPath: "\(dir)/real/loop_a.png", withDestinationPath: "\(dir)/real/loop_b.png")
        try fm.createSymbolicLink(atPath: "\(dir)/real/loop_b.png", withDestinationPath: "\(dir)/real/loop_a.png")
        try fm.createSymbolicLink(atPath: "\(dir)/real/sub_loop", withDestinationPath: "\(dir)/real")
        var warnings: [String] = []
        let index = try DataIndex(source: "\(dir)/data") { warnings.append($0) }
        #expect(index.paths.map { String($0.dropFirst(dir.count + 6)) } == ["linked.png", "linked_dir/y.png", "x.png"])
        let reasons = index.skipped.map { (($0.path as NSString).lastPathComponent, $0.reason.description) }
        #expect(reasons.map(\.0) == ["dangling.png", "loop_a.png", "loop_b.png", "sub_loop"])
        #expect(reasons[0].1.hasPrefix("dangling symlink"))
        #expect(reasons[1].1.hasPrefix("symlink loop") && reasons[2].1.hasPrefix("symlink loop"))
        #expect(reasons[3].1.contains("contains itself"))
        #expect(warnings.count == 4)
    }

    @Test func listFileGivesPathsAndLabels() throws {
        let dir = makeTempDirectory("vfcdata")
        defer { removeTree(dir) }
        let png = try PNGCodec.encode(testPattern(width: 8, height: 8, channels: 3), width: 8, height: 8, channels: 3)
        writeBytes(png, to: "\(dir)/imgs/a.png")
        writeBytes(png, to: "\(dir)/b.png")
        writeBytes(Array("# a comment\nimgs/a.png\t3\n\n\(dir)/b.png\nmissing.png\n".utf8), to: "\(dir)/train.txt")
        var warnings: [String] = []
        let index = try DataIndex(source: "\(dir)/train.txt") { warnings.append($0) }
        #expect(index.paths == ["\(dir)/imgs/a.png", "\(dir)/b.png"])
        #expect(index.entries.map(\.label) == [3, -1])
        #expect(warnings == ["skipping \(dir)/missing.png: no such file (\(dir)/train.txt:5)"])
        guard case let .listedMissing(list, line) = index.skipped.first?.reason else { Issue.record("not a missing-file skip"); return }
        #expect(list == "\(dir)/train.txt" && line == 5)
        writeBytes(Array("a.png\tcat\n".utf8), to: "\(dir)/bad.txt")
        #expect { try DataIndex(source: "\(dir)/bad.txt") } throws: { "\($0)".contains("bad.txt:1:7: the label must be") }
        // The same error as a value: the file, line, column and the text at fault.
        do {
            _ = try DataIndex(source: "\(dir)/bad.txt")
        } catch let e as DatasetError {
            guard case let .listLabel(path, line, column, text) = e else { Issue.record("not a label error: \(e)"); return }
            #expect(path == "\(dir)/bad.txt" && line == 1 && column == 7 && text == "cat")
        }
    }
}

/// A value shared with `@Sendable` callbacks.
final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ v: T) { stored = v }
    var value: T { lock.withLock { stored } }
    func update(_ f: (inout T) -> Void) { lock.withLock { f(&stored) } }
}
