import CTurboJPEG
import Foundation

/// Reads an image file of any supported format (chosen by content, not by extension:
/// a `.png` that is really a JPEG is still read).
public enum ImageDecoding {
    /// The file extensions a dataset picks up (compared lowercased).
    public static let extensions: Set<String> = ["jpg", "jpeg", "png"]

    enum Format { case png, jpeg }

    static func format(_ bytes: [UInt8], path: String) throws -> Format {
        if bytes.count >= 8, bytes.prefix(8).elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            return .png
        }
        if bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xD8 { return .jpeg }
        if bytes.isEmpty { throw ImageCodecError(path: path, .emptyFile) }
        throw ImageCodecError(path: path, .unrecognisedSignature)
    }

    /// Decodes file bytes to floats: PNG by its signature, JPEG by its SOI marker.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>",
                              limits: DecodeLimits = .standard) throws -> RGBImage {
        try decode8(bytes, path: path, limits: limits).floatImage
    }

    /// Decodes file bytes to 8-bit RGB (`scaleTo`: see `JPEGCodec.decode8`; PNGs ignore it).
    public static func decode8(_ bytes: [UInt8], path: String = "<memory>", limits: DecodeLimits = .standard,
                               scaleTo: Int? = nil) throws -> RGB8Image {
        switch try format(bytes, path: path) {
        case .png: return try PNGCodec.decode8(bytes, path: path, limits: limits)
        case .jpeg: return try JPEGCodec.decode8(bytes, path: path, limits: limits, scaleTo: scaleTo)
        }
    }

    /// The S x S source image of method.md ("shorter side resized to S, centre crop") from
    /// file bytes. The header is read first: an image over `limits.maxPixels` is refused
    /// before any pixel is allocated, and the decode holds its peak size in `budget`
    /// (so all workers together stay within `limits.maxDecodeBytes`).
    public static func sourceImage(_ bytes: [UInt8], path: String, size: Int, limits: DecodeLimits,
                                   budget: DecodeBudget?, dctScaling: Bool = false) throws -> RGBImage {
        let cost: Int
        switch try format(bytes, path: path) {
        case .png:
            let (w, h) = try PNGCodec.size(bytes, path: path)
            try limits.check(width: w, height: h, format: "PNG", path: path)
            cost = PNGCodec.decodeBytes(width: w, height: h)
        case .jpeg:
            guard let handle = tjInitDecompress() else {
                throw ImageCodecError(path: path, .turboJPEGUnavailable(compressor: false))
            }
            defer { tjDestroy(handle) }
            let h = try JPEGCodec.header(handle, bytes, path: path)
            try limits.check(width: h.width, height: h.height, format: "JPEG", path: path)
            cost = JPEGCodec.decodeBytes(width: h.width, height: h.height)
        }
        let decode = {
            try decode8(bytes, path: path, limits: limits, scaleTo: dctScaling ? size : nil).sourceImage(size: size)
        }
        guard let budget else { return try decode() }
        return try budget.with(cost, decode)
    }

    /// Reads and decodes a file.
    public static func read(path: String, limits: DecodeLimits = .standard) throws -> RGBImage {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImageCodecError(path: path, .unreadable)
        }
        return try decode([UInt8](data), path: path, limits: limits)
    }
}
