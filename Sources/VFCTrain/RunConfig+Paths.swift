import Foundation

/// The paths of a run's config.json (the module and the data) and the directory they are
/// relative to. A new run records them absolute, so `vfc train --resume RUN_DIR` works
/// from any working directory. Runs recorded before that hold them as given on the command
/// line, relative to a working directory the config does not name; `resolvingPaths` finds
/// it (see there) and the resume records the absolute paths.
extension RunConfig {
    /// `path` made absolute against `base` (unchanged when already absolute). A tar-shard
    /// pattern (`dir/train-{000..009}.tar`) keeps its braces: only the prefix moves.
    public static func absolute(_ path: String, base: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        let joined = (base.hasSuffix("/") ? base : base + "/") + path
        return (joined as NSString).standardizingPath
    }

    /// This config with `module` and `data` absolute against `base`.
    public func absolutePaths(base: String) -> RunConfig {
        var c = self
        c.module = Self.absolute(module, base: base)
        c.data = Self.absolute(data, base: base)
        return c
    }

    /// Whether the module and data are both absolute paths (nothing left to resolve).
    public var hasAbsolutePaths: Bool { module.hasPrefix("/") && data.hasPrefix("/") }

    /// The config with absolute paths, and the base its relative ones were resolved
    /// against (nil when they were absolute already). The base is the first of the current
    /// directory and the run directory's ancestors (nearest first) that holds a module
    /// whose text has the run's digest, and the data; a config whose relative paths no
    /// candidate holds is an error naming the paths and where they were looked for.
    public func resolvingPaths(runDirectory: String, currentDirectory: String) throws -> (config: RunConfig, base: String?) {
        if hasAbsolutePaths { return (self, nil) }
        var candidates = [currentDirectory]
        var dir = Self.absolute(runDirectory, base: currentDirectory)
        while dir != "/" && !dir.isEmpty {
            if !candidates.contains(dir) { candidates.append(dir) }
            dir = (dir as NSString).deletingLastPathComponent
        }
        for base in candidates {
            let c = absolutePaths(base: base)
            guard let text = FileManager.default.contents(atPath: c.module),
                  RunConfig.digest(String(decoding: text, as: UTF8.self)) == moduleDigest,
                  Self.dataExists(c.data) else { continue }
            return (c, base)
        }
        throw StepError.relativePaths(config: RunConfig.fileName(in: runDirectory), module: module, data: data)
    }

    /// Whether `data` (a folder, a list file, or a tar-shard pattern) is there: for a
    /// pattern, the directory it lies in.
    private static func dataExists(_ data: String) -> Bool {
        if FileManager.default.fileExists(atPath: data) { return true }
        guard data.contains("{") else { return false }
        return FileManager.default.fileExists(atPath: (data as NSString).deletingLastPathComponent)
    }
}
