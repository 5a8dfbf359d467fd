import Foundation
@testable import VFCData
import VFCTestSupport

/// A smooth test picture, interleaved 8-bit, `channels` 1, 3 or 4.
func testPattern(width: Int, height: Int, channels: Int, phase: Int = 0) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: width * height * channels)
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<channels {
                let v = (x * 255 / Swift.max(1, width - 1) + y * 3 + c * 60 + phase * 17) % 256
                out[(y * width + x) * channels + c] = UInt8(c == 3 ? (x + y) % 256 : v)
            }
        }
    }
    return out
}

/// A folder of `count` small synthetic PNGs for sampler tests.
func makePNGFolder(count: Int, size: Int = 32) -> String {
    let dir = makeTempDirectory("vfcdata-folder")
    for i in 0..<count {
        let png = try! PNGCodec.encode(testPattern(width: size + i, height: size, channels: 3, phase: i),
                                       width: size + i, height: size, channels: 3)
        writeBytes(png, to: "\(dir)/img\(i).png")
    }
    return dir
}

/// A ustar archive of the given members (regular files), with its end-of-archive blocks.
func makeTar(_ members: [(name: String, bytes: [UInt8])]) -> [UInt8] {
    var out: [UInt8] = []
    for (name, bytes) in members {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, _ at: Int) { for (i, b) in s.utf8.enumerated() { h[at + i] = b } }
        put(name, 0)
        put("0000644\0", 100); put("0000000\0", 108); put("0000000\0", 116)
        let size = String(bytes.count, radix: 8)
        put(String(repeating: "0", count: 11 - size.count) + size + "\0", 124)
        put("00000000000\0", 136)
        h[156] = UInt8(ascii: "0")
        put("ustar\0", 257); put("00", 263)
        for i in 148..<156 { h[i] = 32 }
        let sum = String(h.reduce(0) { $0 + Int($1) }, radix: 8)
        put(String(repeating: "0", count: 6 - sum.count) + sum + "\0 ", 148)
        out += h + bytes + [UInt8](repeating: 0, count: (512 - bytes.count % 512) % 512)
    }
    return out + [UInt8](repeating: 0, count: 1024)
}

/// CRC-32 (PNG's), for hand-made PNG chunks.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        c ^= UInt32(b)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }
    return c ^ 0xFFFF_FFFF
}

/// A PNG that is only a signature and an IHDR claiming `width` x `height` (8-bit RGB).
func pngHeaderOnly(width: UInt32, height: UInt32) -> [UInt8] {
    func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
    let body = Array("IHDR".utf8) + be(width) + be(height) + [8, 2, 0, 0, 0]
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + be(13) + body + be(crc32(body))
}
