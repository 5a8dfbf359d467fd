import Foundation

/// A linear or base-10 logarithmic mapping from data values to pixels, with tick
/// positions at 1, 2 and 5 times powers of ten and their labels.
public struct Axis: Sendable {
    public var lo: Double
    public var hi: Double
    public var logarithmic: Bool

    /// An axis covering `values` (finite ones; positive ones when logarithmic), padded by
    /// `padding` of the range on each side. A constant series gets a unit-wide range.
    public init(covering values: [Double], logarithmic: Bool = false, padding: Double = 0.05) {
        self.logarithmic = logarithmic
        let usable = values.filter { $0.isFinite && (!logarithmic || $0 > 0) }.map { logarithmic ? log10($0) : $0 }
        var lo = usable.min() ?? 0, hi = usable.max() ?? 1
        if hi - lo < 1e-12 * max(1, abs(hi)) {
            lo -= logarithmic ? 0.5 : max(0.5, abs(lo) * 0.05)
            hi += logarithmic ? 0.5 : max(0.5, abs(hi) * 0.05)
        }
        let pad = (hi - lo) * padding
        self.lo = lo - pad
        self.hi = hi + pad
    }

    /// An exact linear range.
    public init(lo: Double, hi: Double) {
        self.lo = lo
        self.hi = hi == lo ? lo + 1 : hi
        self.logarithmic = false
    }

    /// The value's position in 0...1 along the axis (outside for values out of range);
    /// nil for values the axis cannot show (non-finite, or <= 0 on a log axis).
    public func fraction(_ v: Double) -> Double? {
        guard v.isFinite, !logarithmic || v > 0 else { return nil }
        let t = logarithmic ? log10(v) : v
        return (t - lo) / (hi - lo)
    }

    /// "Nice" step for about `count` intervals over `range`: 1, 2 or 5 times a power of ten.
    static func niceStep(_ range: Double, count: Int) -> Double {
        let raw = range / Double(max(1, count))
        let magnitude = pow(10, floor(log10(raw)))
        let m = raw / magnitude
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * magnitude
    }

    /// Tick values (in data units) and their labels, about `count` of them.
    public func ticks(count: Int = 6) -> [(value: Double, label: String)] {
        if logarithmic {
            let decades = hi - lo
            var out: [Double] = []
            let multiples: [Double] = decades <= 1.2 ? [1, 2, 5] : decades <= 3 ? [1, 3] : [1]
            let every = max(1, Int((decades / Double(count)).rounded(.up)))
            var e = Int(floor(lo))
            while Double(e) <= hi {
                if e % every == 0 {
                    for m in multiples {
                        let t = log10(m) + Double(e)
                        if t >= lo && t <= hi { out.append(m * pow(10, Double(e))) }
                    }
                }
                e += 1
            }
            return out.map { ($0, Axis.label($0, step: $0)) }
        }
        let step = Axis.niceStep(hi - lo, count: count)
        var v = (lo / step).rounded(.up) * step
        var out: [(Double, String)] = []
        while v <= hi + step * 1e-9 {
            let clean = abs(v) < step * 1e-9 ? 0 : v
            out.append((clean, Axis.label(clean, step: step)))
            v += step
        }
        return out
    }

    /// A tick label precise enough for ticks `step` apart: fixed notation for ordinary
    /// magnitudes ("0.25", "1200"), scientific for tiny or huge ones ("5e-4", "1.5e6").
    public static func label(_ v: Double, step: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a < 1e-3 || a >= 1e6 {
            var exponent = Int(floor(log10(a)))
            let digits = max(0, min(4, exponent - Int(floor(log10(step) + 1e-9))))
            var mantissa = String(format: "%.\(digits)f", v / pow(10, Double(exponent)))
            if let m = Double(mantissa), abs(m) >= 10 {  // 9.96 rounded up to 10.0
                exponent += 1
                mantissa = String(format: "%.\(digits)f", v / pow(10, Double(exponent)))
            }
            if mantissa.contains(".") {
                while mantissa.hasSuffix("0") { mantissa.removeLast() }
                if mantissa.hasSuffix(".") { mantissa.removeLast() }
            }
            return "\(mantissa)e\(exponent)"
        }
        let decimals = max(0, Int(-floor(log10(step) + 1e-9)))
        return String(format: "%.\(decimals)f", v)
    }
}
