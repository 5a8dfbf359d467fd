import Foundation
import Testing
@testable import VFCData

@Suite struct ImageFolderTests {
    @Test func scansRecursivelySortedCaseInsensitive() throws {
        let dir = makeTempDir()
        defer { removeDir(dir) }
        let png = try PNGCodec.encode(testPattern(width: 20, height: 10, channels: 3), width: 20, height: 10, channels: 3)
        let jpg = try JPEGCodec.encode(testPattern(width: 10, height: 30, channels: 3), width: 10, height: 30, channels: 3)
        writeBytes(png, to: "\(dir)/b/one.PNG")
        writeBytes(jpg, to: "\(dir)/a/two.JPeG")
        writeBytes(jpg, to: "\(dir)/c.jpg")
        writeBytes(Array("text".utf8), to: "\(dir)/notes.txt")
        var warnings: [String] = []
        let folder = try ImageFolder(directory: dir, size: 16) { warnings.append($0) }
        #expect(warnings.isEmpty)
        #expect(folder.paths.map { String($0.dropFirst(dir.count + 1)) } == ["a/two.JPeG", "b/one.PNG", "c.jpg"])
        #expect(folder.images.allSatisfy { $0.width == 16 && $0.height == 16 })
        #expect(folder.images.allSatisfy { $0.pixels.allSatisfy { $0 >= 0 && $0 <= 1 } })
    }

    @Test func corruptAndTruncatedFilesAreSkippedWithOneWarningEach() throws {
        let dir = makeTempDir()
        defer { removeDir(dir) }
        let jpg = try JPEGCodec.encode(testPattern(width: 64, height: 64, channels: 3), width: 64, height: 64, channels: 3)
        writeBytes(jpg, to: "\(dir)/good.jpg")
        writeBytes(Array(jpg.prefix(jpg.count * 2 / 3)), to: "\(dir)/truncated.jpg")
        writeBytes(Array("garbage, not a png".utf8), to: "\(dir)/corrupt.png")
        writeBytes([], to: "\(dir)/empty.jpeg")
        var warnings: [String] = []
        let folder = try ImageFolder(directory: dir, size: 32) { warnings.append($0) }
        #expect(folder.count == 1)
        #expect(folder.skipped.count == 3)
        #expect(warnings.count == 3)
        #expect(folder.skipped.map { ($0.path as NSString).lastPathComponent } == ["corrupt.png", "empty.jpeg", "truncated.jpg"])
        #expect(warnings.allSatisfy { $0.hasPrefix("skipping \(dir)/") })
    }

    @Test func emptyOrUnreadableDatasetIsAnError() throws {
        let dir = makeTempDir()
        defer { removeDir(dir) }
        #expect { try ImageFolder(directory: dir, size: 32) } throws: { "\($0)".contains("no images") }
        writeBytes(Array("x".utf8), to: "\(dir)/bad.png")
        #expect { try ImageFolder(directory: dir, size: 32) } throws: { "\($0)".contains("no readable images") }
        #expect { try ImageFolder(directory: "\(dir)/missing", size: 32) } throws: { "\($0)".contains("not a directory") }
    }
}
