import CPNG
import Foundation
import VFCTensor

/// PNG decoding with libpng's full API (a C decoder in `Sources/CPNG/shim.c`) and encoding
/// with its simplified API (`png_image_*`).
///
/// Decoding reproduces PIL's `Image.open(f).convert("RGB")`, what torchvision's ImageFolder
/// loader does: no gamma correction (the simplified API converts 16-bit samples through
/// linear light, up to 71/255 off), 16-bit samples keep their high byte except 16-bit
/// grayscale, which PIL clips at 255 (its I;16 mode to L), low-bit gray and palettes are
/// expanded, and alpha or tRNS transparency is dropped without compositing.
public enum PNGCodec {
    /// Decodes a PNG file image to RGB floats in [0, 1].
    public static func decode(_ bytes: [UInt8], path: String = "<memory>",
                              limits: DecodeLimits = .standard) throws -> RGBImage {
        try decode8(bytes, path: path, limits: limits).floatImage
    }

    /// The width and height in the file's IHDR chunk, which the PNG format puts right after
    /// the signature (nothing else is read; the decoder checks the chunk's CRC).
    public static func size(_ bytes: [UInt8], path: String = "<memory>") throws -> (width: Int, height: Int) {
        guard !bytes.isEmpty else { throw ImageCodecError(path: path, .emptyFile) }
        guard bytes.count >= 24, bytes[12..<16].elementsEqual(Array("IHDR".utf8)) else {
            throw ImageCodecError(path: path, .missingIHDR)
        }
        func be(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be(16), be(20))
    }

    /// Decodes a PNG file image to 8-bit RGB, refusing images over `limits.maxPixels`
    /// before allocating their pixels.
    public static func decode8(_ bytes: [UInt8], path: String = "<memory>",
                               limits: DecodeLimits = .standard) throws -> RGB8Image {
        let (width, height) = try size(bytes, path: path)
        try limits.check(width: width, height: height, format: "PNG", path: path)
        var info = vfc_png_info()
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        let rc = bytes.withUnsafeBufferPointer { src in
            rgb.withUnsafeMutableBufferPointer { dst in
                vfc_png_decode_rgb(src.baseAddress, src.count, dst.baseAddress, dst.count, &info)
            }
        }
        guard rc == 0 else { throw ImageCodecError(path: path, .pngDecode(message: message(of: info))) }
        return RGB8Image(width: width, height: height, bytes: rgb)
    }

    /// Bytes a decode of a `width` x `height` PNG holds at its peak: the RGB result and
    /// libpng's rows (at most 3 bytes a pixel after its transforms, 2 for 16-bit gray).
    static func decodeBytes(width: Int, height: Int) -> Int { width * height * 6 }

    static func message(of info: vfc_png_info) -> String {
        var copy = info.message
        let text = withUnsafeBytes(of: &copy) { raw -> String in
            let end = raw.firstIndex(of: 0) ?? raw.count
            return String(decoding: raw.prefix(end), as: UTF8.self)
        }
        return text.isEmpty ? "unknown error" : text
    }

    /// Encodes interleaved 8-bit pixels with `channels` 1 (gray), 3 (RGB) or 4 (RGBA).
    public static func encode(_ pixels: [UInt8], width: Int, height: Int, channels: Int) throws -> [UInt8] {
        precondition([1, 3, 4].contains(channels), "PNG encode: channels must be 1, 3 or 4")
        precondition(pixels.count == width * height * channels, "PNG encode: wrong pixel count")
        var image = png_image()
        image.version = vfc_png_image_version()
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = channels == 1 ? vfc_png_format_gray()
            : channels == 3 ? vfc_png_format_rgb() : vfc_png_format_rgba()
        var size: Int = 0
        // First call: the size; second: the bytes (libpng's documented two-pass use).
        let sized = pixels.withUnsafeBufferPointer { src in
            png_image_write_to_memory(&image, nil, &size, 0, src.baseAddress, 0, nil)
        }
        guard sized != 0, size > 0 else {
            let msg = message(of: image)
            png_image_free(&image)
            throw ImageCodecError(path: "<memory>", .pngEncode(message: msg))
        }
        var out = [UInt8](repeating: 0, count: size)
        let written = pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                png_image_write_to_memory(&image, dst.baseAddress, &size, 0, src.baseAddress, 0, nil)
            }
        }
        let msg = message(of: image)
        png_image_free(&image)
        guard written != 0 else { throw ImageCodecError(path: "<memory>", .pngEncode(message: msg)) }
        return Array(out.prefix(size))
    }

    /// Encodes and writes a PNG file (atomically: `AtomicWrite`).
    public static func write(_ pixels: [UInt8], width: Int, height: Int, channels: Int, path: String) throws {
        let bytes = try encode(pixels, width: width, height: height, channels: channels)
        do {
            try AtomicWrite.write(bytes, to: path)
        } catch let e as AtomicWriteError {
            throw ImageCodecError(path: path, .write(underlying: e))
        }
    }

    /// libpng's message buffer (a fixed-size C char array) as a String.
    static func message(of image: png_image) -> String {
        var copy = image.message
        let text = withUnsafeBytes(of: &copy) { raw -> String in
            let chars = raw.bindMemory(to: CChar.self)
            let end = chars.firstIndex(of: 0) ?? chars.count
            return String(decoding: raw.prefix(end), as: UTF8.self)
        }
        return text.isEmpty ? "unknown error" : text
    }
}
