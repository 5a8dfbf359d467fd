/// Resizing to the S x S source images of method.md ("images are resized to S x S,
/// shorter side, centre crop").
///
/// `resizedShorterSide(to:)` is torchvision's `Resize(S)` with antialias: a separable
/// triangle (bilinear) filter whose support widens with the downscale factor, as PIL's
/// bilinear resampling does, so a 512-pixel photo shrunk to 64 is not aliased. Upscaling
/// reduces to plain bilinear interpolation (align_corners = false, edges clamped).
extension RGBImage {
    /// The image with its shorter side scaled to `size` (the longer one to
    /// `Int(size * long / short)`, as torchvision), then the centre `size` x `size` crop.
    public func resizedAndCenterCropped(to size: Int) -> RGBImage {
        precondition(size > 0, "resize to a non-positive size")
        let (w, h) = RGBImage.shorterSideSize(width: width, height: height, to: size)
        let (left, top) = RGBImage.centerCropOrigin(width: w, height: h, size: size)
        if w == width && h == height { return cropped(x0: left, y0: top, width: size, height: size) }
        return pixels.withUnsafeBufferPointer { src in
            RGBImage.resample(width: width, height: height, to: (w, h), columns: left..<(left + size),
                              rows: top..<(top + size)) { src[$0] }
        }
    }

    /// The size of a `width` x `height` image with its shorter side scaled to `size` (the
    /// longer one to `Int(size * long / short)`, at least `size`).
    static func shorterSideSize(width: Int, height: Int, to size: Int) -> (Int, Int) {
        if width <= height {
            return (size, Swift.max(size, Int(Double(size) * Double(height) / Double(width))))
        }
        return (Swift.max(size, Int(Double(size) * Double(width) / Double(height))), size)
    }

    /// torchvision's CenterCrop origin: left = round((w - size) / 2), top likewise, with
    /// Python's round (half to even: an 81-pixel side cropped to 64 starts at 8, not 9).
    static func centerCropOrigin(width w: Int, height h: Int, size: Int) -> (Int, Int) {
        (Int((Double(w - size) / 2).rounded(.toNearestOrEven)), Int((Double(h - size) / 2).rounded(.toNearestOrEven)))
    }

    /// The rectangle at (x0, y0) of the given size (which must lie inside the image).
    public func cropped(x0: Int, y0: Int, width cw: Int, height ch: Int) -> RGBImage {
        precondition(x0 >= 0 && y0 >= 0 && x0 + cw <= width && y0 + ch <= height, "crop outside the image")
        var out = RGBImage(width: cw, height: ch)
        for y in 0..<ch {
            let src = ((y0 + y) * width + x0) * 3
            for i in 0..<(cw * 3) { out.pixels[y * cw * 3 + i] = pixels[src + i] }
        }
        return out
    }

    /// The image resampled to `w` x `h` with the antialiased triangle filter.
    public func resized(width w: Int, height h: Int) -> RGBImage {
        precondition(w > 0 && h > 0, "resize to an empty image")
        if w == width && h == height { return self }
        return pixels.withUnsafeBufferPointer { src in
            RGBImage.resample(width: width, height: height, to: (w, h), columns: 0..<w, rows: 0..<h) { src[$0] }
        }
    }

    /// Columns `columns` and rows `rows` of a `width` x `height` RGB image resized to
    /// `size` with the antialiased triangle filter (separable: rows first, then columns,
    /// each output clamped to [0, 1]); `sample(i)` is the source's interleaved value i.
    /// Only the source rows the kept output rows read are filtered, so a centre crop costs
    /// what it keeps; every kept pixel is the same as in the whole resized image.
    static func resample(width: Int, height: Int, to size: (Int, Int), columns: Range<Int>, rows: Range<Int>,
                         sample: (Int) -> Float) -> RGBImage {
        let wx = Array(filterWeights(input: width, output: size.0)[columns])
        let wy = Array(filterWeights(input: height, output: size.1)[rows])
        let cw = columns.count, ch = rows.count
        let rowLo = wy.map { $0.first!.0 }.min()!, rowHi = wy.map { $0.last!.0 }.max()!
        var tmp = [Float](repeating: 0, count: (rowHi - rowLo + 1) * cw * 3)
        for y in rowLo...rowHi {
            for (ox, taps) in wx.enumerated() {
                var r: Float = 0, g: Float = 0, b: Float = 0
                for (ix, wt) in taps {
                    let s = (y * width + ix) * 3
                    r += wt * sample(s); g += wt * sample(s + 1); b += wt * sample(s + 2)
                }
                let d = ((y - rowLo) * cw + ox) * 3
                tmp[d] = r; tmp[d + 1] = g; tmp[d + 2] = b
            }
        }
        var out = [Float](repeating: 0, count: ch * cw * 3)
        for (oy, taps) in wy.enumerated() {
            for x in 0..<cw {
                var r: Float = 0, g: Float = 0, b: Float = 0
                for (iy, wt) in taps {
                    let s = ((iy - rowLo) * cw + x) * 3
                    r += wt * tmp[s]; g += wt * tmp[s + 1]; b += wt * tmp[s + 2]
                }
                let d = (oy * cw + x) * 3
                out[d] = Swift.min(1, Swift.max(0, r))
                out[d + 1] = Swift.min(1, Swift.max(0, g))
                out[d + 2] = Swift.min(1, Swift.max(0, b))
            }
        }
        return RGBImage(width: cw, height: ch, pixels: out)
    }

    /// For each output index, the input indices and normalised weights of the triangle
    /// filter (PIL's scheme: support 1 input pixel when upscaling, `input/output` when
    /// downscaling; taps outside the image are dropped and the rest renormalised).
    static func filterWeights(input: Int, output: Int) -> [[(Int, Float)]] {
        let scale = Double(input) / Double(output)
        let support = Swift.max(scale, 1)
        return (0..<output).map { o in
            let centre = (Double(o) + 0.5) * scale
            let lo = Swift.max(0, Int((centre - support).rounded(.down)))
            let hi = Swift.min(input, Int((centre + support).rounded(.up)))
            var taps: [(Int, Double)] = []
            var total = 0.0
            for i in lo..<Swift.max(lo, hi) {
                let t = 1 - abs((Double(i) + 0.5 - centre) / support)
                if t > 0 { taps.append((i, t)); total += t }
            }
            if taps.isEmpty {  // cannot happen for output >= 1, but keep the pixel defined
                return [(Swift.min(input - 1, Swift.max(0, Int(centre))), 1)]
            }
            return taps.map { ($0.0, Float($0.1 / total)) }
        }
    }
}
