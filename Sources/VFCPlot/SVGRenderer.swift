/// Writes a `Figure` as a standalone SVG 1.1 document.
public enum SVGRenderer {
    public static func render(_ figure: Figure) -> String {
        var s = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(figure.width)" height="\(figure.height)" \
            viewBox="0 0 \(figure.width) \(figure.height)" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">

            """
        if !figure.title.isEmpty { s += "<title>\(escape(figure.title))</title>\n" }
        s += "<rect x=\"0\" y=\"0\" width=\"\(figure.width)\" height=\"\(figure.height)\" fill=\"#ffffff\"/>\n"
        for shape in figure.shapes { s += element(shape) + "\n" }
        return s + "</svg>\n"
    }

    static func element(_ shape: Shape) -> String {
        switch shape {
        case let .rect(x, y, w, h, fill, stroke, lineWidth):
            var e = "<rect x=\"\(num(x))\" y=\"\(num(y))\" width=\"\(num(w))\" height=\"\(num(h))\""
            e += fill.map { paint("fill", $0) } ?? " fill=\"none\""
            if let stroke { e += paint("stroke", stroke) + " stroke-width=\"\(num(lineWidth))\"" }
            return e + "/>"
        case let .polyline(points, color, width, dash):
            let coords = points.map { "\(num($0.x)),\(num($0.y))" }.joined(separator: " ")
            var e = "<polyline points=\"\(coords)\" fill=\"none\"" + paint("stroke", color)
            e += " stroke-width=\"\(num(width))\" stroke-linejoin=\"round\" stroke-linecap=\"round\""
            if let (on, off) = dash { e += " stroke-dasharray=\"\(num(on)) \(num(off))\"" }
            return e + "/>"
        case let .text(text, at, size, color, anchor, vertical):
            // The bitmap font's size is its cell height; a sans-serif font of 1.15 times
            // that size has about the same cap height and average width.
            var e = "<text x=\"\(num(at.x))\" y=\"\(num(at.y))\" font-size=\"\(num(size * 1.15))\" text-anchor=\"\(anchor.rawValue)\""
            e += paint("fill", color)
            if vertical { e += " transform=\"rotate(-90 \(num(at.x)) \(num(at.y)))\"" }
            return e + ">\(escape(text))</text>"
        }
    }

    static func paint(_ attribute: String, _ c: RGBA) -> String {
        var e = " \(attribute)=\"\(c.hexString)\""
        if c.a < 1 { e += " \(attribute)-opacity=\"\(num(c.a))\"" }
        return e
    }

    /// At most two decimals, no trailing zeros.
    static func num(_ x: Double) -> String {
        let r = (x * 100).rounded() / 100
        if r == r.rounded() { return String(Int(r)) }
        var s = String(r)
        if let dot = s.firstIndex(of: "."), s.distance(from: dot, to: s.endIndex) > 3 {
            s = String(s[..<s.index(dot, offsetBy: 3)])
        }
        return s
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
