import Foundation
import VFCRun

/// What `LossPlot.figure` draws and how.
public struct LossPlotOptions: Sendable {
    public var width = 1200
    public var height = 800
    /// TensorBoard-style EMA weight in [0, 1): 0 draws the raw curve only.
    public var smoothing = 0.9
    public var logarithmicY = false
    /// Draw the learning rate (metric "lr") in a small second panel when present.
    public var showLearningRate = true
    public var title: String?
    /// Metrics for the main panel; nil means "loss" and every other metric whose name
    /// starts with "loss" (loss_cls, loss_mim, loss_pos, ...).
    public var metrics: [String]?

    public init() {}
}

/// Loss curves of a run as a `Figure`: the losses in a large panel (raw values thin
/// and faint, their EMA thick), the learning rate in a small panel below sharing the
/// step axis, with a title, axis labels, tick labels, gridlines and a legend.
public enum LossPlot {
    /// matplotlib's tab10 colours; the usual metrics get fixed ones.
    static let palette: [UInt32] = [0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD, 0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF]
    static let fixedColors: [String: UInt32] = ["loss": 0x1F77B4, "loss_cls": 0xFF7F0E, "loss_mim": 0x2CA02C, "loss_pos": 0xD62728, "lr": 0x9467BD]

    static let textColor = RGBA(hex: 0x222222)
    static let axisColor = RGBA(hex: 0x888888)
    static let gridColor = RGBA(hex: 0xE3E3E3)
    static let labelSize = 16.0
    static let titleSize = 24.0

    /// The metric names the main panel shows for `entries` under `options`.
    public static func lossMetrics(_ entries: [MetricsEntry], options: LossPlotOptions) -> [String] {
        if let chosen = options.metrics { return chosen }
        var names = Set<String>()
        for e in entries { for k in e.metrics.keys where k.hasPrefix("loss") { names.insert(k) } }
        return names.sorted { ($0 == "loss" ? 0 : 1, $0) < ($1 == "loss" ? 0 : 1, $1) }
    }

    /// One value per step: entries sorted by step, the last one winning when a step
    /// appears twice (a resumed run whose log was not truncated).
    public static func series(_ entries: [MetricsEntry], metric: String) -> [(step: Double, value: Double)] {
        var byStep: [Int: Double] = [:]
        for e in entries { if let v = e.metrics[metric] { byStep[e.step] = v } }
        return byStep.keys.sorted().map { (Double($0), byStep[$0]!) }
    }

    /// TensorBoard's smoothing: an exponential moving average debiased for its start;
    /// non-finite values are passed through and skipped.
    public static func ema(_ values: [Double], weight: Double) -> [Double] {
        guard weight > 0 else { return values }
        var last = 0.0
        var n = 0
        return values.map { v in
            guard v.isFinite else { return v }
            last = last * weight + (1 - weight) * v
            n += 1
            return last / (1 - pow(weight, Double(n)))
        }
    }

