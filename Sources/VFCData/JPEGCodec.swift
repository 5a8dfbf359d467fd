import CTurboJPEG

/// JPEG decoding and encoding with libjpeg-turbo's TurboJPEG API.
///
/// Any error *or warning* from libjpeg-turbo (a truncated file, corrupt entropy data) makes
/// decoding fail: a partially decoded picture is grey below the damage and would silently
/// poison training, so such files are skipped instead. Colour follows PIL's
/// `convert("RGB")`: grayscale becomes R = G = B, and CMYK / YCCK files (PIL assumes
/// Adobe's inverted CMYK, as Photoshop writes it) go through PIL's CMYK-to-RGB formula.
public enum JPEGCodec {
    /// Decodes a JPEG file image to RGB floats in [0, 1].
    public static func decode(_ bytes: [UInt8], path: String = "<memory>",
                              limits: DecodeLimits = .standard) throws -> RGBImage {
        try decode8(bytes, path: path, limits: limits).floatImage
    }

    /// The header of a JPEG: size and libjpeg colour space.
    struct Header { var width: Int, height: Int, colorspace: Int32 }

    static func header(_ handle: tjhandle, _ bytes: [UInt8], path: String) throws -> Header {
        guard !bytes.isEmpty else { throw ImageCodecError(path: path, .emptyFile) }
        var width: Int32 = 0, height: Int32 = 0, subsamp: Int32 = 0, colorspace: Int32 = 0
        let rc = bytes.withUnsafeBufferPointer { buf in
            tjDecompressHeader3(handle, buf.baseAddress, UInt(buf.count), &width, &height, &subsamp, &colorspace)
        }
        guard rc == 0 else {
            throw ImageCodecError(path: path, .jpegHeader(message: String(cString: tjGetErrorStr2(handle))))
        }
        return Header(width: Int(width), height: Int(height), colorspace: colorspace)
    }

    /// Decodes a JPEG to 8-bit RGB, refusing images over `limits.maxPixels` before
    /// allocating their pixels. With `scaleTo` = S, libjpeg-turbo scales in the DCT domain
    /// by the smallest of 1/8, 1/4, 1/2 that keeps the shorter side at least 2S
    /// (`scaledSize`; the antialiased resize to S does the rest), so a large photo for a
    /// small S costs a fraction of a full decode.
    public static func decode8(_ bytes: [UInt8], path: String = "<memory>", limits: DecodeLimits = .standard,
                               scaleTo: Int? = nil) throws -> RGB8Image {
        guard let handle = tjInitDecompress() else {
            throw ImageCodecError(path: path, .turboJPEGUnavailable(compressor: false))
        }
        defer { tjDestroy(handle) }
        let h = try header(handle, bytes, path: path)
        try limits.check(width: h.width, height: h.height, format: "JPEG", path: path)
        let (width, height) = scaleTo.map { scaledSize(width: h.width, height: h.height, shorterSide: $0) }
            ?? (h.width, h.height)
        let cmyk = h.colorspace == Int32(vfc_tjcs_cmyk()) || h.colorspace == Int32(vfc_tjcs_ycck())
        let channels = cmyk ? 4 : 3
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let rc = bytes.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, src.baseAddress, UInt(src.count), dst.baseAddress, Int32(width), 0, Int32(height),
                              Int32(cmyk ? vfc_tjpf_cmyk() : vfc_tjpf_rgb()), TJFLAG_ACCURATEDCT)
            }
        }
        guard rc == 0 else {
            let damaged = tjGetErrorCode(handle) == Int32(vfc_tjerr_warning())
            throw ImageCodecError(path: path, .jpegDecode(damaged: damaged, message: String(cString: tjGetErrorStr2(handle))))
        }
        if cmyk { pixels = pilCMYKToRGB(pixels) }
        return RGB8Image(width: width, height: height, bytes: pixels)
    }

    /// The DCT-scaled size `decode8(scaleTo: s)` produces: the smallest factor 1/8, 1/4,
    /// 1/2 (else 1) whose scaled shorter side, ceil(side * factor), is still >= 2s. (With
    /// >= s the box filter of the scaled IDCT would do most of the downscaling: further from
    /// the antialiased bilinear resize torchvision does; docs/data.md has the figures.)
    public static func scaledSize(width: Int, height: Int, shorterSide s: Int) -> (Int, Int) {
        let short = Swift.min(width, height)
        for denom in [8, 4, 2] where (short + denom - 1) / denom >= 2 * s {
            return ((width + denom - 1) / denom, (height + denom - 1) / denom)
        }
        return (width, height)
    }

    /// PIL's CMYK JPEG path: the samples are read as Adobe-inverted ("CMYK;I": 255 - v),
    /// then `cmyk2rgb`: with nk = 255 - K, each of R, G, B = nk - C * nk / 255 (rounded
    /// as PIL's MULDIV255).
    static func pilCMYKToRGB(_ cmyk: [UInt8]) -> [UInt8] {
        let n = cmyk.count / 4
        var out = [UInt8](repeating: 0, count: n * 3)
        for i in 0..<n {
            let nk = Int(cmyk[4 * i + 3])  // 255 - (255 - stored)
            for c in 0..<3 {
                let v = 255 - Int(cmyk[4 * i + c])
                let t = v * nk + 128
                out[3 * i + c] = UInt8(clamping: nk - (((t >> 8) + t) >> 8))
            }
        }
        return out
    }

    /// Bytes a decode of a `width` x `height` JPEG may hold at its peak: the result (4
    /// bytes a pixel for CMYK, else 3) and, for a progressive file, libjpeg's whole-image
    /// coefficient arrays (2 bytes a sample, up to 3 samples a pixel without subsampling).
    static func decodeBytes(width: Int, height: Int) -> Int { width * height * 10 }

    /// Encodes interleaved 8-bit pixels with `channels` 3 (RGB, 4:4:4) or 1 (grayscale).
    public static func encode(_ pixels: [UInt8], width: Int, height: Int, channels: Int,
                              quality: Int = 95) throws -> [UInt8] {
        precondition(channels == 1 || channels == 3, "JPEG encode: channels must be 1 or 3")
        precondition(pixels.count == width * height * channels, "JPEG encode: wrong pixel count")
        guard let handle = tjInitCompress() else {
            throw ImageCodecError(path: "<memory>", .turboJPEGUnavailable(compressor: true))
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
            throw ImageCodecError(path: "<memory>", .jpegEncode(message: String(cString: tjGetErrorStr2(handle))))
        }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }
}
