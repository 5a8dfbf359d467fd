import Foundation
import VFCTensor

extension SynthDataset {
    /// A background kind of `vfc data synth`.
    public enum Background: String, CaseIterable, Sendable, Codable {
        /// Smooth colour value noise (a coarse random grid, bilinearly upsampled) plus grain.
        case noise
        /// Sinusoidal stripes between two random colours.
        case stripes
        /// A linear gradient between two random colours.
        case gradient
        /// A rotated checkerboard of two random colours.
        case checker
        /// Grey, low-contrast value noise: a 7 x 7 grid uniform in 90...150, bilinearly
        /// upsampled to the side, plus uniform grain of +-8; R = G = B.
        case greyNoise = "grey-noise"

        /// The default kinds, in the order their index is drawn in: a seed without a style
        /// draws the same images as datasets whose labels.json has no `backgrounds`.
        public static let standard: [Background] = [.noise, .stripes, .gradient, .checker]

        /// Parses `KIND[,KIND...]`; a kind may repeat (it is then drawn more often).
        public static func parseList(_ text: String) throws -> [Background] {
            let kinds = text.split(separator: ",", omittingEmptySubsequences: false).map {
                Background(rawValue: $0.trimmingCharacters(in: .whitespaces))
            }
            guard !kinds.isEmpty, kinds.allSatisfy({ $0 != nil }) else {
                throw DatasetError.synth(what: "--background", requirement: "a comma-separated list of "
                    + allCases.map(\.rawValue).joined(separator: ", "), value: "'\(text)'")
            }
            return kinds.map { $0! }
        }
    }

    /// What the objects and backgrounds look like: `color` fills every object (nil: a random
    /// colour per object) and each image's background is drawn uniformly from `backgrounds`.
    /// `standard` draws exactly what datasets without a style were drawn with.
    public struct Style: Sendable, Equatable {
        public var color: [Int]?
        public var backgrounds: [Background]

        public init(color: [Int]? = nil, backgrounds: [Background] = Background.standard) {
            (self.color, self.backgrounds) = (color, backgrounds)
        }

        public static let standard = Style()

        public func validate() throws {
            if let c = color, c.count != 3 || !c.allSatisfy({ (0...255).contains($0) }) {
                throw DatasetError.synth(what: "the object colour", requirement: "three integers in 0...255",
                                         value: c.map(String.init).joined(separator: ","))
            }
            guard !backgrounds.isEmpty else {
                throw DatasetError.synth(what: "the background list", requirement: "non-empty", value: "none")
            }
        }

        /// Parses `R,G,B` (each 0...255).
        public static func parseColor(_ text: String) throws -> [Int] {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map {
                Int($0.trimmingCharacters(in: .whitespaces))
            }
            guard parts.count == 3, parts.allSatisfy({ $0.map { (0...255).contains($0) } ?? false }) else {
                throw DatasetError.synth(what: "--color", requirement: "R,G,B with each an integer in 0...255", value: "'\(text)'")
            }
            return parts.map { $0! }
        }
    }

    /// Named settings of `vfc data synth --preset`.
    public enum Preset: String, CaseIterable, Sendable {
        /// One shape per image (circumradius 20 % to 40 % of the side), the same colour
        /// (230, 60, 40) on every image, over grey low-contrast value noise: the shape, its
        /// position, scale and rotation are the only differences between images, and colour
        /// jitter cannot make colour a class. The data on which pretraining shows in the
        /// probes at micro scale (docs/experiments.md).
        case oneShape = "one-shape"

        public var layout: Layout {
            switch self {
            case .oneShape: return Layout(minObjects: 1, maxObjects: 1, minScale: 0.2, maxScale: 0.4)
            }
        }

        public var style: Style {
            switch self {
            case .oneShape: return Style(color: [230, 60, 40], backgrounds: [.greyNoise])
            }
        }
    }

    /// Draws background `kind`, interleaved RGB in 0...255 (before rounding).
    static func background(_ kind: Background, size: Int, rng: inout RNG) -> [Double] {
        switch kind {
        case .noise, .stripes, .gradient, .checker: return textured(kind, size: size, rng: &rng)
        case .greyNoise: return greyNoise(size: size, rng: &rng)
        }
    }

    /// The grey value noise of `Background.greyNoise`. The grid is upsampled with pixel
    /// centres aligned and edges clamped, as PIL's bilinear resize does.
    static func greyNoise(size: Int, rng: inout RNG) -> [Double] {
        let g = 7
        let grid = (0..<(g * g)).map { _ in rng.uniform(lo: 90, hi: 150) }
        let step = Double(g) / Double(size)
        func axis(_ p: Int) -> (Int, Int, Double) {
            let f = Swift.min(Swift.max((Double(p) + 0.5) * step - 0.5, 0), Double(g - 1))
            let i = Swift.min(Int(f), g - 2)
            return (i, i + 1, f - Double(i))
        }
        var img = [Double](repeating: 0, count: size * size * 3)
        for y in 0..<size {
            let (y0, y1, ay) = axis(y)
            for x in 0..<size {
                let (x0, x1, ax) = axis(x)
                let v = (1 - ay) * ((1 - ax) * grid[y0 * g + x0] + ax * grid[y0 * g + x1])
                    + ay * ((1 - ax) * grid[y1 * g + x0] + ax * grid[y1 * g + x1])
                let grey = v + rng.uniform(lo: -8, hi: 8)
                for c in 0..<3 { img[(y * size + x) * 3 + c] = grey }
            }
        }
        return img
    }
}
