/// A plotting failure, by what is wrong: the metrics, the run directory, or an option of
/// `vfc plot`. `description` is the message for the user.
public enum PlotError: Error, Sendable, CustomStringConvertible {
    /// None of the metrics asked for (`asked`; empty: the `loss*` ones) is in the metrics.
    case noMetric(asked: [String], available: [String])
    /// `--format` is neither png nor svg.
    case format(String)
    /// Standard output without `--format`.
    case standardOutputFormat
    /// An output file whose extension names no format.
    case outputExtension(String, path: String)
    /// `--smoothing` outside [0, 1).
    case smoothing(Double)
    /// A picture size outside the limits.
    case size(width: Int, height: Int)
    /// The run directory does not exist.
    case noRunDirectory(String)
    /// The run directory has no metrics file `file`.
    case noMetricsFile(runDirectory: String, file: String)
    /// The metrics file has no valid line (`corrupt` lines that are not).
    case noMetricLines(path: String, corrupt: Int)

    public var description: String {
        switch self {
        case let .noMetric(asked, available):
            return "no metric to plot: none of \(asked.isEmpty ? "loss*" : asked.joined(separator: ", ")) is in the metrics "
                + "(they have: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case .format(let f): return "--format must be png or svg, got '\(f)'"
        case .standardOutputFormat: return "-o -: give the format of standard output with --format png or --format svg"
        case let .outputExtension(ext, path): return "unknown output extension '\(ext.isEmpty ? "" : "." + ext)' in \(path): use .png or .svg (or --format)"
        case .smoothing(let s): return "--smoothing must be in [0, 1), got \(s)"
        case let .size(w, h): return "--width must be 600 to 10000 pixels and --height 400 to 10000, got \(w)x\(h)"
        case .noRunDirectory(let d): return "no run directory \(d)"
        case let .noMetricsFile(d, file): return "\(d) has no \(file) (is it a vfc train run directory?)"
        case let .noMetricLines(path, corrupt):
            return "\(path): no valid metrics lines (\(corrupt == 0 ? "the file is empty" : "\(corrupt) corrupt"))"
        }
    }
}
