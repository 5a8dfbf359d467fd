import Foundation
import Testing
@testable import VFCData

/// Decompression bombs are refused from the header, before any pixel is allocated.
@Suite struct DecodeLimitTests {
    @Test func a20000x20000HeaderIsRefusedByThePixelLimit() throws {
        let png = pngHeaderOnly(width: 20000, height: 20000)
        #expect { try PNGCodec.decode8(png, path: "bomb.png") } throws: {
            "\($0)" == "bomb.png: PNG of 20000x20000 pixels exceeds the limit of 89478485 pixels (a decompression bomb?)"
        }
        // A JPEG whose SOF0 claims 20000 x 20000.
        var jpg = try JPEGCodec.encode(testPattern(width: 16, height: 16, channels: 3), width: 16, height: 16, channels: 3)
        let sof = (0..<(jpg.count - 1)).first { jpg[$0] == 0xFF && jpg[$0 + 1] == 0xC0 }!
        for at in [sof + 5, sof + 7] { jpg[at] = UInt8(20000 >> 8); jpg[at + 1] = UInt8(20000 & 255) }
        #expect { try JPEGCodec.decode8(jpg, path: "bomb.jpg") } throws: { "\($0)".contains("JPEG of 20000x20000 pixels exceeds the limit") }
    }

    /// An image under 2^28 pixels (the old cap) but over the limit: a small file that claims
    /// 16000 x 16000 (256 M pixels, 1 GiB of RGBA) is refused with the limit named instead
    /// of being allocated.
    @Test func anImageUnderTheOldCapButOverTheLimitIsSkippedWithAWarning() throws {
        let dir = makeTempDir()
        defer { removeDir(dir) }
        writeBytes(pngHeaderOnly(width: 16000, height: 16000), to: "\(dir)/a_bomb.png")
        writeBytes(try PNGCodec.encode(testPattern(width: 20, height: 20, channels: 3), width: 20, height: 20, channels: 3),
                   to: "\(dir)/b_ok.png")
        var warnings: [String] = []
        let index = try DataIndex(source: dir) { warnings.append($0) }
        let (chosen, _) = try index.readableSource(from: 0, size: 8)
        #expect(chosen == 1)
        #expect(warnings == ["skipping \(dir)/a_bomb.png: PNG of 16000x16000 pixels exceeds the limit of 89478485 pixels (a decompression bomb?)"])
        // A lower limit refuses ordinary images too.
        let strict = try DataIndex(source: dir, limits: DecodeLimits(maxPixels: 100, maxDecodeBytes: 1 << 20))
        #expect { try strict.readableSource(from: 0, size: 8) } throws: { "\($0)".contains("no readable images") }
    }

    @Test func decodersTogetherStayWithinTheMemoryBudget() throws {
        let budget = DecodeBudget(limit: 1000)
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            budget.with(300 + i) { Thread.sleep(forTimeInterval: 0.002) }
        }
        #expect(budget.peakBytes <= 1000 && budget.peakBytes >= 300)
        // A request larger than the whole budget still runs, alone.
        budget.with(5000) {}
        #expect(budget.peakBytes == 5000)
    }
}
