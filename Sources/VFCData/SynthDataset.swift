import Dispatch
import Foundation
import VFCTensor

/// A procedural dataset of coloured shapes on textured backgrounds (`vfc data synth`), for
/// tests and for the evaluation probes of method.md section 8 (each object's class and
/// position is known).
///
/// Image i is a pure function of (seed, i, size, layout, style): one to three objects (`Layout`) of
/// the classes in `classes`, random colour (or `Style.color`), size (circumradius 8% to 22% of the
/// side), position (centre inside the image, at least 0.6 radius from each edge) and rotation,
/// drawn in order (later ones on top) over one of the backgrounds of `Style.backgrounds` (by
/// default smooth value noise, stripes, a linear gradient, a rotated checkerboard). Edges are
/// antialiased with 4 x 4 supersampling. `Preset` names settings made for the probes.
public enum SynthDataset {
    /// Object classes; a class id is an index into this list.
    public static let classes = ["circle", "square", "triangle", "star", "cross"]

    /// One object of an image. Coordinates are in pixels with the origin at the top-left
    /// corner of the image (pixel (x, y) covers [x, x+1) x [y, y+1)).
    public struct Object: Sendable, Codable, Equatable {
        public var className: String
        public var classId: Int
        /// Tight box of the pixels the shape covers (any coverage), (x0, y0, w, h) in
        /// whole pixels; ignores occlusion by later objects.
        public var bbox: [Int]
        /// The shape's centre (cx, cy).
        public var center: [Double]
        /// Circumradius in pixels and rotation in radians.
        public var radius: Double
        public var rotation: Double
        /// The fill colour, 8-bit RGB.
        public var color: [Int]

        enum CodingKeys: String, CodingKey {
            case className = "class", classId = "class_id", bbox, center, radius, rotation, color
        }
    }

    /// One generated image.
    public struct Sample: Sendable {
        public var rgb8: [UInt8]
        public var size: Int
        public var background: String
        public var objects: [Object]
    }

    /// How many objects an image holds and how large they are: `minObjects...maxObjects`
    /// objects (uniform), each of circumradius uniform in `minScale...maxScale` times the side.
    /// `standard` (1 to 3 objects, 8 % to 22 %) draws exactly what datasets without a layout
    /// were drawn with.
    public struct Layout: Sendable, Equatable, Codable {
        public var minObjects: Int
        public var maxObjects: Int
        public var minScale: Double
        public var maxScale: Double

        public init(minObjects: Int = 1, maxObjects: Int = 3, minScale: Double = 0.08, maxScale: Double = 0.22) {
            (self.minObjects, self.maxObjects, self.minScale, self.maxScale) = (minObjects, maxObjects, minScale, maxScale)
        }

        public static let standard = Layout()

        enum CodingKeys: String, CodingKey {
            case minObjects = "min_objects", maxObjects = "max_objects", minScale = "min_scale", maxScale = "max_scale"
        }

        public func validate() throws {
            guard minObjects >= 1, minObjects <= maxObjects, maxObjects <= 16 else {
                throw DatasetError.synth(what: "objects per image", requirement: "1 <= min <= max <= 16", value: "\(minObjects)-\(maxObjects)")
            }
            guard minScale > 0, minScale <= maxScale, maxScale <= 0.5 else {
                throw DatasetError.synth(what: "the object scale", requirement: "0 < min <= max <= 0.5 (circumradius / side)", value: "\(minScale)-\(maxScale)")
            }
        }
    }

    /// The labels file, `DIR/labels.json`.
    public struct Labels: Codable, Sendable {
        public struct Entry: Codable, Sendable {
            public var file: String
            public var background: String
            public var objects: [Object]
        }
        public var seed: UInt64
        public var size: Int
        public var classes: [String]
        public var images: [Entry]
        /// The layout, when not `Layout.standard` (absent in older files and standard ones).
        public var layout: Layout?
        /// The colour of every object, when fixed (absent when random per object).
        public var color: [Int]?
        /// The backgrounds drawn from, when not `Background.standard` (absent in older files
        /// and standard ones).
        public var backgrounds: [String]?
    }

    /// Generates image `index` for `seed`.
    public static func sample(index: Int, seed: UInt64, size: Int, layout: Layout = .standard,
                              style: Style = .standard) -> Sample {
        var rng = RandomStreams.rng(seed: seed, .synthImage, index)
        let bgKind = style.backgrounds[rng.nextInt(below: style.backgrounds.count)]
        var img = background(bgKind, size: size, rng: &rng)
        let count = layout.minObjects + rng.nextInt(below: layout.maxObjects - layout.minObjects + 1)
        var objects: [Object] = []
        let s = Double(size)
        for _ in 0..<count {
            let cls = rng.nextInt(below: classes.count)
            let r = s * rng.uniform(lo: layout.minScale, hi: layout.maxScale)
            let cx = rng.uniform(lo: 0.6 * r, hi: s - 0.6 * r)
            let cy = rng.uniform(lo: 0.6 * r, hi: s - 0.6 * r)
            let rot = rng.uniform(lo: 0, hi: 2 * Double.pi)
            let color = style.color ?? [rng.nextInt(below: 256), rng.nextInt(below: 256), rng.nextInt(below: 256)]
            let shape = Shape(kind: cls, cx: cx, cy: cy, r: r, rotation: rot)
            let bbox = draw(shape, color: color, into: &img, size: size)
            objects.append(Object(className: classes[cls], classId: cls, bbox: bbox,
                                  center: [cx, cy], radius: r, rotation: rot, color: color))
        }
        let rgb8 = img.map { UInt8(Swift.max(0, Swift.min(255, $0.rounded()))) }
        return Sample(rgb8: rgb8, size: size, background: bgKind.rawValue, objects: objects)
    }

