import Foundation

/// One line of `metrics.jsonl`: the step, the wall-clock time and named scalar metrics.
public struct MetricsEntry: Sendable, Equatable {
    /// Optimizer steps completed when the metrics were recorded (the first step logs 1),
    /// the same count that names checkpoints: `ckpt-K` holds the state after the entry
    /// with step K.
    public var step: Int
    /// Seconds since 1970 (UTC).
    public var wallTime: Double
    /// loss, loss_cls, loss_mim, loss_pos, grad_norm, lr, weight_decay, teacher_momentum,
    /// images_per_s, ... (any names except the reserved "step" and "wall_time").
    public var metrics: [String: Double]

    public init(step: Int, wallTime: Double, metrics: [String: Double]) {
        self.step = step
        self.wallTime = wallTime
        self.metrics = metrics
    }

    /// The JSON line (with its newline): `{"step":12,"wall_time":1712345678.25,"loss":10.5,...}`,
    /// metrics in name order. Doubles are written in the shortest form that reads back to
    /// the same bits; NaN and infinities, which JSON lacks, as the strings "NaN",
    /// "Infinity" and "-Infinity".
    public func jsonLine() -> String {
        var s = "{\"step\":\(step),\"wall_time\":\(MetricsEntry.number(wallTime))"
        for name in metrics.keys.sorted() {
            s += ",\(MetricsEntry.quote(name)):\(MetricsEntry.number(metrics[name]!))"
        }
        return s + "}\n"
    }

    static func number(_ x: Double) -> String {
        if x.isNaN { return "\"NaN\"" }
        if x.isInfinite { return x > 0 ? "\"Infinity\"" : "\"-Infinity\"" }
        // Swift's description is the shortest round-tripping form ("1e-05", "0.1", "3.0").
        return x.description
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// Parses one line; nil unless it is a JSON object with an integer "step" and every
    /// other value a number (or one of the non-finite strings). Numbers read back to the
    /// exact double that was written.
    public init?(jsonLine line: Substring) {
        guard let pairs = FlatJSON.parseObject(line) else { return nil }
        var step: Int?
        var wallTime = 0.0
        var metrics: [String: Double] = [:]
        for (key, value) in pairs {
            let x: Double
            switch value {
            case .number(let d, let text):
                if key == "step" {
                    // Integers only: "12", not "12.5" or "1e3".
                    guard let s = Int(text) else { return nil }
                    step = s
                    continue
                }
                x = d
            case .string(let s):
                guard key != "step", let v = ["NaN": Double.nan, "Infinity": .infinity, "-Infinity": -.infinity][s] else { return nil }
                x = v
            }
            if key == "wall_time" { wallTime = x } else { metrics[key] = x }
        }
        guard let step else { return nil }
        self.init(step: step, wallTime: wallTime, metrics: metrics)
    }

    public static func == (a: MetricsEntry, b: MetricsEntry) -> Bool {
        // Bitwise, so that NaN entries compare equal to themselves (resume checks).
        a.step == b.step && a.wallTime.bitPattern == b.wallTime.bitPattern
            && a.metrics.count == b.metrics.count
            && a.metrics.allSatisfy { b.metrics[$0.key]?.bitPattern == $0.value.bitPattern }
    }
}

/// The parsed contents of a metrics file.
public struct MetricsFile: Sendable {
    public var entries: [MetricsEntry]
    /// One message per line that is not a valid entry: `PATH:LINE: skipping corrupt line: TEXT`.
    public var warnings: [String]
}

/// Appends one JSON object per line to `RUN_DIR/metrics.jsonl`.
///
/// Each line reaches the kernel with one `write(2)` before `log` returns (no user-space
/// buffer), so a process killed with SIGKILL loses nothing it has logged; `sync()` also
/// makes it survive a power loss (call it before writing a checkpoint, so the file never
/// lags behind the newest checkpoint). Single writer: one process per run directory.
public final class MetricsLog {
    public let path: String
    private let file: AppendFile

    public static let fileName = "metrics.jsonl"

    /// Opens `RUN_DIR/metrics.jsonl` (creating the directory).
    ///
    /// - `resumingAtStep: nil`: a fresh run; an existing file is emptied.
    /// - `resumingAtStep: K`: the file is first rewritten (atomically) to its entries with
    ///   step <= K, so a run resumed from `ckpt-K` continues without duplicate steps; new
    ///   lines are appended after them.
    public init(runDirectory: String, resumingAtStep: Int? = nil) throws {
        try RunFiles.createDirectory(runDirectory)
        path = MetricsLog.path(runDirectory: runDirectory)
        if let k = resumingAtStep {
            try MetricsLog.truncate(path: path, throughStep: k)
            file = try AppendFile(path: path)
        } else {
            file = try AppendFile(path: path, truncate: true)
        }
    }

    public static func path(runDirectory: String) -> String { "\(runDirectory)/\(fileName)" }

    /// Appends one line.
    public func log(_ entry: MetricsEntry) throws {
        try file.append(Array(entry.jsonLine().utf8))
    }

    /// Appends one line for `step` with the given metrics, stamped with the current time.
    public func log(step: Int, wallTime: Double = Date().timeIntervalSince1970, metrics: [String: Double]) throws {
        precondition(metrics["step"] == nil && metrics["wall_time"] == nil, "'step' and 'wall_time' are reserved metric names")
        try log(MetricsEntry(step: step, wallTime: wallTime, metrics: metrics))
    }

    /// fsync the file.
    public func sync() throws { try file.sync() }

    public func close() { file.close() }

    /// Reads a metrics file. Blank lines are ignored; lines that are not valid entries
    /// (a line cut short by a crash, hand edits) are skipped with a warning each.
    public static func read(path: String) throws -> MetricsFile {
        let bytes = try RunFiles.readAll(path)
        var entries: [MetricsEntry] = []
        var warnings: [String] = []
        let text = String(decoding: bytes, as: UTF8.self)
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            if let e = MetricsEntry(jsonLine: line) {
                entries.append(e)
            } else {
                let shown = line.count > 60 ? line.prefix(60) + "..." : line
                warnings.append("\(path):\(i + 1): skipping corrupt line: \(shown)")
            }
        }
        return MetricsFile(entries: entries, warnings: warnings)
    }

    /// Rewrites `path` (atomically) to the lines whose step is <= `step`, in their order.
    /// Corrupt lines are dropped; a missing file is left missing. Returns how many entries
    /// were kept.
    @discardableResult
    public static func truncate(path: String, throughStep step: Int) throws -> Int {
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        let bytes = try RunFiles.readAll(path)
        var kept: [UInt8] = []
        var count = 0
        var changed = false
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if let e = MetricsEntry(jsonLine: line), e.step <= step {
                kept += Array(line.utf8) + [0x0A]
                count += 1
            } else {
                changed = true
            }
        }
        // A file whose last line lacks its newline (a cut-short write) also needs rewriting.
        if changed || (bytes.last.map { $0 != 0x0A } ?? false) { try RunFiles.atomicWrite(kept, to: path) }
        return count
    }

    /// `truncate(path:throughStep:)` for `RUN_DIR/metrics.jsonl`.
    @discardableResult
    public static func truncate(runDirectory: String, throughStep step: Int) throws -> Int {
        try truncate(path: path(runDirectory: runDirectory), throughStep: step)
    }
}
