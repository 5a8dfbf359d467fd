/// An RGB image in memory: `height` rows of `width` pixels, channels interleaved
/// (`pixels[(y * width + x) * 3 + c]`), values in [0, 1].
///
/// Decoders produce it from 8-bit files (value / 255); the dataset keeps every source
/// image in this form, resized to S x S, so views are cut from floats without re-decoding.
public struct RGBImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [Float]

    /// A black image.
    public init(width: Int, height: Int) {
        precondition(width >= 0 && height >= 0, "negative image size \(width)x\(height)")
        self.width = width
        self.height = height
        pixels = [Float](repeating: 0, count: width * height * 3)
    }

    /// An image from interleaved RGB floats (`width * height * 3` of them).
    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(pixels.count == width * height * 3,
                     "\(pixels.count) values for a \(width)x\(height) RGB image")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image from interleaved 8-bit RGB bytes, scaled to [0, 1].
    public init(width: Int, height: Int, rgb8: [UInt8]) {
        precondition(rgb8.count == width * height * 3,
                     "\(rgb8.count) bytes for a \(width)x\(height) RGB image")
        self.width = width
        self.height = height
        pixels = rgb8.map { Float($0) / 255 }
    }

    /// The value of channel `c` at (x, y).
    public subscript(x: Int, y: Int, c: Int) -> Float {
        get { pixels[(y * width + x) * 3 + c] }
        set { pixels[(y * width + x) * 3 + c] = newValue }
    }

    /// The image as interleaved 8-bit RGB (rounded, clamped to [0, 255]).
    public var rgb8: [UInt8] {
        pixels.map { UInt8(Swift.max(0, Swift.min(255, ($0 * 255).rounded()))) }
    }
}
