import Foundation
import Testing
@testable import VFCData

@Suite struct CodecTests {
    @Test func pngRoundTripRGB() throws {
        let px = testPattern(width: 13, height: 7, channels: 3)
        let png = try PNGCodec.encode(px, width: 13, height: 7, channels: 3)
        let img = try ImageDecoding.decode(png)
        #expect(img.width == 13 && img.height == 7)
        #expect(img.rgb8 == px)
    }

    @Test func pngGrayscaleBecomesRGB() throws {
        let gray = testPattern(width: 9, height: 5, channels: 1)
        let img = try ImageDecoding.decode(try PNGCodec.encode(gray, width: 9, height: 5, channels: 1))
        let rgb = img.rgb8
        for i in 0..<(9 * 5) {
            #expect(rgb[3 * i] == gray[i] && rgb[3 * i + 1] == gray[i] && rgb[3 * i + 2] == gray[i])
        }
    }

    @Test func pngRGBADropsAlpha() throws {
        let rgba = testPattern(width: 8, height: 6, channels: 4)
        let img = try ImageDecoding.decode(try PNGCodec.encode(rgba, width: 8, height: 6, channels: 4))
        let rgb = img.rgb8
        for i in 0..<(8 * 6) {
            for c in 0..<3 { #expect(rgb[3 * i + c] == rgba[4 * i + c]) }
        }
    }

    @Test func jpegRoundTripRGBAndGray() throws {
        let px = testPattern(width: 24, height: 16, channels: 3)
        let jpg = try JPEGCodec.encode(px, width: 24, height: 16, channels: 3, quality: 100)
        let img = try ImageDecoding.decode(jpg)
        #expect(img.width == 24 && img.height == 16)
        let maxErr = zip(img.rgb8, px).map { abs(Int($0) - Int($1)) }.max()!
        #expect(maxErr <= 12, "JPEG q100 round trip error \(maxErr)")

        let gray = testPattern(width: 16, height: 16, channels: 1)
        let g = try ImageDecoding.decode(try JPEGCodec.encode(gray, width: 16, height: 16, channels: 1, quality: 100))
        let rgb = g.rgb8
        for i in 0..<(16 * 16) {
            #expect(rgb[3 * i] == rgb[3 * i + 1] && rgb[3 * i + 1] == rgb[3 * i + 2])
            #expect(abs(Int(rgb[3 * i]) - Int(gray[i])) <= 6)
        }
    }

    @Test func truncatedAndCorruptFilesFail() throws {
        let jpg = try JPEGCodec.encode(testPattern(width: 64, height: 64, channels: 3), width: 64, height: 64, channels: 3)
        #expect(throws: ImageCodecError.self) { try JPEGCodec.decode(Array(jpg.prefix(jpg.count / 2))) }
        let png = try PNGCodec.encode(testPattern(width: 64, height: 64, channels: 3), width: 64, height: 64, channels: 3)
        #expect(throws: ImageCodecError.self) { try PNGCodec.decode(Array(png.prefix(png.count / 2))) }
        #expect(throws: ImageCodecError.self) { try ImageDecoding.decode(Array("not an image".utf8)) }
        #expect(throws: ImageCodecError.self) { try ImageDecoding.decode([]) }
    }

    @Test func resizeShorterSideThenCenterCrop() throws {
        // A 40x20 image whose left half is black and right half white: after resizing
        // to 10x20... i.e. shorter side 10 -> 20x10, centre crop 10x10 keeps columns 5..<15.
        var img = RGBImage(width: 40, height: 20)
        for y in 0..<20 { for x in 20..<40 { for c in 0..<3 { img[x, y, c] = 1 } } }
        let out = img.resizedAndCenterCropped(to: 10)
        #expect(out.width == 10 && out.height == 10)
        #expect(out[0, 5, 0] == 0 && out[9, 5, 0] == 1)
        #expect(out[4, 5, 0] < 0.5 && out[5, 5, 0] > 0.5)
        // Upscaling a constant image stays constant; identity size is the identity.
        let same = img.resized(width: 40, height: 20)
        #expect(same == img)
        var flat = RGBImage(width: 3, height: 5)
        for i in flat.pixels.indices { flat.pixels[i] = 0.25 }
        let up = flat.resizedAndCenterCropped(to: 12)
        #expect(up.pixels.allSatisfy { abs($0 - 0.25) < 1e-6 })
    }
}
