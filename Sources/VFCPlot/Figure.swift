/// An sRGB colour with opacity.
public struct RGBA: Sendable, Equatable {
    public var r: UInt8, g: UInt8, b: UInt8
    /// Opacity in 0...1.
    public var a: Double

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8, _ a: Double = 1) {
        self.r = r; self.g = g; self.b = b; self.a = a
    }

    /// `0xRRGGBB`.
    public init(hex: UInt32, alpha: Double = 1) {
        self.init(UInt8(hex >> 16 & 0xFF), UInt8(hex >> 8 & 0xFF), UInt8(hex & 0xFF), alpha)
    }

    public func withAlpha(_ a: Double) -> RGBA { RGBA(r, g, b, a) }

    /// `#rrggbb` (opacity is written separately in SVG).
    public var hexString: String {
        let digits = Array("0123456789abcdef")
        var s = "#"
        for v in [r, g, b] { s.append(digits[Int(v >> 4)]); s.append(digits[Int(v & 15)]) }
        return s
    }

    public static let white = RGBA(255, 255, 255)
    public static let black = RGBA(0, 0, 0)
}

/// A point in figure coordinates: pixels, origin top left, y down.
public struct Point: Sendable, Equatable {
    public var x: Double, y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}

/// How a text item is placed relative to its anchor point.
public enum TextAnchor: String, Sendable {
    case start, middle, end
}

/// One drawing primitive. Both renderers (SVG, raster) draw exactly these.
public enum Shape: Sendable {
    /// A filled and/or stroked axis-aligned rectangle.
    case rect(x: Double, y: Double, width: Double, height: Double, fill: RGBA?, stroke: RGBA?, lineWidth: Double)
    /// An open polyline (a straight segment is a two-point polyline); `dash` is
    /// (on, off) lengths in pixels, nil for solid.
    case polyline([Point], color: RGBA, width: Double, dash: (Double, Double)?)
    /// Text whose baseline-left (start), baseline-centre (middle) or baseline-right (end)
    /// is at `at`; `size` is the cap height scale: the bitmap font is drawn at
    /// `size / 8` pixels per font pixel, SVG uses it as font-size. `vertical` rotates it
    /// 90 degrees counter-clockwise (reading bottom to top) about `at`.
    case text(String, at: Point, size: Double, color: RGBA, anchor: TextAnchor, vertical: Bool)
}

/// A picture as a list of shapes in drawing order, on a white background.
public struct Figure: Sendable {
    public var width: Int
    public var height: Int
    public var shapes: [Shape] = []
    /// A title for the document (SVG `<title>`).
    public var title: String = ""

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public mutating func add(_ shape: Shape) { shapes.append(shape) }

    /// Width of `text` at `size`, by the bitmap font's metrics (the SVG renderer uses the
    /// same estimate for layout, close to a sans-serif font's average width).
    public static func textWidth(_ text: String, size: Double) -> Double {
        let scale = size / Double(BitmapFont.glyphHeight)
        return Double(max(0, text.count * BitmapFont.advance - 1)) * scale
    }
}
