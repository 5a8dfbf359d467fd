import ArgumentParser
import Foundation
import VFCData
import VFCTrain

/// The options of `vfc data` subcommands and `vfc train` that say how a dataset is read.
struct DataSourceOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Threads that read, decode and augment images (default: every core).")
    var workers: Int?

    @Flag(name: .customLong("dct-scaling"),
          help: "Decode JPEGs at 1/2, 1/4 or 1/8 scale in the DCT domain when that still leaves the shorter side >= S (faster; slightly different pixels).")
    var dctScaling = false

    @Option(name: .customLong("shuffle-buffer"), parsing: .unconditional, help: "Tar shards: items in the shuffle buffer.")
    var shuffleBuffer = DataReading.standard.shuffleBuffer

    @Flag(name: .customLong("skip-truncated-shards"),
          help: "Tar shards: keep the members before a truncation (with a warning) instead of stopping with an error.")
    var skipTruncatedShards = false

    @Option(name: .customLong("max-pixels"), parsing: .unconditional, help: "Refuse images with more pixels than this (decompression bombs).")
    var maxPixels = DecodeLimits.standard.maxPixels

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be >= 1") }
        if shuffleBuffer < 1 { throw ValidationError("--shuffle-buffer must be >= 1") }
        if maxPixels < 1 { throw ValidationError("--max-pixels must be >= 1") }
    }

    /// The settings a training run records (nil when all are the defaults).
    var reading: DataReading? {
        let r = DataReading(dctScaling: dctScaling, shuffleBuffer: shuffleBuffer,
                            skipTruncatedShards: skipTruncatedShards, maxPixels: maxPixels)
        return r == .standard ? nil : r
    }

    /// The options given that change the batches (all but --workers).
    var readingOptionsGiven: [String] {
        let d = DataReading.standard
        return [("--dct-scaling", dctScaling), ("--shuffle-buffer", shuffleBuffer != d.shuffleBuffer),
                ("--skip-truncated-shards", skipTruncatedShards), ("--max-pixels", maxPixels != d.maxPixels)]
            .filter(\.1).map(\.0)
    }

    /// Indexes `data`, warning about skipped files on stderr.
    func index(_ data: String) throws -> DataIndex {
        var limits = DecodeLimits.standard
        limits.maxPixels = maxPixels
        return try DataIndex(source: data, limits: limits, shuffleBuffer: shuffleBuffer,
                             skipTruncatedShards: skipTruncatedShards) { printError("vfc: warning: " + $0) }
    }
}

/// The batch geometry and augmentation options of `vfc data batch` and `vfc data bench`.
struct BatchShapeOptions: ParsableArguments {
    @Option(help: "Source image side S.")
    var size: Int = 64
    @Option(help: "Patch side P.")
    var patch: Int = 8
    @Option(name: .customLong("global"), help: "Global view side G.")
    var globalSize: Int = 64
    @Option(name: .customLong("local"), help: "Local view side L.")
    var localSize: Int = 32
    @Option(name: .customLong("global-views"), help: "Global views per image Vg.")
    var globalViews: Int = 2
    @Option(name: .customLong("local-views"), help: "Local views per image Vl.")
    var localViews: Int = 4
    @Option(help: "Images per batch B.")
    var batch: Int = 16
    @Option(help: "Seed.")
    var seed: UInt64 = 0
    @Flag(name: .customLong("no-photometric"), help: "No colour jitter, grayscale, blur or solarize (pure resampled crops).")
    var noPhotometric = false
    @Flag(name: .customLong("no-normalize"), help: "Keep pixels in [0, 1] (no ImageNet mean/std normalisation).")
    var noNormalize = false

    func config(dctScaling: Bool) -> BatchConfig {
        var c = BatchConfig(imageSize: size, patchSize: patch, globalSize: globalSize, localSize: localSize,
                            globalViews: globalViews, localViews: localViews, batchSize: batch, seed: seed,
                            photometric: !noPhotometric, normalize: !noNormalize)
        c.dctScaling = dctScaling
        return c
    }
}