    /// Writes `count` images to `dir/images/NNNNN.png` (or `.jpg` with `jpeg`, quality 95)
    /// and `dir/labels.json` (in parallel; the files do not depend on the thread count).
    /// Returns the labels.
    @discardableResult
    public static func write(to dir: String, count: Int, seed: UInt64, size: Int, jpeg: Bool = false,
                             layout: Layout = .standard, style: Style = .standard) throws -> Labels {
        try layout.validate()
        try style.validate()
        guard count >= 1 else { throw DatasetError.synth(what: "--n", requirement: "at least 1", value: "\(count)") }
        guard size >= 8 else { throw DatasetError.synth(what: "--size", requirement: "at least 8", value: "\(size)") }
        let imagesDir = (dir as NSString).appendingPathComponent("images")
        try FileManager.default.createDirectory(atPath: imagesDir, withIntermediateDirectories: true)
        let digits = Swift.max(5, String(count - 1).count)
        @Sendable func name(_ i: Int) -> String {
            let s = String(i)
            return "images/" + String(repeating: "0", count: digits - s.count) + s + (jpeg ? ".jpg" : ".png")
        }
        let slots = SynthSlots(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { i in
            let smp = sample(index: i, seed: seed, size: size, layout: layout, style: style)
            do {
                let path = (dir as NSString).appendingPathComponent(name(i))
                if jpeg {
                    let bytes = try JPEGCodec.encode(smp.rgb8, width: size, height: size, channels: 3, quality: 95)
                    try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
                } else {
                    try PNGCodec.write(smp.rgb8, width: size, height: size, channels: 3, path: path)
                }
                slots.set(i, .success(Labels.Entry(file: name(i), background: smp.background, objects: smp.objects)))
            } catch {
                slots.set(i, .failure(error))
            }
        }
        var entries: [Labels.Entry] = []
        for r in slots.values { entries.append(try r.get()) }
        let labels = Labels(seed: seed, size: size, classes: classes, images: entries, layout: layout == .standard ? nil : layout,
                            color: style.color,
                            backgrounds: style.backgrounds == Background.standard ? nil : style.backgrounds.map(\.rawValue))
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try enc.encode(labels)
        try data.write(to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent("labels.json")),
                       options: .atomic)
        return labels
    }

    // MARK: Drawing

    struct Shape {
        var kind: Int, cx: Double, cy: Double, r: Double, rotation: Double

        /// The polygon (for every class but the circle), in image coordinates.
        var polygon: [(Double, Double)] {
            var local: [(Double, Double)]
            switch kind {
            case 1:  // square: circumradius r
                local = (0..<4).map { k in let a = Double.pi / 4 + Double(k) * Double.pi / 2; return (cos(a), sin(a)) }
            case 2:  // equilateral triangle
                local = (0..<3).map { k in let a = -Double.pi / 2 + Double(k) * 2 * Double.pi / 3; return (cos(a), sin(a)) }
            case 3:  // five-pointed star, inner radius 0.45
                local = (0..<10).map { k in
                    let a = -Double.pi / 2 + Double(k) * Double.pi / 5
                    let rr = k % 2 == 0 ? 1.0 : 0.45
                    return (rr * cos(a), rr * sin(a))
                }
            default:  // cross (plus sign): arms of half-width 0.3
                let t = 0.3
                local = [(t, -1), (t, -t), (1, -t), (1, t), (t, t), (t, 1), (-t, 1), (-t, t), (-1, t), (-1, -t), (-t, -t), (-t, -1)]
            }
            let c = cos(rotation), s = sin(rotation)
            return local.map { (x, y) in (cx + r * (c * x - s * y), cy + r * (s * x + c * y)) }
        }

        func contains(_ x: Double, _ y: Double, polygon: [(Double, Double)]) -> Bool {
            if kind == 0 { return (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r }
            // Even-odd crossing test.
            var inside = false
            var j = polygon.count - 1
            for i in 0..<polygon.count {
                let (xi, yi) = polygon[i], (xj, yj) = polygon[j]
                if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi { inside.toggle() }
                j = i
            }
            return inside
        }
    }

