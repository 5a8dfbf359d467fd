import Foundation

/// Reads an image file of any supported format (chosen by content, not by extension:
/// a `.png` that is really a JPEG is still read).
public enum ImageDecoding {
    /// The file extensions an `ImageFolder` picks up (compared lowercased).
    public static let extensions: Set<String> = ["jpg", "jpeg", "png"]

    /// Decodes file bytes: PNG by its signature, JPEG by its SOI marker.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws -> RGBImage {
        if bytes.count >= 8, bytes.prefix(8).elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            return try PNGCodec.decode(bytes, path: path)
        }
        if bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xD8 {
            return try JPEGCodec.decode(bytes, path: path)
        }
        if bytes.isEmpty { throw ImageCodecError(path: path, "empty file") }
        throw ImageCodecError(path: path, "neither a PNG nor a JPEG (unrecognised signature)")
    }

    /// Reads and decodes a file.
    public static func read(path: String) throws -> RGBImage {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImageCodecError(path: path, "cannot read the file")
        }
        return try decode([UInt8](data), path: path)
    }
}
