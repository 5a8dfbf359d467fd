import Foundation
import Testing
@testable import VFCData

/// The decoders against PIL's `Image.open(f).convert("RGB")` on a file of every kind
/// (Tests/fixtures/decode: PNG of every colour type and bit depth with tRNS, gAMA and
/// interlacing; JPEG 4:2:0, 4:4:4, grayscale and Adobe CMYK), byte for byte. The files and
/// PIL's output come from Tests/fixtures/decode/make_decode_fixtures.py.
@Suite struct PILParityTests {
    struct Expected: Decodable {
        struct Image: Decodable { var mode: String; var width: Int; var height: Int; var rgb: String }
        struct Source: Decodable { var size: Int; var rgb: String }
        var pillow: String
        var images: [String: Image]
        var sources: [String: Source]
    }

    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures/decode").path

    static let expected: Expected = try! JSONDecoder().decode(
        Expected.self, from: Data(contentsOf: URL(fileURLWithPath: "\(dir)/expected.json")))

    static func hexBytes(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = s.utf8.makeIterator()
        while let a = it.next(), let b = it.next() {
            out.append(UInt8(String(decoding: [a, b], as: UTF8.self), radix: 16)!)
        }
        return out
    }

    @Test(arguments: expected.images.keys.sorted())
    func decodesAsPIL(_ name: String) throws {
        let want = Self.expected.images[name]!
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(Self.dir)/files/\(name)")))
        let got = try ImageDecoding.decode8(bytes, path: name)
        #expect(got.width == want.width && got.height == want.height)
        let ref = Self.hexBytes(want.rgb)
        let worst = zip(got.bytes, ref).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(got.bytes == ref, "\(name) (PIL mode \(want.mode)): largest difference \(worst)/255")
    }

    /// The S x S source (shorter side resized to S with the antialiased bilinear filter,
    /// centre crop) against torchvision's Resize(S) + CenterCrop(S) in PIL, which rounds to
    /// 8 bits after each of its two passes: within those two roundings (under 1/255), and
    /// cropped at the same offset (Python's half-to-even round: a 5-pixel side cropped to 4
    /// starts at 0; a one-pixel shift would be tens of 1/255 off).
    @Test(arguments: expected.sources.keys.sorted())
    func sourceImageMatchesTorchvisionResizeAndCenterCrop(_ key: String) throws {
        let want = Self.expected.sources[key]!
        let name = String(key.split(separator: "@")[0])
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(Self.dir)/files/\(name)")))
        let got = try ImageDecoding.decode8(bytes, path: name).sourceImage(size: want.size)
        let ref = Self.hexBytes(want.rgb)
        let worst = zip(got.pixels, ref).map { abs(Double($0) * 255 - Double($1)) }.max() ?? 0
        #expect(got.pixels.count == ref.count)
        #expect(worst < 1, "\(key): largest difference \(worst)/255")
    }

    @Test func everyKindIsCovered() {
        let modes = Set(Self.expected.images.values.map(\.mode))
        #expect(modes.isSuperset(of: ["1", "L", "LA", "I;16", "P", "RGB", "RGBA", "CMYK"]))
    }
}
