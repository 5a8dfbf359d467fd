import Foundation
import Testing
import VFCTensor
@testable import VFCData

@Suite struct ViewTests {
    func checkBoxes(scale: (Double, Double), s: Int, meanRange: ClosedRange<Double>) {
        var rng = RNG(seed: 7)
        var sum = 0.0
        let trials = 3000
        for _ in 0..<trials {
            let b = ViewGeometry.randomResizedCrop(size: s, scale: scale, rng: &rng)
            #expect(b.w > 0 && b.h > 0 && b.x0 >= 0 && b.y0 >= 0 && b.x0 + b.w <= s && b.y0 + b.h <= s)
            let frac = Double(b.w * b.h) / Double(s * s)
            // Rounding w and h moves the area by at most (w + h + 1) / 2 pixels.
            let slack = Double(b.w + b.h + 1) / 2 / Double(s * s)
            let whole = b == CropBox(x0: 0, y0: 0, w: s, h: s)
            #expect(whole || (frac >= scale.0 - slack && frac <= scale.1 + slack))
            let aspect = Double(b.w) / Double(b.h)
            #expect(whole || (aspect >= 0.75 * (1 - 2.0 / Double(b.h)) && aspect <= 4.0 / 3 * (1 + 2.0 / Double(b.h))))
            sum += frac
        }
        #expect(meanRange.contains(sum / Double(trials)), "mean area fraction \(sum / Double(trials))")
    }

    @Test func globalAndLocalBoxStatistics() {
        checkBoxes(scale: ViewGeometry.globalScale, s: 64, meanRange: 0.5...0.68)
        checkBoxes(scale: ViewGeometry.localScale, s: 64, meanRange: 0.13...0.17)
        checkBoxes(scale: ViewGeometry.globalScale, s: 224, meanRange: 0.5...0.68)
    }

    func randomImage(_ s: Int) -> RGBImage {
        var rng = RNG(seed: 3)
        return RGBImage(width: s, height: s, pixels: (0..<(s * s * 3)).map { _ in Float(rng.nextDouble()) })
    }

    @Test func wholeImageViewAtSourceSizeIsTheIdentity() {
        let img = randomImage(16)
        let v = ViewGeometry.resample(img, box: CropBox(x0: 0, y0: 0, w: 16, h: 16), side: 16, flip: false)
        for c in 0..<3 { for y in 0..<16 { for x in 0..<16 { #expect(v[c * 256 + y * 16 + x] == img[x, y, c]) } } }
    }

    @Test func flipMirrorsTheView() {
        let img = randomImage(20)
        let box = CropBox(x0: 3, y0: 5, w: 11, h: 9)
        let a = ViewGeometry.resample(img, box: box, side: 8, flip: false)
        let b = ViewGeometry.resample(img, box: box, side: 8, flip: true)
        for c in 0..<3 { for y in 0..<8 { for x in 0..<8 { #expect(a[c * 64 + y * 8 + x] == b[c * 64 + y * 8 + 7 - x]) } } }
    }

    @Test func bilinearMatchesDirectFormula() {
        // Independent scalar recomputation of one output pixel in Double.
        let img = randomImage(12)
        let box = CropBox(x0: 2, y0: 1, w: 7, h: 10)
        let side = 5
        let v = ViewGeometry.resample(img, box: box, side: side, flip: false)
        for i in 0..<side {
            for j in 0..<side {
                let u = min(max(2 + (Double(j) + 0.5) * 7 / 5 - 0.5, 0), 11)
                let w = min(max(1 + (Double(i) + 0.5) * 10 / 5 - 0.5, 0), 11)
                let x0 = Int(u), y0 = Int(w), x1 = min(x0 + 1, 11), y1 = min(y0 + 1, 11)
                let ax = u - Double(x0), ay = w - Double(y0)
                for c in 0..<3 {
                    func p(_ x: Int, _ y: Int) -> Double { Double(img[x, y, c]) }
                    let e = (1 - ay) * ((1 - ax) * p(x0, y0) + ax * p(x1, y0)) + ay * ((1 - ax) * p(x0, y1) + ax * p(x1, y1))
                    #expect(abs(Double(v[c * 25 + i * 5 + j]) - e) < 1e-5)
                }
            }
        }
    }

    @Test func photometricStaysInRangeAndIsSeeded() {
        let img = randomImage(32)
        let base = ViewGeometry.resample(img, box: CropBox(x0: 0, y0: 0, w: 32, h: 32), side: 32, flip: false)
        for kind in [Photometric.Kind.firstGlobal, .otherGlobal, .local] {
            var changed = 0
            for seed in 0..<20 {
                var a = base, b = base
                var r1 = RNG(seed: UInt64(seed)), r2 = RNG(seed: UInt64(seed))
                Photometric.apply(&a, side: 32, kind: kind, rng: &r1)
                Photometric.apply(&b, side: 32, kind: kind, rng: &r2)
                #expect(a == b)
                #expect(a.allSatisfy { $0 >= 0 && $0 <= 1 })
                if a != base { changed += 1 }
            }
            #expect(changed >= 14)  // p(no change) per view is at most 0.2 * 0.8 * 0.9 * 0.8 for locals
        }
        // Hue shift by a whole turn and by zero is the identity (up to rounding).
        var h = base
        Photometric.adjustHue(&h, side: 32, 0)
        let hueErr: Float = zip(h, base).map { (a: Float, b: Float) -> Float in abs(a - b) }.max() ?? 0
        #expect(hueErr < 1e-5)
        var g = base
        Photometric.toGrayscale(&g, side: 32)
        var gray = true
        for p in 0..<1024 where g[p] != g[1024 + p] || g[p] != g[2048 + p] { gray = false }
        #expect(gray)
    }

    @Test func blockMasksRespectTheirRatio() {
        var rng = RNG(seed: 11)
        for n in [8, 14] {
            for _ in 0..<300 {
                let ratio = rng.uniform(lo: 0.1, hi: 0.5)
                let m = Masks.blockMask(n: n, ratio: ratio, rng: &rng)
                let count = m.reduce(0) { $0 + Int($1) }
                #expect(count >= 1 && Double(count) <= ratio * Double(n * n) + 1e-9)
            }
        }
        for n in [4, 8, 14] {
            let m = Masks.positionMask(n: n, rng: &rng)
            #expect(m.reduce(0) { $0 + Int($1) } == Masks.positionCount(n: n))
        }
        #expect(Masks.positionCount(n: 8) == 16 && Masks.positionCount(n: 14) == 49 && Masks.positionCount(n: 7) == 12)
    }
}
