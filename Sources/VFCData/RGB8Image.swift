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
        let lut = RGB8Image.unitFloats
        return lut.withUnsafeBufferPointer { unit in
            bytes.withUnsafeBufferPointer { src in
                RGBImage.resample(width: width, height: height, to: (w, h), columns: left..<(left + size),
                                  rows: top..<(top + size)) { unit[Int(src[$0])] }
            }
        }
    }

    /// v / 255 for every byte value, as `RGBImage(rgb8:)` computes it.
    static let unitFloats: [Float] = (0..<256).map { Float($0) / 255 }
}
