import CTurboJPEG

/// JPEG decoding and encoding with libjpeg-turbo's TurboJPEG API.
///
/// Any error *or warning* from libjpeg-turbo (a truncated file, corrupt entropy data) makes
/// decoding fail: a partially decoded picture is grey below the damage and would silently
/// poison training, so such files are skipped instead.
public enum JPEGCodec {
    /// Decodes a JPEG file image to RGB (grayscale JPEGs are expanded to R = G = B).
    public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws -> RGBImage {
        guard let handle = tjInitDecompress() else {
            throw ImageCodecError(path: path, "cannot create a TurboJPEG decompressor")
        }
        defer { tjDestroy(handle) }
        func failure(_ what: String) -> ImageCodecError {
            ImageCodecError(path: path, "\(what): \(String(cString: tjGetErrorStr2(handle)))")
        }
        guard !bytes.isEmpty else { throw ImageCodecError(path: path, "empty file") }
        var width: Int32 = 0, height: Int32 = 0, subsamp: Int32 = 0, colorspace: Int32 = 0
        let header = bytes.withUnsafeBufferPointer { buf in
            tjDecompressHeader3(handle, buf.baseAddress, UInt(buf.count), &width, &height, &subsamp, &colorspace)
        }
        guard header == 0 else { throw failure("not a readable JPEG") }
        guard width > 0, height > 0, Int(width) * Int(height) <= 1 << 28 else {
            throw ImageCodecError(path: path, "unsupported JPEG size \(width)x\(height)")
        }
        var rgb = [UInt8](repeating: 0, count: Int(width) * Int(height) * 3)
        let rc = bytes.withUnsafeBufferPointer { src in
            rgb.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, src.baseAddress, UInt(src.count), dst.baseAddress,
                              width, 0, height, Int32(vfc_tjpf_rgb()), TJFLAG_ACCURATEDCT)
            }
        }
        guard rc == 0 else {
            let kind = tjGetErrorCode(handle) == Int32(vfc_tjerr_warning()) ? "damaged JPEG" : "JPEG decoding failed"
            throw failure(kind)
        }
        return RGBImage(width: Int(width), height: Int(height), rgb8: rgb)
    }

    /// Encodes interleaved 8-bit pixels with `channels` 3 (RGB, 4:4:4) or 1 (grayscale).
    public static func encode(_ pixels: [UInt8], width: Int, height: Int, channels: Int,
                              quality: Int = 95) throws -> [UInt8] {
        precondition(channels == 1 || channels == 3, "JPEG encode: channels must be 1 or 3")
        precondition(pixels.count == width * height * channels, "JPEG encode: wrong pixel count")
        guard let handle = tjInitCompress() else {
            throw ImageCodecError(path: "<memory>", "cannot create a TurboJPEG compressor")
        }
        defer { tjDestroy(handle) }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let format = channels == 3 ? vfc_tjpf_rgb() : vfc_tjpf_gray()
        let subsamp = channels == 3 ? vfc_tjsamp_444() : vfc_tjsamp_gray()
        let rc = pixels.withUnsafeBufferPointer { src in
            tjCompress2(handle, src.baseAddress, Int32(width), 0, Int32(height), Int32(format),
                        &out, &size, Int32(subsamp), Int32(quality), TJFLAG_ACCURATEDCT)
        }
        defer { if let out { tjFree(out) } }
        guard rc == 0, let out else {
            throw ImageCodecError(path: "<memory>", "JPEG encoding failed: \(String(cString: tjGetErrorStr2(handle)))")
        }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }
}
