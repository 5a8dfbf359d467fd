import CPNG
import Foundation

/// PNG decoding and encoding with libpng's simplified API (`png_image_*`).
///
/// Every PNG colour type is read as 8-bit RGBA (libpng expands grayscale and palettes and
/// converts 16-bit samples) and the alpha channel is dropped, as PIL's `convert("RGB")`
/// (what torchvision's ImageFolder loader does) would.
public enum PNGCodec {
    /// Decodes a PNG file image to RGB.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws -> RGBImage {
        guard !bytes.isEmpty else { throw ImageCodecError(path: path, "empty file") }
        var image = png_image()
        image.version = vfc_png_image_version()
        let begun = bytes.withUnsafeBufferPointer { buf in
            png_image_begin_read_from_memory(&image, buf.baseAddress, buf.count)
        }
        guard begun != 0 else {
            defer { png_image_free(&image) }
            throw ImageCodecError(path: path, "not a readable PNG: \(message(of: image))")
        }
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0, width * height <= 1 << 28 else {
            png_image_free(&image)
            throw ImageCodecError(path: path, "unsupported PNG size \(width)x\(height)")
        }
        image.format = vfc_png_format_rgba()
        var rgba = [UInt8](repeating: 0, count: width * height * 4)
        // The bytes must stay alive until finish_read: libpng reads from them lazily.
        let finished = bytes.withUnsafeBufferPointer { _ in
            rgba.withUnsafeMutableBufferPointer { dst in
                png_image_finish_read(&image, nil, dst.baseAddress, 0, nil)
            }
        }
        guard finished != 0, vfc_png_image_failed(&image) == 0 else {
            let msg = message(of: image)
            png_image_free(&image)
            throw ImageCodecError(path: path, "PNG decoding failed: \(msg)")
        }
        png_image_free(&image)
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            rgb[3 * i] = rgba[4 * i]
            rgb[3 * i + 1] = rgba[4 * i + 1]
            rgb[3 * i + 2] = rgba[4 * i + 2]
        }
        return RGBImage(width: width, height: height, rgb8: rgb)
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
            throw ImageCodecError(path: "<memory>", "PNG encoding failed: \(msg)")
        }
        var out = [UInt8](repeating: 0, count: size)
        let written = pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                png_image_write_to_memory(&image, dst.baseAddress, &size, 0, src.baseAddress, 0, nil)
            }
        }
        let msg = message(of: image)
        png_image_free(&image)
        guard written != 0 else { throw ImageCodecError(path: "<memory>", "PNG encoding failed: \(msg)") }
        return Array(out.prefix(size))
    }

    /// Encodes and writes a PNG file (atomically: a temporary file, then a rename).
    public static func write(_ pixels: [UInt8], width: Int, height: Int, channels: Int, path: String) throws {
        let bytes = try encode(pixels, width: width, height: height, channels: channels)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ImageCodecError(path: path, "cannot write: \(error.localizedDescription)")
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
