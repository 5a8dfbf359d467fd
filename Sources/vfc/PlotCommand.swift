import ArgumentParser
import Foundation
import VFCPlot
import VFCRun
import VFCTensor

/// `vfc plot RUN_DIR -o curves.png|curves.svg`: the loss curves of a training run.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw the loss curves of a training run (RUN_DIR/metrics.jsonl) as PNG or SVG.",
        discussion: """
            Draws the total loss and its terms (every metric named loss*), raw and smoothed \
            with a TensorBoard-style EMA, and the learning rate in a small panel below. \
            Corrupt lines of metrics.jsonl are skipped with a warning. The format follows \
            the extension of -o: .png (8-bit RGB) or .svg.
            """)

    @Argument(help: "The run directory (or a metrics.jsonl file).")
    var runDirectory: String

    @Option(name: .shortAndLong, help: "The picture to write: a .png or .svg path, or '-' for standard output (with --format).")
    var output: String

    @Option(help: ArgumentHelp("The picture's format (default: the extension of -o).", valueName: "png|svg"))
    var format: String?

    @Option(help: "EMA weight in [0, 1) for the smoothed curves; 0 draws raw curves only.")
    var smoothing = 0.9

    @Option(help: "Comma-separated metrics for the main panel (default: loss and every loss_* term).")
    var metrics: String?

    @Flag(help: "Logarithmic loss axis.")
    var logY = false

    @Flag(help: "Leave out the learning-rate panel.")
    var noLr = false

    @Option(help: "Title (default: RUN_DIR: training loss).")
    var title: String?

    @Option(help: "Picture width in pixels.")
    var width = 1200

    @Option(help: "Picture height in pixels.")
    var height = 800

    func run() throws {
        try reportingErrors {
            let ext: String
            if let format {
                guard format == "png" || format == "svg" else { throw PlotError.format(format) }
                ext = format
            } else if StandardOutput.named(output) {
                throw PlotError.standardOutputFormat
            } else {
                ext = (output as NSString).pathExtension.lowercased()
                guard ext == "png" || ext == "svg" else {
                    throw PlotError.outputExtension(ext, path: output)
                }
            }
            guard smoothing >= 0, smoothing < 1 else { throw PlotError.smoothing(smoothing) }
            guard (600...10000).contains(width), (400...10000).contains(height) else {
                throw PlotError.size(width: width, height: height)
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: runDirectory, isDirectory: &isDirectory) else {
                throw PlotError.noRunDirectory(runDirectory)
            }
            let metricsPath = isDirectory.boolValue ? MetricsLog.path(runDirectory: runDirectory) : runDirectory
            guard FileManager.default.fileExists(atPath: metricsPath) else {
                throw PlotError.noMetricsFile(runDirectory: runDirectory, file: MetricsLog.fileName)
            }
            let file = try MetricsLog.read(path: metricsPath)
            for warning in file.warnings { printError("vfc: warning: " + warning) }
            guard !file.entries.isEmpty else {
                throw PlotError.noMetricLines(path: metricsPath, corrupt: file.warnings.count)
            }

            var options = LossPlotOptions()
            options.width = width
            options.height = height
            options.smoothing = smoothing
            options.logarithmicY = logY
            options.showLearningRate = !noLr
            options.title = title
            options.metrics = metrics.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
            let runName = isDirectory.boolValue ? (runDirectory as NSString).standardizingPath : (metricsPath as NSString).deletingLastPathComponent
            let figure = try LossPlot.figure(file.entries, runName: (runName as NSString).lastPathComponent, options: options)

            let bytes: [UInt8] = ext == "svg"
                ? Array(SVGRenderer.render(figure).utf8)
                : try RasterImage(rendering: figure).pngBytes()
            try checkOutputs([NamedPath("-o", output)], inputs: [NamedPath("the metrics", metricsPath)])
            if StandardOutput.named(output) {
                try StandardOutput.write(bytes, option: "-o", binary: ext == "png")
            } else {
                try AtomicWrite.write(bytes, to: output)
            }
        }
    }
}
