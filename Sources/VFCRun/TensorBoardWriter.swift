import Foundation

/// Writes scalar metrics as a TensorBoard event file, `RUN_DIR/tb/events.out.tfevents.TIME.HOST`.
///
/// The file is a sequence of TFRecords (see `TFRecord`), each an `Event` protobuf (see
/// `TensorBoardEvent`); the first carries `file_version = "brain.Event:2"`, every later
/// one a step's scalars. Each record goes to the kernel with a single `write(2)`, so a
/// run killed with SIGKILL loses nothing it has logged. Read it with
/// `tensorboard --logdir RUN_DIR/tb`.
///
/// Single writer: one process per run directory.
public final class TensorBoardWriter {
    /// The event file being written.
    public let path: String
    private let file: AppendFile

    /// The file-name prefix TensorBoard recognises.
    public static let filePrefix = "events.out.tfevents."
    public static let fileVersion = "brain.Event:2"

    /// Opens a new event file in `RUN_DIR/tb` (created when missing).
    ///
    /// - `resumingAtStep: nil` starts a fresh log: earlier event files in the directory are
    ///   deleted, like `MetricsLog` restarts `metrics.jsonl`.
    /// - `resumingAtStep: K` keeps the earlier files but rewrites each (atomically) to the
    ///   events with step <= K, dropping those a killed run logged after its last
    ///   checkpoint (and any damaged tail), so the resumed run adds no duplicate steps.
    public init(runDirectory: String, resumingAtStep: Int? = nil, wallTime: Double = Date().timeIntervalSince1970) throws {
        let dir = TensorBoardWriter.directory(runDirectory: runDirectory)
        try RunFiles.createDirectory(dir)
        if let k = resumingAtStep {
            try TensorBoardWriter.truncate(runDirectory: runDirectory, throughStep: k)
        } else {
            for name in TensorBoardWriter.eventFiles(in: dir) {
                if unlink("\(dir)/\(name)") != 0 { throw RunIOError.io("delete", "\(dir)/\(name)") }
            }
        }
        var host = [CChar](repeating: 0, count: 256)
        let hostName = gethostname(&host, host.count - 1) == 0
            ? String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        let base = "\(dir)/\(TensorBoardWriter.filePrefix)\(Int(wallTime)).\(hostName)"
        // A second writer within the same second (a fast resume) gets a suffix, never the same file.
        var candidate = base
        var n = 0
        while FileManager.default.fileExists(atPath: candidate) {
            n += 1
            candidate = "\(base).\(n)"
        }
        path = candidate
        file = try AppendFile(path: candidate, exclusive: true)
        try RunFiles.syncDirectory(dir)
        try file.append(TFRecord.frame(
            TensorBoardEvent(wallTime: wallTime, step: 0, fileVersion: TensorBoardWriter.fileVersion).encoded()))
    }

    /// `RUN_DIR/tb`.
    public static func directory(runDirectory: String) -> String { "\(runDirectory)/tb" }

    /// The event files of a directory, in the order TensorBoard reads them (by name).
    public static func eventFiles(in directory: String) -> [String] {
        RunFiles.listDirectory(directory).filter { $0.hasPrefix(filePrefix) }
    }

    /// Logs one step's scalars as one event (tags in name order). Values are stored as
    /// 32-bit floats (`simple_value`), which is what TensorBoard plots.
    public func log(step: Int, wallTime: Double = Date().timeIntervalSince1970, scalars: [String: Double]) throws {
        let values = scalars.keys.sorted().map { (tag: $0, value: Float(scalars[$0]!)) }
        let event = TensorBoardEvent(wallTime: wallTime, step: Int64(step), scalars: values)
        try file.append(TFRecord.frame(event.encoded()))
    }

    /// fsync: what was logged survives a power loss, not only a killed process.
    public func sync() throws { try file.sync() }

    public func close() { file.close() }

    /// Rewrites every event file in `RUN_DIR/tb` to the records with step <= `step` (the
    /// `file_version` record is kept). Files that need no change are not touched; a
    /// damaged tail (a record cut short by a crash) is dropped.
    public static func truncate(runDirectory: String, throughStep step: Int) throws {
        let dir = directory(runDirectory: runDirectory)
        for name in eventFiles(in: dir) {
            let path = "\(dir)/\(name)"
            let bytes = try RunFiles.readAll(path)
            let (records, damage) = TFRecord.validPrefix(bytes)
            var kept: [UInt8] = []
            var dropped = damage != nil
            for record in records {
                let event = try? TensorBoardEvent(decoding: record)
                if let event, event.fileVersion == nil, event.step > Int64(step) {
                    dropped = true
                    continue
                }
                kept += TFRecord.frame(record)
            }
            if dropped { try RunFiles.atomicWrite(kept, to: path) }
        }
    }

    /// Every event of an event file, CRCs checked (for tests and tools).
    public static func readEvents(path: String) throws -> [TensorBoardEvent] {
        try TFRecord.records(RunFiles.readAll(path)).map { try TensorBoardEvent(decoding: $0) }
    }
}
