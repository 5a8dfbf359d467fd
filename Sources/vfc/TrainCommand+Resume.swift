import ArgumentParser
import Foundation
import VFCRun
import VFCTrain

/// What `vfc train --resume` may change: the step count, the schedule (applied from the
/// resumed step on) and the checkpoint interval. The batch size, the seed, the
/// photometric setting and how the data is read define the data pipeline a resume continues bit-exactly, so they
/// are refused rather than ignored.
extension TrainCommand {
    /// Range checks of the numeric options, naming the option (run before anything else).
    func validateNumbers() throws {
        if let batch, batch < 1 { throw ValidationError("--batch must be >= 1, got \(batch)") }
        if let steps, steps < 0 { throw ValidationError("--steps must be >= 0, got \(steps)") }
        if let checkpointEvery, checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be >= 1, got \(checkpointEvery)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be >= 1, got \(threads)") }
        if resume != nil {
            let fixed = [("--batch", batch != nil), ("--seed", seed != nil), ("--no-photometric", noPhotometric)].filter(\.1).map(\.0)
                + source.readingOptionsGiven
            if !fixed.isEmpty {
                throw ValidationError("\(fixed.joined(separator: ", ")) cannot change when resuming: a run keeps the data pipeline "
                                      + "of its config.json so that it continues the same batches; start a new run with --out to change it")
            }
        } else if restart {
            throw ValidationError("--restart starts a run over from its config.json: give it with --resume RUN_DIR")
        }
    }

    /// `base` with the schedule options given on the command line.
    func schedule(over base: Schedule) -> Schedule {
        var s = base
        if let lr { s.lr = lr }
        if let minLr { s.minLR = minLr }
        if let warmupSteps { s.warmupSteps = warmupSteps }
        if let scheduleSteps { s.horizon = scheduleSteps }
        if let weightDecay { s.weightDecay = weightDecay }
        if let weightDecayEnd { s.weightDecayEnd = weightDecayEnd }
        if let momentum { s.momentum = momentum }
        return s
    }

    /// The run's config with the schedule options and --checkpoint-every of this command.
    func resumedConfig(_ stored: RunConfig) -> RunConfig {
        var config = stored
        config.schedule = schedule(over: stored.schedule)
        if let checkpointEvery { config.checkpointEvery = checkpointEvery }
        return config
    }

    /// RUN_DIR/config.json with its module and data paths absolute, so that the resume
    /// works from any working directory (`RunConfig.resolvingPaths`).
    func storedConfig(runDirectory: String) throws -> RunConfig {
        try RunConfig.read(runDirectory: runDirectory)
            .resolvingPaths(runDirectory: runDirectory, currentDirectory: FileManager.default.currentDirectoryPath).config
    }

    /// Writes `config` to RUN_DIR/config.json when this resume changed it, and says what
    /// changed (the new values are in every later checkpoint's metadata too, and the
    /// learning rate of each step is in metrics.jsonl).
    func recordResumedConfig(_ config: RunConfig, runDirectory: String) throws {
        let stored = try RunConfig.read(runDirectory: runDirectory)
        guard stored != config else { return }
        try RunFiles.atomicWrite(Array(try config.json().utf8), to: RunConfig.fileName(in: runDirectory))
        let changes = config.changes(from: stored)
        if stored.module != config.module || stored.data != config.data {
            printError("vfc: recorded the module and data of the run as absolute paths (\(config.module), \(config.data)) in \(RunConfig.fileName(in: runDirectory))")
        }
        if !changes.isEmpty {
            printError("vfc: resuming with \(changes.joined(separator: ", ")) (recorded in \(RunConfig.fileName(in: runDirectory)))")
        }
    }
}