    public static func figure(_ entries: [MetricsEntry], runName: String, options: LossPlotOptions = LossPlotOptions()) throws -> Figure {
        let names = lossMetrics(entries, options: options)
        let curves = names.map { (name: $0, points: series(entries, metric: $0)) }.filter { !$0.points.isEmpty }
        guard !curves.isEmpty else {
            let available = Set(entries.flatMap { $0.metrics.keys }).sorted()
            throw PlotError.noMetric(asked: names, available: available)
        }
        let lr = options.showLearningRate ? series(entries, metric: "lr") : []
        let steps = curves.flatMap { $0.points.map(\.step) } + lr.map(\.step)

        var fig = Figure(width: options.width, height: options.height)
        let w = Double(options.width), h = Double(options.height)
        let title = options.title ?? "\(runName): training loss"
        fig.title = title
        fig.add(.text(fit([title], size: titleSize, width: w - 20), at: Point(w / 2, 38), size: titleSize, color: textColor, anchor: .middle, vertical: false))
        let first = Int(steps.min() ?? 0), last = Int(steps.max() ?? 0)
        let range = "steps \(first)-\(last), \(entries.count) entries"
        let smoothing = options.smoothing > 0 ? "thick: EMA (smoothing \(options.smoothing)), faint: raw" : ""
        let subtitle = fit(smoothing.isEmpty ? [range] : ["\(range); \(smoothing)", smoothing], size: 16, width: w - 20)
        fig.add(.text(subtitle, at: Point(w / 2, 64), size: 16, color: axisColor, anchor: .middle, vertical: false))

        let left = 100.0, right = w - 30
        let top = 84.0
        let bottom = h - 58
        let lrHeight = lr.isEmpty ? 0 : max(80, (bottom - top) * 0.22)
        let gap = lr.isEmpty ? 0 : 26.0
        let lossBox = (x: left, y: top, w: right - left, h: bottom - top - lrHeight - gap)
        let xAxis = Axis(lo: Double(first), hi: Double(max(last, first + 1)))
        let lossAxis = Axis(covering: curves.flatMap { $0.points.map(\.value) }, logarithmic: options.logarithmicY)

        let colors = assignColors(curves.map(\.name))
        panel(&fig, box: lossBox, x: xAxis, y: lossAxis, yLabel: options.logarithmicY ? "loss (log scale)" : "loss",
              showXLabels: lr.isEmpty)
        for (curve, color) in zip(curves, colors) {
            plotCurve(&fig, box: lossBox, x: xAxis, y: lossAxis, points: curve.points, color: color, smoothing: options.smoothing)
        }
        legend(&fig, box: lossBox, entries: zip(curves, colors).map { ($0.name, $1) })

        if !lr.isEmpty {
            let lrBox = (x: left, y: lossBox.y + lossBox.h + gap, w: lossBox.w, h: lrHeight)
            let lrAxis = Axis(covering: lr.map(\.value) + [0])  // from zero: warmup and decay read at a glance
            panel(&fig, box: lrBox, x: xAxis, y: lrAxis, yLabel: "lr", showXLabels: true, yTicks: 3)
            plotCurve(&fig, box: lrBox, x: xAxis, y: lrAxis, points: lr, color: RGBA(hex: fixedColors["lr"]!), smoothing: 0)
        }
        fig.add(.text("step", at: Point(left + (right - left) / 2, h - 14), size: labelSize, color: textColor, anchor: .middle, vertical: false))
        return fig
    }

    /// The first candidate that fits in `width` at `size`, else the last one cut short with "...".
    static func fit(_ candidates: [String], size: Double, width: Double) -> String {
        for c in candidates where Figure.textWidth(c, size: size) <= width { return c }
        var s = candidates.last ?? ""
        while !s.isEmpty, Figure.textWidth(s + "...", size: size) > width { s.removeLast() }
        return s + "..."
    }

    static func assignColors(_ names: [String]) -> [RGBA] {
        var used = Set(names.compactMap { fixedColors[$0] })
        var free = palette.filter { !used.contains($0) }.makeIterator()
        return names.map { name in
            if let c = fixedColors[name] { return RGBA(hex: c) }
            let c = free.next() ?? 0x444444
            used.insert(c)
            return RGBA(hex: c)
        }
    }

    typealias Box = (x: Double, y: Double, w: Double, h: Double)

    /// Frame, gridlines, tick labels and the y label of one panel.
    static func panel(_ fig: inout Figure, box: Box, x: Axis, y: Axis, yLabel: String, showXLabels: Bool, yTicks: Int = 8) {
        fig.add(.rect(x: box.x, y: box.y, width: box.w, height: box.h, fill: RGBA(hex: 0xFBFBFB), stroke: nil, lineWidth: 0))
        // Gridlines sit on half pixels so that one-pixel lines stay crisp.
        func crisp(_ v: Double) -> Double { v.rounded(.down) + 0.5 }
        for (v, label) in x.ticks(count: max(2, min(8, Int(box.w / 120)))) {
            guard let f = x.fraction(v), f >= -1e-9, f <= 1 + 1e-9 else { continue }
            let px = crisp(box.x + f * box.w)
            fig.add(.polyline([Point(px, box.y), Point(px, box.y + box.h)], color: gridColor, width: 1, dash: nil))
            fig.add(.polyline([Point(px, box.y + box.h), Point(px, box.y + box.h + 5)], color: axisColor, width: 1, dash: nil))
            if showXLabels {
                // Kept inside the picture: the last label of a long run is wide.
                let half = Figure.textWidth(label, size: labelSize) / 2
                let cx = min(max(px, half + 2), Double(fig.width) - half - 2)
                fig.add(.text(label, at: Point(cx, box.y + box.h + 24), size: labelSize, color: textColor, anchor: .middle, vertical: false))
            }
        }
        for (v, label) in y.ticks(count: max(2, min(yTicks, Int(box.h / 45)))) {
            guard let f = y.fraction(v), f >= -1e-9, f <= 1 + 1e-9 else { continue }
            let py = crisp(box.y + box.h - f * box.h)
            fig.add(.polyline([Point(box.x, py), Point(box.x + box.w, py)], color: gridColor, width: 1, dash: nil))
            fig.add(.polyline([Point(box.x - 5, py), Point(box.x, py)], color: axisColor, width: 1, dash: nil))
            fig.add(.text(label, at: Point(box.x - 9, py + 6), size: labelSize, color: textColor, anchor: .end, vertical: false))
        }
        fig.add(.rect(x: crisp(box.x), y: crisp(box.y), width: box.w.rounded(), height: box.h.rounded(), fill: nil, stroke: axisColor, lineWidth: 1))
        fig.add(.text(yLabel, at: Point(24, box.y + box.h / 2), size: labelSize, color: textColor, anchor: .middle, vertical: true))
    }