    /// Blends the shape over `img` (interleaved RGB in 0...255) by 4 x 4 supersampled
    /// coverage; returns the tight box of covered pixels (x0, y0, w, h).
    static func draw(_ shape: Shape, color: [Int], into img: inout [Double], size: Int) -> [Int] {
        let poly = shape.polygon
        let lo = Swift.max(0, Int((shape.cx - shape.r).rounded(.down)) - 1)
        let hiX = Swift.min(size - 1, Int((shape.cx + shape.r).rounded(.up)) + 1)
        let loY = Swift.max(0, Int((shape.cy - shape.r).rounded(.down)) - 1)
        let hiY = Swift.min(size - 1, Int((shape.cy + shape.r).rounded(.up)) + 1)
        var minX = Int.max, minY = Int.max, maxX = -1, maxY = -1
        for y in loY...hiY {
            for x in lo...hiX {
                var hits = 0
                for sy in 0..<4 {
                    for sx in 0..<4 where shape.contains(Double(x) + (Double(sx) + 0.5) / 4,
                                                         Double(y) + (Double(sy) + 0.5) / 4, polygon: poly) {
                        hits += 1
                    }
                }
                guard hits > 0 else { continue }
                let a = Double(hits) / 16
                for c in 0..<3 {
                    let i = (y * size + x) * 3 + c
                    img[i] = (1 - a) * img[i] + a * Double(color[c])
                }
                minX = Swift.min(minX, x); maxX = Swift.max(maxX, x)
                minY = Swift.min(minY, y); maxY = Swift.max(maxY, y)
            }
        }
        if maxX < 0 { return [Int(shape.cx), Int(shape.cy), 0, 0] }
        return [minX, minY, maxX - minX + 1, maxY - minY + 1]
    }

    /// A background of two random colours (`noise`, `stripes`, `gradient`, `checker`),
    /// interleaved RGB in 0...255.
    static func textured(_ kind: Background, size: Int, rng: inout RNG) -> [Double] {
        func color() -> [Double] { (0..<3).map { _ in rng.uniform(lo: 0, hi: 255) } }
        let c0 = color(), c1 = color()
        var img = [Double](repeating: 0, count: size * size * 3)
        let s = Double(size)
        switch kind {
        case .noise:  // smooth value noise: a coarse random grid, bilinearly upsampled, plus grain
            let g = 4 + rng.nextInt(below: 5)
            let grid = (0..<((g + 1) * (g + 1) * 3)).map { _ in rng.uniform(lo: 0, hi: 255) }
            for y in 0..<size {
                for x in 0..<size {
                    let fx = Double(x) / s * Double(g), fy = Double(y) / s * Double(g)
                    let ix = Int(fx), iy = Int(fy)
                    let ax = fx - Double(ix), ay = fy - Double(iy)
                    for c in 0..<3 {
                        func at(_ i: Int, _ j: Int) -> Double { grid[((j * (g + 1)) + i) * 3 + c] }
                        let v = (1 - ay) * ((1 - ax) * at(ix, iy) + ax * at(ix + 1, iy))
                            + ay * ((1 - ax) * at(ix, iy + 1) + ax * at(ix + 1, iy + 1))
                        img[(y * size + x) * 3 + c] = v + rng.uniform(lo: -12, hi: 12)
                    }
                }
            }
        case .stripes, .checker:  // sinusoidal stripes or a rotated checkerboard
            let angle = rng.uniform(lo: 0, hi: Double.pi)
            let period = s * rng.uniform(lo: 0.08, hi: 0.3)
            let (ca, sa) = (cos(angle), sin(angle))
            for y in 0..<size {
                for x in 0..<size {
                    let u = (ca * Double(x) + sa * Double(y)) / period
                    let t: Double
                    if kind == .stripes {
                        t = 0.5 + 0.5 * sin(2 * Double.pi * u)
                    } else {
                        let v = (-sa * Double(x) + ca * Double(y)) / period
                        t = (Int((u).rounded(.down)) + Int((v).rounded(.down))) & 1 == 0 ? 0 : 1
                    }
                    for c in 0..<3 { img[(y * size + x) * 3 + c] = (1 - t) * c0[c] + t * c1[c] }
                }
            }
        case .gradient, .greyNoise:  // a linear gradient in a random direction (grey noise is drawn by greyNoise)
            let angle = rng.uniform(lo: 0, hi: 2 * Double.pi)
            let (ca, sa) = (cos(angle), sin(angle))
            for y in 0..<size {
                for x in 0..<size {
                    let u = ((Double(x) / s - 0.5) * ca + (Double(y) / s - 0.5) * sa) / 1.4142 + 0.5
                    for c in 0..<3 { img[(y * size + x) * 3 + c] = (1 - u) * c0[c] + u * c1[c] }
                }
            }
        }
        return img
    }
}

/// Per-index results of the parallel synth writer.
final class SynthSlots: @unchecked Sendable {
    private var slots: [Result<SynthDataset.Labels.Entry, Error>?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<SynthDataset.Labels.Entry, Error>) { lock.withLock { slots[i] = r } }
    var values: [Result<SynthDataset.Labels.Entry, Error>] { lock.withLock { slots.map { $0! } } }
}
