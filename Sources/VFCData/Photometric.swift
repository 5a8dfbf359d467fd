import Foundation
import VFCTensor

/// DINO's photometric augmentation (Caron et al. 2021, `DataAugmentationDINO`), applied to
/// view pixels only, never to boxes or the positional field. Views are planar
/// [3, side, side] floats in [0, 1]; every step clamps to [0, 1].
///
/// Per view, in this order:
/// 1. colour jitter with p = 0.8: brightness 0.4, contrast 0.4, saturation 0.2, hue 0.1
///    (factors uniform in [1-0.4, 1+0.4], [0.6, 1.4], [0.8, 1.2], hue shift uniform in
///    [-0.1, 0.1] turns), the four applied in a random order, as torchvision's ColorJitter;
/// 2. grayscale with p = 0.2 (L = 0.299 R + 0.587 G + 0.114 B on all three channels);
/// 3. Gaussian blur, sigma uniform in [0.1, 2.0] view pixels, with p = 1.0 on global view 1,
///    0.1 on the other global views, 0.5 on local views (separable kernel of radius
///    ceil(3 sigma), edges clamped);
/// 4. solarize (x >= 0.5 becomes 1 - x) with p = 0.2 on global views other than the first.
/// With more than two global views, views 2, 3, ... all use global view 2's settings.
public enum Photometric {
    public static let jitterProbability = 0.8
    public static let brightness = 0.4, contrast = 0.4, saturation = 0.2, hue = 0.1
    public static let grayscaleProbability = 0.2
    public static let sigmaRange = (0.1, 2.0)
    public static let solarizeProbability = 0.2

    /// Which DINO recipe a view follows.
    public enum Kind: Sendable {
        case firstGlobal, otherGlobal, local

        var blurProbability: Double {
            switch self {
            case .firstGlobal: return 1.0
            case .otherGlobal: return 0.1
            case .local: return 0.5
            }
        }
        var solarizeProbability: Double { self == .otherGlobal ? Photometric.solarizeProbability : 0 }
    }

    /// Applies the augmentation in place. Random draws (in order): the jitter coin, then if
    /// it came up the permutation and the four factors; the grayscale coin; the blur coin and
    /// sigma; the solarize coin (global views other than the first).
    public static func apply(_ view: inout [Float], side: Int, kind: Kind, rng: inout RNG) {
        if rng.nextDouble() < jitterProbability {
            let order = RandomStreams.permutation(4, rng: &rng)
            let b = Float(rng.uniform(lo: 1 - brightness, hi: 1 + brightness))
            let c = Float(rng.uniform(lo: 1 - contrast, hi: 1 + contrast))
            let s = Float(rng.uniform(lo: 1 - saturation, hi: 1 + saturation))
            let h = Float(rng.uniform(lo: -hue, hi: hue))
            for step in order {
                switch step {
                case 0: adjustBrightness(&view, b)
                case 1: adjustContrast(&view, side: side, c)
                case 2: adjustSaturation(&view, side: side, s)
                default: adjustHue(&view, side: side, h)
                }
            }
        }
        if rng.nextDouble() < grayscaleProbability { toGrayscale(&view, side: side) }
        if rng.nextDouble() < kind.blurProbability {
            let sigma = rng.uniform(lo: sigmaRange.0, hi: sigmaRange.1)
            gaussianBlur(&view, side: side, sigma: sigma)
        }
        if kind == .otherGlobal, rng.nextDouble() < kind.solarizeProbability { solarize(&view) }
    }

    @inline(__always) static func clamp01(_ x: Float) -> Float { Swift.min(1, Swift.max(0, x)) }

    /// x * f.
    public static func adjustBrightness(_ v: inout [Float], _ f: Float) {
        for i in v.indices { v[i] = clamp01(v[i] * f) }
    }

    /// Blend with the mean of the grayscale image: f x + (1 - f) mean.
    public static func adjustContrast(_ v: inout [Float], side: Int, _ f: Float) {
        let plane = side * side
        var sum: Double = 0
        for p in 0..<plane { sum += Double(luma(v[p], v[plane + p], v[2 * plane + p])) }
        let mean = Float(sum / Double(plane))
        for i in v.indices { v[i] = clamp01(f * v[i] + (1 - f) * mean) }
    }