    /// The raw curve (thin, faint) and its EMA (thick), clipped to the panel; gaps at
    /// non-finite values.
    static func plotCurve(_ fig: inout Figure, box: Box, x: Axis, y: Axis, points: [(step: Double, value: Double)], color: RGBA, smoothing: Double) {
        func project(_ s: Double, _ v: Double) -> Point? {
            guard let fx = x.fraction(s), let fy = y.fraction(v) else { return nil }
            return Point(box.x + fx * box.w, box.y + box.h - max(-0.02, min(1.02, fy)) * box.h)
        }
        let raw = points.map { project($0.step, $0.value) }
        if smoothing > 0 {
            let smooth = ema(points.map(\.value), weight: smoothing)
            let smoothPoints = zip(points, smooth).map { project($0.step, $1) }
            for run in runs(raw, maxPoints: Int(box.w) * 2) {
                fig.add(.polyline(run, color: color.withAlpha(0.3), width: 1.2, dash: nil))
            }
            for run in runs(smoothPoints, maxPoints: Int(box.w) * 2) {
                fig.add(.polyline(run, color: color, width: 2.5, dash: nil))
            }
        } else {
            for run in runs(raw, maxPoints: Int(box.w) * 2) {
                fig.add(.polyline(run, color: color, width: 2, dash: nil))
            }
        }
    }

    /// The maximal runs of drawable points, each thinned to about `maxPoints` by keeping
    /// the minimum and maximum of every pixel column (the shape survives, the size does not
    /// grow with the number of steps). A run of one point becomes a short dash.
    static func runs(_ points: [Point?], maxPoints: Int) -> [[Point]] {
        var out: [[Point]] = []
        var current: [Point] = []
        func flush() {
            if current.count == 1 { current.append(Point(current[0].x + 0.5, current[0].y)) }
            if !current.isEmpty { out.append(thin(current, maxPoints: maxPoints)) }
            current = []
        }
        for p in points {
            if let p { current.append(p) } else { flush() }
        }
        flush()
        return out
    }

    static func thin(_ points: [Point], maxPoints: Int) -> [Point] {
        guard points.count > maxPoints, maxPoints > 0 else { return points }
        var out: [Point] = []
        var i = 0
        while i < points.count {
            let column = points[i].x.rounded(.down)
            var j = i
            var lo = i, hi = i
            while j < points.count, points[j].x.rounded(.down) == column {
                if points[j].y < points[lo].y { lo = j }
                if points[j].y > points[hi].y { hi = j }
                j += 1
            }
            for k in Set([i, lo, hi, j - 1]).sorted() { out.append(points[k]) }
            i = j
        }
        return out
    }

    /// A boxed legend in the panel's top-right corner: a line swatch and the name per curve.
    static func legend(_ fig: inout Figure, box: Box, entries: [(String, RGBA)]) {
        let rowHeight = 24.0
        let textWidth = entries.map { Figure.textWidth($0.0, size: labelSize) }.max() ?? 0
        let lw = 16 + 30 + 10 + textWidth + 14, lh = Double(entries.count) * rowHeight + 14
        let lx = box.x + box.w - lw - 12, ly = box.y + 12
        fig.add(.rect(x: lx, y: ly, width: lw, height: lh, fill: RGBA.white.withAlpha(0.9), stroke: RGBA(hex: 0xBBBBBB), lineWidth: 1))
        for (i, (name, color)) in entries.enumerated() {
            let cy = ly + 7 + rowHeight * (Double(i) + 0.5)
            fig.add(.polyline([Point(lx + 16, cy), Point(lx + 46, cy)], color: color, width: 3, dash: nil))
            fig.add(.text(name, at: Point(lx + 56, cy + 6), size: labelSize, color: textColor, anchor: .start, vertical: false))
        }
    }
}
