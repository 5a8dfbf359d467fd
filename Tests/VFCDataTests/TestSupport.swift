import Foundation
@testable import VFCData

/// A fresh temporary directory, removed by the caller's `defer`.
func makeTempDir(_ tag: String = "vfcdata") -> String {
    let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("\(tag)-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func removeDir(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }

func writeBytes(_ bytes: [UInt8], to path: String) {
    try! FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                             withIntermediateDirectories: true)
    try! Data(bytes).write(to: URL(fileURLWithPath: path))
}

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
    let dir = makeTempDir("vfcdata-folder")
    for i in 0..<count {
        let png = try! PNGCodec.encode(testPattern(width: size + i, height: size, channels: 3, phase: i),
                                       width: size + i, height: size, channels: 3)
        writeBytes(png, to: "\(dir)/img\(i).png")
    }
    return dir
}
