/// An 8-bit RGB image that `Figure`s are drawn into: anti-aliased lines (coverage from
/// the distance to each segment), rectangles, and text in `BitmapFont`.
public struct RasterImage: Sendable {
    public let width: Int
    public let height: Int
    /// Row-major RGB bytes.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, background: RGBA = .white) {
        precondition(width > 0 && height > 0, "an image has at least one pixel")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            pixels[3 * i] = background.r; pixels[3 * i + 1] = background.g; pixels[3 * i + 2] = background.b
        }
    }

    /// Draws every shape of `figure` in order.
    public init(rendering figure: Figure) {
        self.init(width: figure.width, height: figure.height)
        for shape in figure.shapes { draw(shape) }
    }

    /// The colour at (x, y).
    public func pixel(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        let i = 3 * (y * width + x)
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Blends `color` over pixel (x, y) with coverage `c` in 0...1.
    mutating func blend(_ x: Int, _ y: Int, _ color: RGBA, _ c: Double) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let a = max(0, min(1, c * color.a))
        guard a > 0 else { return }
        let i = 3 * (y * width + x)
        func mix(_ old: UInt8, _ new: UInt8) -> UInt8 {
            UInt8((Double(old) * (1 - a) + Double(new) * a).rounded())
        }
        pixels[i] = mix(pixels[i], color.r)
        pixels[i + 1] = mix(pixels[i + 1], color.g)
        pixels[i + 2] = mix(pixels[i + 2], color.b)
    }

    public mutating func draw(_ shape: Shape) {
        switch shape {
        case let .rect(x, y, w, h, fill, stroke, lineWidth):
            if let fill { fillRect(x: x, y: y, width: w, height: h, color: fill) }
            if let stroke {
                let corners = [Point(x, y), Point(x + w, y), Point(x + w, y + h), Point(x, y + h), Point(x, y)]
                strokePolyline(corners, color: stroke, width: lineWidth, dash: nil)
            }
        case let .polyline(points, color, width, dash):
            strokePolyline(points, color: color, width: width, dash: dash)
        case let .text(text, at, size, color, anchor, vertical):
            drawText(text, at: at, size: size, color: color, anchor: anchor, vertical: vertical)
        }
    }

    /// Fills a rectangle, with fractional coverage on its edge pixels.
    public mutating func fillRect(x: Double, y: Double, width w: Double, height h: Double, color: RGBA) {
        let x0 = max(0, Int(x.rounded(.down))), x1 = min(width, Int((x + w).rounded(.up)))
        let y0 = max(0, Int(y.rounded(.down))), y1 = min(height, Int((y + h).rounded(.up)))
        guard x0 < x1, y0 < y1 else { return }
        for py in y0..<y1 {
            let cy = min(Double(py + 1), y + h) - max(Double(py), y)
            for px in x0..<x1 {
                let cx = min(Double(px + 1), x + w) - max(Double(px), x)
                blend(px, py, color, cx * cy)
            }
        }
    }

    /// Strokes a polyline of `width` pixels. Coverage is accumulated per polyline (the
    /// maximum over its segments) and blended once, so translucent lines do not darken
    /// where segments meet.
    public mutating func strokePolyline(_ points: [Point], color: RGBA, width lineWidth: Double, dash: (Double, Double)?) {
        let segments = RasterImage.segments(points, dash: dash)
        guard !segments.isEmpty else { return }
        let r = max(lineWidth, 0.5) / 2
        // Bounding box of the polyline, clipped to the image.
        var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
        for (a, b) in segments {
            minX = min(minX, a.x, b.x); maxX = max(maxX, a.x, b.x)
            minY = min(minY, a.y, b.y); maxY = max(maxY, a.y, b.y)
        }
        let bx0 = max(0, Int((minX - r - 1).rounded(.down))), bx1 = min(width - 1, Int((maxX + r + 1).rounded(.up)))
        let by0 = max(0, Int((minY - r - 1).rounded(.down))), by1 = min(height - 1, Int((maxY + r + 1).rounded(.up)))
        guard bx0 <= bx1, by0 <= by1 else { return }
        let bw = bx1 - bx0 + 1
        var coverage = [Float](repeating: 0, count: bw * (by1 - by0 + 1))
        for (a, b) in segments {
            let x0 = max(bx0, Int((min(a.x, b.x) - r - 1).rounded(.down)))
            let x1 = min(bx1, Int((max(a.x, b.x) + r + 1).rounded(.up)))
            let y0 = max(by0, Int((min(a.y, b.y) - r - 1).rounded(.down)))
            let y1 = min(by1, Int((max(a.y, b.y) + r + 1).rounded(.up)))
            guard x0 <= x1, y0 <= y1 else { continue }
            let dx = b.x - a.x, dy = b.y - a.y
            let len2 = dx * dx + dy * dy
            for py in y0...y1 {
                let cy = Double(py) + 0.5
                for px in x0...x1 {
                    let cx = Double(px) + 0.5
                    var t = len2 > 0 ? ((cx - a.x) * dx + (cy - a.y) * dy) / len2 : 0
                    t = max(0, min(1, t))
                    let ex = cx - (a.x + t * dx), ey = cy - (a.y + t * dy)
                    let d = (ex * ex + ey * ey).squareRoot()
                    // Thin lines keep their full coverage spread over about one pixel.
                    let c = Float(max(0, min(1, r + 0.5 - d)) * min(1, lineWidth))
                    let k = (py - by0) * bw + (px - bx0)
                    if c > coverage[k] { coverage[k] = c }
                }
            }
        }
        for py in by0...by1 {
            for px in bx0...bx1 {
                let c = coverage[(py - by0) * bw + (px - bx0)]
                if c > 0 { blend(px, py, color, Double(c)) }
            }
        }
    }

    /// The segments of a polyline, cut into dashes when `dash` is given.
    static func segments(_ points: [Point], dash: (Double, Double)?) -> [(Point, Point)] {
        guard points.count >= 2 else { return [] }
        let pairs = zip(points, points.dropFirst()).map { ($0, $1) }
        guard let (on, off) = dash, on > 0, off > 0 else { return pairs }
        var out: [(Point, Point)] = []
        var phase = 0.0  // distance into the current on+off period
        for (a, b) in pairs {
            let dx = b.x - a.x, dy = b.y - a.y
            let len = (dx * dx + dy * dy).squareRoot()
            var s = 0.0
            while s < len {
                let inOn = phase < on
                let step = min(len - s, inOn ? on - phase : on + off - phase)
                if inOn {
                    out.append((Point(a.x + dx * s / len, a.y + dy * s / len),
                                Point(a.x + dx * (s + step) / len, a.y + dy * (s + step) / len)))
                }
                s += step
                phase += step
                if phase >= on + off { phase -= on + off }
            }
        }
        return out
    }

    /// Text in the bitmap font, `size / 8` pixels per font pixel (at least 1, rounded).
    public mutating func drawText(_ text: String, at p: Point, size: Double, color: RGBA, anchor: TextAnchor, vertical: Bool) {
        let scale = max(1, Int((size / Double(BitmapFont.glyphHeight)).rounded()))
        let length = Double(max(0, text.count * BitmapFont.advance - 1) * scale)
        let shift: Double
        switch anchor {
        case .start: shift = 0
        case .middle: shift = length / 2
        case .end: shift = length
        }
        // Glyph row 6 (the bottom of capitals) sits on the baseline.
        let baselineRow = 7
        let ox = Int((p.x).rounded()), oy = Int((p.y).rounded())
        for (i, c) in text.enumerated() {
            for gy in 0..<BitmapFont.glyphHeight {
                for gx in 0..<BitmapFont.glyphWidth where BitmapFont.pixel(c, x: gx, y: gy) {
                    // Along the text (u) and across it (v, down from the top of the cell).
                    let u = Int((Double((i * BitmapFont.advance + gx) * scale) - shift).rounded())
                    let v = (gy - baselineRow) * scale
                    for sy in 0..<scale {
                        for sx in 0..<scale {
                            if vertical {
                                blend(ox + v + sy, oy - u - sx - 1, color, 1)
                            } else {
                                blend(ox + u + sx, oy + v + sy, color, 1)
                            }
                        }
                    }
                }
            }
        }
    }
}
