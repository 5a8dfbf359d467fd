import Foundation
import Testing
import VFCData
@testable import VFCPlot
import VFCRun

@Test func niceTicksAndLabels() {
    let a = Axis(lo: 0, hi: 1000)
    #expect(a.ticks(count: 5).map(\.label) == ["0", "200", "400", "600", "800", "1000"])
    let b = Axis(lo: 2.13, hi: 2.97)
    #expect(b.ticks(count: 6).map(\.label) == ["2.2", "2.4", "2.6", "2.8"])
    let lr = Axis(lo: 0, hi: 5e-4)
    #expect(lr.ticks(count: 5).map(\.label) == ["0", "1e-4", "2e-4", "3e-4", "4e-4", "5e-4"])
    #expect(Axis.label(1.5e-4, step: 5e-5) == "1.5e-4")
    #expect(Axis.label(2_500_000, step: 500_000) == "2.5e6")
    #expect(Axis.label(0.05, step: 0.01) == "0.05")
    let log = Axis(covering: [0.5, 20], logarithmic: true, padding: 0)
    #expect(log.ticks().map(\.label) == ["1", "3", "10"])
}

@Test func emaMatchesTensorBoard() {
    // TensorBoard's debiased EMA: the first value is kept as is.
    let s = LossPlot.ema([4, 2, 2], weight: 0.5)
    #expect(s[0] == 4)
    #expect(abs(s[1] - (0.5 * 2 + 0.25 * 4) / 0.75) < 1e-12)
    #expect(LossPlot.ema([1, .nan, 3], weight: 0).count == 3)
    #expect(LossPlot.ema([1, .nan, 1], weight: 0.9)[2] == 1)
}

func sampleEntries(_ n: Int) -> [MetricsEntry] {
    (1...n).map { s in
        let t = Double(s)
        return MetricsEntry(step: s, wallTime: t, metrics: [
            "loss": 9 * exp(-t / 40) + 2 + 0.3 * sin(t), "loss_cls": 5 * exp(-t / 50) + 1,
            "loss_mim": 3 * exp(-t / 30) + 0.5, "loss_pos": exp(-t / 20) + 0.5,
            "lr": 5e-4 * min(1, t / 20), "grad_norm": 1])
    }
}

@Test func figureHasTheCurvesLegendAndPanels() throws {
    let fig = try LossPlot.figure(sampleEntries(120), runName: "run1")
    var texts: [String] = []
    var polylines = 0
    for shape in fig.shapes {
        if case .text(let t, _, _, _, _, _) = shape { texts.append(t) }
        if case .polyline = shape { polylines += 1 }
    }
    for label in ["run1: training loss", "loss", "loss_cls", "loss_mim", "loss_pos", "lr", "step"] {
        #expect(texts.contains(label), "missing text \(label)")
    }
    #expect(!texts.contains("grad_norm"))
    #expect(polylines > 20)
    let svg = SVGRenderer.render(fig)
    #expect(svg.hasPrefix("<?xml"))
    #expect(svg.contains("<text") && svg.contains(">loss_mim</text>"))
}

@Test func figureErrors() {
    #expect(throws: PlotError.self) { try LossPlot.figure([MetricsEntry(step: 1, wallTime: 0, metrics: ["lr": 1])], runName: "r") }
    var options = LossPlotOptions()
    options.metrics = ["nope"]
    do {
        _ = try LossPlot.figure(sampleEntries(3), runName: "r", options: options)
        Issue.record("plotted a metric the entries lack")
    } catch let e as PlotError {
        guard case let .noMetric(asked, available) = e else { Issue.record("not noMetric: \(e)"); return }
        #expect(asked == ["nope"])
        #expect(available.contains("loss") && !available.contains("nope"))
        #expect(e.description.hasPrefix("no metric to plot: none of nope is in the metrics (they have: "))
    } catch {
        Issue.record("not a PlotError: \(error)")
    }
}

@Test func rasterDrawsAntialiasedLinesAndText() {
    var img = RasterImage(width: 40, height: 20)
    img.strokePolyline([Point(2, 10.5), Point(38, 10.5)], color: .black, width: 1, dash: nil)
    #expect(img.pixel(x: 20, y: 10) == (0, 0, 0))
    #expect(img.pixel(x: 20, y: 5) == (255, 255, 255))
    img.strokePolyline([Point(2, 2), Point(38, 17)], color: RGBA(255, 0, 0), width: 2, dash: nil)
    // A diagonal line has partially covered pixels (anti-aliasing).
    var partial = 0
    for y in 0..<20 { for x in 0..<40 { let p = img.pixel(x: x, y: y); if p.0 == 255 && p.1 > 0 && p.1 < 255 { partial += 1 } } }
    #expect(partial > 10)
    var text = RasterImage(width: 40, height: 20)
    text.drawText("Hi", at: Point(1, 10), size: 8, color: .black, anchor: .start, vertical: false)
    #expect(text.pixel(x: 1, y: 3) == (0, 0, 0))   // top of 'H'
    #expect(text.pixel(x: 2, y: 3) == (255, 255, 255))
}

@Test func pngRoundTripsThroughLibpng() throws {
    var img = RasterImage(width: 3, height: 2)
    img.fillRect(x: 0, y: 0, width: 1, height: 1, color: RGBA(255, 0, 0))
    let png = try img.pngBytes()
    #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    #expect(Array(png[12..<16]) == Array("IHDR".utf8))
    // Width 3, height 2, bit depth 8, colour type 2 (RGB).
    #expect(Array(png[16..<26]) == [0, 0, 0, 3, 0, 0, 0, 2, 8, 2])
    let back = try PNGCodec.decode8(png)
    #expect(back.width == 3 && back.height == 2)
    #expect(back.bytes == img.pixels)
    #expect(Array(back.bytes.prefix(6)) == [255, 0, 0, 255, 255, 255])
}

@Test func plotPNGDecodesToTheRasterPixels() throws {
    let raster = RasterImage(rendering: try LossPlot.figure(sampleEntries(50), runName: "run1"))
    let back = try PNGCodec.decode8(try raster.pngBytes())
    #expect(back.width == raster.width && back.height == raster.height)
    #expect(back.bytes == raster.pixels)
}
