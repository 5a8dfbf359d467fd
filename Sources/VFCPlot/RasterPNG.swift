import VFCData

extension RasterImage {
    /// The image as a PNG file (8-bit RGB), encoded by libpng through `PNGCodec`: the
    /// same encoder the data tools use, with zlib's compression and adaptive row filters.
    public func pngBytes() throws -> [UInt8] {
        try PNGCodec.encode(pixels, width: width, height: height, channels: 3)
    }
}