    /// Blend with the pixel's grayscale value: f x + (1 - f) L.
    public static func adjustSaturation(_ v: inout [Float], side: Int, _ f: Float) {
        let plane = side * side
        for p in 0..<plane {
            let l = luma(v[p], v[plane + p], v[2 * plane + p])
            for c in 0..<3 { v[c * plane + p] = clamp01(f * v[c * plane + p] + (1 - f) * l) }
        }
    }

    /// Rotates the hue by `shift` turns (RGB -> HSV, h += shift mod 1, HSV -> RGB).
    public static func adjustHue(_ v: inout [Float], side: Int, _ shift: Float) {
        let plane = side * side
        for p in 0..<plane {
            let r = v[p], g = v[plane + p], b = v[2 * plane + p]
            let mx = Swift.max(r, g, b), mn = Swift.min(r, g, b)
            let d = mx - mn
            if d <= 0 { continue }  // gray: hue undefined, unchanged
            var h: Float
            if mx == r { h = (g - b) / d } else if mx == g { h = 2 + (b - r) / d } else { h = 4 + (r - g) / d }
            h = h / 6 + shift
            h -= h.rounded(.down)
            let s = d / mx, val = mx
            let h6 = h * 6
            let i = Int(h6.rounded(.down)) % 6
            let f = h6 - h6.rounded(.down)
            let pp = val * (1 - s), q = val * (1 - s * f), t = val * (1 - s * (1 - f))
            let (nr, ng, nb): (Float, Float, Float)
            switch i {
            case 0: (nr, ng, nb) = (val, t, pp)
            case 1: (nr, ng, nb) = (q, val, pp)
            case 2: (nr, ng, nb) = (pp, val, t)
            case 3: (nr, ng, nb) = (pp, q, val)
            case 4: (nr, ng, nb) = (t, pp, val)
            default: (nr, ng, nb) = (val, pp, q)
            }
            v[p] = clamp01(nr); v[plane + p] = clamp01(ng); v[2 * plane + p] = clamp01(nb)
        }
    }

    /// The ITU-R 601 luma torchvision's rgb_to_grayscale uses.
    @inline(__always) static func luma(_ r: Float, _ g: Float, _ b: Float) -> Float {
        0.299 * r + 0.587 * g + 0.114 * b
    }

    /// All three channels set to the luma.
    public static func toGrayscale(_ v: inout [Float], side: Int) {
        let plane = side * side
        for p in 0..<plane {
            let l = clamp01(luma(v[p], v[plane + p], v[2 * plane + p]))
            v[p] = l; v[plane + p] = l; v[2 * plane + p] = l
        }
    }

    /// Separable Gaussian blur, kernel radius ceil(3 sigma), edges clamped.
    public static func gaussianBlur(_ v: inout [Float], side: Int, sigma: Double) {
        let radius = Swift.max(1, Int((3 * sigma).rounded(.up)))
        var k = (-radius...radius).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        let total = k.reduce(0, +)
        k = k.map { $0 / total }
        let plane = side * side
        var tmp = [Float](repeating: 0, count: plane)
        for c in 0..<3 {
            let base = c * plane
            for y in 0..<side {
                for x in 0..<side {
                    var acc: Float = 0
                    for t in -radius...radius {
                        let xx = Swift.min(side - 1, Swift.max(0, x + t))
                        acc += k[t + radius] * v[base + y * side + xx]
                    }
                    tmp[y * side + x] = acc
                }
            }
            for y in 0..<side {
                for x in 0..<side {
                    var acc: Float = 0
                    for t in -radius...radius {
                        let yy = Swift.min(side - 1, Swift.max(0, y + t))
                        acc += k[t + radius] * tmp[yy * side + x]
                    }
                    v[base + y * side + x] = clamp01(acc)
                }
            }
        }
    }

    /// PIL's solarize at threshold 128/255: x >= 0.5 becomes 1 - x.
    public static func solarize(_ v: inout [Float]) {
        for i in v.indices where v[i] >= 0.5 { v[i] = 1 - v[i] }
    }

    /// ImageNet normalisation, (x - mean_c) / std_c per channel.
    public static let mean: [Float] = [0.485, 0.456, 0.406]
    public static let std: [Float] = [0.229, 0.224, 0.225]

    public static func normalize(_ v: inout [Float], side: Int) {
        let plane = side * side
        for c in 0..<3 {
            let m = mean[c], s = std[c]
            for p in 0..<plane { v[c * plane + p] = (v[c * plane + p] - m) / s }
        }
    }
}
