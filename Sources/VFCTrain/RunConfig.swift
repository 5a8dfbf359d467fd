import Foundation

/// What a run was started with, kept in `RUN_DIR/config.json` and in every checkpoint's
/// metadata, so that `vfc train --resume RUN_DIR` continues exactly the same computation.
public struct RunConfig: Codable, Sendable, Equatable {
    /// The .ir file of the step, and a digest of its text (a resume refuses a changed module).
    public var module: String
    public var moduleDigest: String
    public var data: String
    /// The step count the run stops at (the only setting a resume may change).
    public var steps: Int
    public var batch: Int
    public var seed: UInt64
    public var schedule: Schedule
    public var checkpointEvery: Int
    /// Threads of parallel loops: a reduction split differently may round differently, so a
    /// resume runs on the count the run started with.
    public var threads: Int
    public var photometric: Bool
    /// How `data` is read (nil: `DataReading.standard`).
    public var dataReading: DataReading?

    public init(module: String, moduleDigest: String, data: String, steps: Int, batch: Int, seed: UInt64,
                schedule: Schedule, checkpointEvery: Int, threads: Int, photometric: Bool) {
        self.module = module
        self.moduleDigest = moduleDigest
        self.data = data
        self.steps = steps
        self.batch = batch
        self.seed = seed
        self.schedule = schedule
        self.checkpointEvery = checkpointEvery
        self.threads = threads
        self.photometric = photometric
    }

    public static func fileName(in runDirectory: String) -> String { "\(runDirectory)/config.json" }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public static func read(runDirectory: String) throws -> RunConfig {
        let path = fileName(in: runDirectory)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StepError.notRunDirectory(runDirectory, config: path)
        }
        do {
            return try JSONDecoder().decode(RunConfig.self, from: data)
        } catch {
            throw StepError.invalidRunConfig(path: path, underlying: error)
        }
    }

    /// A digest of a module's text (FNV-1a, 64 bits): enough to notice an edited file.
    public static func digest(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return String(h, radix: 16)
    }
}
