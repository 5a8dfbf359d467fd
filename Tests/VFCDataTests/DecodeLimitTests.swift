import Foundation
import Testing
@testable import VFCData
import VFCTestSupport

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
        let dir = makeTempDirectory("vfcdata")
        defer { removeTree(dir) }
        writeBytes(pngHeaderOnly(width: 16000, height: 16000), to: "\(dir)/a_bomb.png")
        writeBytes(try PNGCodec.encode(testPattern(width: 20, height: 20, channels: 3), width: 20, height: 20, channels: 3),
                   to: "\(dir)/b_ok.png")
        var warnings: [String] = []
        let index = try DataIndex(source: dir) { warnings.append($0) }
        let (chosen, _) = try index.readableSource(from: 0, size: 8)
        #expect(chosen == 1)
        #expect(warnings == ["skipping \(dir)/a_bomb.png: PNG of 16000x16000 pixels exceeds the limit of 89478485 pixels (a decompression bomb?)"])
        // The skip keeps the codec's error, not its text.
        guard case .image(let e) = index.skipped.first?.reason, case let .overPixelLimit(format, w, h, limit) = e.problem else {
            Issue.record("not an image error: \(String(describing: index.skipped.first?.reason))")
            return
        }
        #expect(format == "PNG" && w == 16000 && h == 16000 && limit == 89478485 && e.path == "\(dir)/a_bomb.png")
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

/// DCT-domain scaling: the factor, and the documented tolerance against a full decode.
@Suite struct DCTScalingTests {
    @Test func theFactorKeepsTheShorterSideAtLeastTwiceS() {
        #expect(JPEGCodec.scaledSize(width: 1411, height: 1411, shorterSide: 64) == (177, 177))
        #expect(JPEGCodec.scaledSize(width: 1000, height: 872, shorterSide: 64) == (250, 218))
        #expect(JPEGCodec.scaledSize(width: 640, height: 427, shorterSide: 64) == (320, 214))
        #expect(JPEGCodec.scaledSize(width: 200, height: 150, shorterSide: 64) == (200, 150))
    }

    @Test func scaledSourcesStayWithinTheToleranceOfAFullDecode() throws {
        // A smooth 4:4:4 photo-like picture, 512 x 384, for S = 32 (decoded at 1/4).
        let w = 512, h = 384
        var px = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            for x in 0..<w {
                let fx = Double(x) / Double(w), fy = Double(y) / Double(h)
                px[(y * w + x) * 3] = UInt8(127.5 + 127 * sin(6 * fx + 2 * fy))
                px[(y * w + x) * 3 + 1] = UInt8(127.5 + 127 * cos(5 * fy - 3 * fx))
                px[(y * w + x) * 3 + 2] = UInt8(255 * fx * fy)
            }
        }
        let jpg = try JPEGCodec.encode(px, width: w, height: h, channels: 3, quality: 95)
        let full = try JPEGCodec.decode8(jpg).sourceImage(size: 32)
        let scaledImage = try JPEGCodec.decode8(jpg, scaleTo: 32)
        #expect(scaledImage.width == 128 && scaledImage.height == 96)
        let scaled = scaledImage.sourceImage(size: 32)
        let diffs = zip(full.pixels, scaled.pixels).map { abs(Double($0 - $1)) * 255 }
        let mean = diffs.reduce(0, +) / Double(diffs.count)
        #expect(mean < 1.0 && diffs.max()! < 4, "mean \(mean), max \(diffs.max()!) in 1/255")
    }
}
