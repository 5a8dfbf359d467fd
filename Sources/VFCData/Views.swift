import Foundation
import VFCTensor

/// A crop box in source-image pixels: the view covers columns x0 ..< x0 + w and rows
/// y0 ..< y0 + h of the S x S source (method.md section 1).
public struct CropBox: Sendable, Equatable, CustomStringConvertible {
    public var x0: Int, y0: Int, w: Int, h: Int
    public init(x0: Int, y0: Int, w: Int, h: Int) {
        self.x0 = x0; self.y0 = y0; self.w = w; self.h = h
    }
    public var description: String { "(\(x0), \(y0), \(w), \(h))" }
}

/// The view geometry of method.md section 1.
public enum ViewGeometry {
    /// Area scale of global views.
    public static let globalScale = (0.25, 1.0)
    /// Area scale of local views.
    public static let localScale = (0.05, 0.25)
    /// Aspect ratio range (w / h), sampled log-uniformly.
    public static let ratio = (3.0 / 4.0, 4.0 / 3.0)

    /// torchvision's `RandomResizedCrop.get_params` on an S x S image: up to 10 tries of
    /// (area fraction uniform in `scale`, aspect log-uniform in [3/4, 4/3], w and h rounded,
    /// accepted if both fit, then y0 and x0 uniform); the whole image if every try fails.
    /// Draw order as in Tests/fixtures/ssl/make_batch.py: area, aspect, y0, x0.
    public static func randomResizedCrop(size s: Int, scale: (Double, Double), rng: inout RNG) -> CropBox {
        let area = Double(s * s)
        let logLo = log(ratio.0), logHi = log(ratio.1)
        for _ in 0..<10 {
            let target = area * rng.uniform(lo: scale.0, hi: scale.1)
            let aspect = exp(rng.uniform(lo: logLo, hi: logHi))
            // Python's round(): half to even.
            let w = Int((target * aspect).squareRoot().rounded(.toNearestOrEven))
            let h = Int((target / aspect).squareRoot().rounded(.toNearestOrEven))
            if w > 0 && w <= s && h > 0 && h <= s {
                let y0 = rng.nextInt(below: s - h + 1)
                let x0 = rng.nextInt(below: s - w + 1)
                return CropBox(x0: x0, y0: y0, w: w, h: h)
            }
        }
        return CropBox(x0: 0, y0: 0, w: s, h: s)
    }

    /// Cuts `box` out of the square source image and resamples it to `side` x `side`
    /// (bilinear, align_corners = false, sample coordinates clamped to the image, no
    /// antialias), mirrored left-right if `flip`. Output: planar [3, side, side] floats.
    ///
    /// Output pixel (i, j) samples the source at u = x0 + (j' + 0.5) w / side - 0.5,
    /// v = y0 + (i + 0.5) h / side - 0.5 with j' = side-1-j when flipped, else j.
    public static func resample(_ image: RGBImage, box: CropBox, side: Int, flip: Bool) -> [Float] {
        precondition(image.width == image.height, "views are cut from square source images")
        let s = image.width
        func taps(_ origin: Int, _ extent: Int) -> [(Int, Int, Float)] {
            (0..<side).map { o in
                var c = Double(origin) + (Double(o) + 0.5) * Double(extent) / Double(side) - 0.5
                c = Swift.min(Swift.max(c, 0), Double(s - 1))
                let i0 = Int(c.rounded(.down))
                return (i0, Swift.min(i0 + 1, s - 1), Float(c - Double(i0)))
            }
        }
        let tx = taps(box.x0, box.w), ty = taps(box.y0, box.h)
        var out = [Float](repeating: 0, count: 3 * side * side)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let plane = side * side
                for i in 0..<side {
                    let (y0, y1, ay) = ty[i]
                    for j in 0..<side {
                        let (x0, x1, ax) = tx[flip ? side - 1 - j : j]
                        let p00 = (y0 * s + x0) * 3, p01 = (y0 * s + x1) * 3
                        let p10 = (y1 * s + x0) * 3, p11 = (y1 * s + x1) * 3
                        for c in 0..<3 {
                            let top = (1 - ax) * src[p00 + c] + ax * src[p01 + c]
                            let bot = (1 - ax) * src[p10 + c] + ax * src[p11 + c]
                            dst[c * plane + i * side + j] = (1 - ay) * top + ay * bot
                        }
                    }
                }
            }
        }
        return out
    }
}
