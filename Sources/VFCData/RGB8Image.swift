/// A decoded image as the decoders produce it: `height` rows of `width` pixels,
/// interleaved 8-bit RGB. It lives only while one worker turns it into an S x S source
/// (`sourceImage(size:)`), so the full-resolution picture never exists as floats.
public struct RGB8Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var bytes: [UInt8]

    public init(width: Int, height: Int, bytes: [UInt8]) {
        precondition(bytes.count == width * height * 3, "\(bytes.count) bytes for a \(width)x\(height) RGB image")
        self.width = width
        self.height = height
        self.bytes = bytes
    }

    /// The image as floats in [0, 1] (value / 255).
    public var floatImage: RGBImage { RGBImage(width: width, height: height, rgb8: bytes) }

    /// `floatImage.resizedAndCenterCropped(to: size)`, bit for bit, computed from the bytes
    /// and only for the pixels the centre crop keeps.
    public func sourceImage(size: Int) -> RGBImage {
        precondition(size > 0, "resize to a non-positive size")
        let (w, h) = RGBImage.shorterSideSize(width: width, height: height, to: size)
        let (left, top) = RGBImage.centerCropOrigin(width: w, height: h, size: size)
        if w == width && h == height {  // `resized` leaves the image as it is
            return floatImage.cropped(x0: left, y0: top, width: size, height: size)
        }
        let wx = Array(RGBImage.filterWeights(input: width, output: w)[left..<(left + size)])
        let wy = Array(RGBImage.filterWeights(input: height, output: h)[top..<(top + size)])
        // Only the source rows the kept output rows read.
        let rowLo = wy.map { $0.first!.0 }.min()!, rowHi = wy.map { $0.last!.0 }.max()!
        let lut = RGB8Image.unitFloats
        var tmp = [Float](repeating: 0, count: (rowHi - rowLo + 1) * size * 3)
        bytes.withUnsafeBufferPointer { src in
            for y in rowLo...rowHi {
                for (ox, taps) in wx.enumerated() {
                    var r: Float = 0, g: Float = 0, b: Float = 0
                    for (ix, wt) in taps {
                        let s = (y * width + ix) * 3
                        r += wt * lut[Int(src[s])]; g += wt * lut[Int(src[s + 1])]; b += wt * lut[Int(src[s + 2])]
                    }
                    let d = ((y - rowLo) * size + ox) * 3
                    tmp[d] = r; tmp[d + 1] = g; tmp[d + 2] = b
                }
            }
        }
        var out = [Float](repeating: 0, count: size * size * 3)
        for (oy, taps) in wy.enumerated() {
            for x in 0..<size {
                var r: Float = 0, g: Float = 0, b: Float = 0
                for (iy, wt) in taps {
                    let s = ((iy - rowLo) * size + x) * 3
                    r += wt * tmp[s]; g += wt * tmp[s + 1]; b += wt * tmp[s + 2]
                }
                let d = (oy * size + x) * 3
                out[d] = Swift.min(1, Swift.max(0, r))
                out[d + 1] = Swift.min(1, Swift.max(0, g))
                out[d + 2] = Swift.min(1, Swift.max(0, b))
            }
        }
        return RGBImage(width: size, height: size, pixels: out)
    }

    /// v / 255 for every byte value, as `RGBImage(rgb8:)` computes it.
    static let unitFloats: [Float] = (0..<256).map { Float($0) / 255 }
}
