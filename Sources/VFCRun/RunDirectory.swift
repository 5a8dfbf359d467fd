import Foundation

/// A run directory that cannot be used as asked (not empty, locked, every checkpoint refused).
public enum RunDirectoryError: Error, Sendable, CustomStringConvertible {
    /// A fresh run asked for in a directory that holds checkpoints.
    case holdsCheckpoints(String)
    /// A fresh run asked for in a directory that holds other files (`names`, sorted).
    case notEmpty(String, names: [String])
    /// The path exists and is not a directory.
    case notDirectory(String)
    /// A resume of a directory that does not exist.
    case missing(String)
    /// Another process holds the run's lock file `lockFile` (`pid` when it could be read).
    case locked(String, pid: Int32?, lockFile: String)
    /// Every checkpoint (`refused` of them) failed validation on resume.
    case everyCheckpointRefused(String, refused: Int)

    public var description: String {
        switch self {
        case .holdsCheckpoints(let path):
            return "\(path) already holds checkpoints: continue it with --resume \(path), or choose another --out"
        case let .notEmpty(path, names):
            let shown = names.prefix(4).joined(separator: ", ") + (names.count > 4 ? ", ..." : "")
            return "\(path) is not empty (it holds \(shown)): continue a run there with --resume \(path), or choose another --out"
        case .notDirectory(let path): return "\(path) is not a directory"
        case .missing(let path): return "no run directory \(path)"
        case let .locked(path, pid, lockFile):
            return "\(path) is in use by another vfc train (pid \(pid.map(String.init) ?? "unknown"), "
                + "holding \(lockFile)): wait for it to finish, or choose another --out"
        case let .everyCheckpointRefused(path, n):
            return "every checkpoint in \(path) was refused (\(n), listed above); "
                + "nothing was changed. Start the run over with vfc train --resume \(path) --restart "
                + "(which moves the old checkpoints, metrics and events into \(path)/aside-TIME/)"
        }
    }
}

/// What `vfc train` checks and keeps in a run directory beyond the files themselves: a
/// fresh run starts only in an empty directory; files a resume cannot use are moved
/// aside into `RUN/aside-TIME/`, never deleted or overwritten.
public enum RunDirectory {
    /// Names that do not make a directory a run: the lock file (`RunLock`).
    static let ignoredNames: Set<String> = [RunLock.fileName]

    /// Throws unless `path` is missing or empty (a `RunLock` file aside): a fresh run
    /// must not overwrite another run's config, metrics or checkpoints.
    public static func checkFresh(_ path: String) throws {
        let names = RunFiles.listDirectory(path).filter { !ignoredNames.contains($0) }
        guard !names.isEmpty else { return }
        if names.contains(where: { CheckpointStore.step(fileName: $0) != nil }) {
            throw RunDirectoryError.holdsCheckpoints(path)
        }
        throw RunDirectoryError.notEmpty(path, names: names)
    }

    /// Creates `RUN/aside-YYYYMMDD-HHMMSS` (UTC; `-2`, `-3`, ... when taken) and returns its path.
    static func makeAsideDirectory(in runDirectory: String, now: Date = Date()) throws -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let base = "\(runDirectory)/aside-\(formatter.string(from: now))"
        var candidate = base
        var n = 1
        while mkdir(candidate, 0o755) != 0 {
            guard errno == EEXIST else { throw RunIOError.io("create directory", candidate) }
            n += 1
            candidate = "\(base)-\(n)"
        }
        return candidate
    }

    /// Renames `path` into `directory` under its own name.
    static func move(_ path: String, into directory: String) throws {
        let target = "\(directory)/\(RunFiles.baseName(of: path))"
        if rename(path, target) != 0 { throw RunIOError.io("move", path) }
    }

    /// Copies the file `path` into `directory` under its own name.
    static func copy(_ path: String, into directory: String) throws {
        try RunFiles.atomicWrite(try RunFiles.readAll(path), to: "\(directory)/\(RunFiles.baseName(of: path))")
    }

    /// Moves `refused` checkpoints into a new aside directory, with a copy of the metrics
    /// and TensorBoard events as they were (a resume rewrites them to the steps it keeps),
    /// so that the continuing run neither overwrites a refused file when it reaches its
    /// step again nor loses the history logged after the checkpoint it resumes from.
    /// Returns the aside directory.
    public static func setAside(refused: [String], runDirectory: String) throws -> String {
        let aside = try makeAsideDirectory(in: runDirectory)
        for path in refused { try move(path, into: aside) }
        let metrics = MetricsLog.path(runDirectory: runDirectory)
        if FileManager.default.fileExists(atPath: metrics) { try copy(metrics, into: aside) }
        let tb = TensorBoardWriter.directory(runDirectory: runDirectory)
        let events = TensorBoardWriter.eventFiles(in: tb)
        if !events.isEmpty {
            let tbAside = "\(aside)/tb"
            try RunFiles.createDirectory(tbAside)
            for name in events { try copy("\(tb)/\(name)", into: tbAside) }
        }
        try RunFiles.syncDirectory(runDirectory)
        return aside
    }

    /// `--restart`: moves every checkpoint, `metrics.jsonl` and `tb/` into a new aside
    /// directory so the run can start over from step 0 with its config.json. Returns the
    /// aside directory.
    public static func setAsideForRestart(runDirectory: String) throws -> String {
        let aside = try makeAsideDirectory(in: runDirectory)
        for (_, path) in CheckpointStore(runDirectory: runDirectory).list() { try move(path, into: aside) }
        for path in [MetricsLog.path(runDirectory: runDirectory), TensorBoardWriter.directory(runDirectory: runDirectory)]
        where FileManager.default.fileExists(atPath: path) {
            try move(path, into: aside)
        }
        try RunFiles.syncDirectory(runDirectory)
        return aside
    }
}

extension CheckpointStore {
    /// The checkpoint a `--resume` continues from: the newest valid one, with every
    /// refusal (and a note for an unchecked checkpoint) passed to `say`.
    ///
    /// - A valid checkpoint after refused ones: the refused files are moved aside
    ///   (`RunDirectory.setAside`) before it is returned.
    /// - Checkpoints exist but every one is refused: throws, leaving them all in place;
    ///   `vfc train --resume RUN --restart` starts over and keeps them aside.
    /// - No checkpoint at all (a run stopped before its first): nil, start from step 0.
    public func resumePoint(validate: (Checkpoint) throws -> Void, say: (String) -> Void) throws -> Checkpoint? {
        let search = latestValid(validate: validate)
        for m in search.messages { say(m) }
        guard let checkpoint = search.checkpoint else {
            if !search.refused.isEmpty {
                throw RunDirectoryError.everyCheckpointRefused(directory, refused: search.refused.count)
            }
            say("no checkpoint in \(directory): starting from step 0")
            return nil
        }
        if !search.refused.isEmpty {
            let aside = try RunDirectory.setAside(refused: search.refused.map(\.path), runDirectory: directory)
            say("moved the refused checkpoint(s) to \(aside) (with a copy of the metrics and events as they were)")
        }
        return checkpoint
    }
}
