import Foundation
import VFCCodegen
import VFCData
import VFCIR
import VFCInterpreter
import VFCRun
import VFCTensor

/// A training run of a module's `train_step` on an image folder: the data pipeline, the
/// JIT-compiled step with its state in machine form, the schedule, metrics (JSON lines and
/// TensorBoard) and atomic checkpoints, resumable bit-exactly.
public final class Trainer {
    /// What one step reports to the progress display.
    public struct Progress {
        public var step: Int
        public var steps: Int
        public var metrics: [(name: String, value: Double)]
        public var lr: Double
        public var imagesPerSecond: Double
        /// Seconds the step waited for its batch (0 when the pipeline keeps up).
        public var dataWait: Double
        /// Seconds since the first step of this process.
        public var elapsed: Double
    }

    /// How a `run` ended.
    public struct Summary {
        public var firstStep: Int
        public var lastStep: Int
        public var seconds: Double
        public var imagesPerSecond: Double
        public var dataWaitSeconds: Double
        public var lastCheckpoint: String?
        public var interrupted: Bool
    }

    public let config: RunConfig
    public let runDirectory: String
    public let step: TrainStep
    public let dataset: DataIndex
    /// Threads that decode and augment the batches (nil: the core count).
    public var dataWorkers: Int?
    /// The step the run continues from (0 for a fresh run).
    public let startStep: Int
    /// Seconds the JIT compile took.
    public private(set) var compileSeconds = 0.0
    /// The profiled sites of the compiled step (set by `run`; empty unless `step.profile`).
    public private(set) var profileSites: [ProfileSite] = []
    private let batchConfig: BatchConfig
    private let samplerState: String?
    var state: [String: Tensor]
    private let store: CheckpointStore
    private let say: (String) -> Void
    /// The ranks of a data-parallel run (one process alone by default): each steps on its
    /// slice of the batch, and rank 0 alone writes the run's files (docs/distributed.md).
    public let communicator: Communicator
    /// Under MPI: compare the ranks' states every this many steps.
    public var replicaCheckEvery = 100
    /// Under MPI: the ranks other than 0 write copies of their checkpoints (`RUN_DIR/rank-R`).
    public var writeReplicas = false
    /// Probes run every `periodicEval.every` steps, their figures logged with the step's.
    public var periodicEval: PeriodicEval?

    /// Prepares a run: a fresh one writes `config.json` (an existing run directory with
    /// checkpoints is refused: resume it or choose another), a resumed one reads it and
    /// continues from the newest valid checkpoint (refused ones are reported via `say`).
    public init(config: RunConfig, runDirectory: String, resume: Bool, communicator: Communicator = .single(),
                say: @escaping (String) -> Void) throws {
        self.config = config
        self.runDirectory = runDirectory
        self.say = say
        self.communicator = communicator
        try config.schedule.validate()
        for (option, value, least) in [("--steps", config.steps, 0), ("--batch", config.batch, 1), ("--checkpoint-every", config.checkpointEvery, 1)]
        where value < least {
            throw StepError.option(option, requirement: ">= \(least)", value: "\(value)")
        }
        try Trainer.checkSlices(batch: config.batch, communicator)
        guard let text = FileManager.default.contents(atPath: config.module).map({ String(decoding: $0, as: UTF8.self) }) else {
            throw StepError.unreadableModule(config.module)
        }
        if RunConfig.digest(text) != config.moduleDigest {
            throw StepError.moduleChanged(config.module, digest: RunConfig.digest(text), recorded: config.moduleDigest)
        }
        var module = try Parser.parse(text, file: config.module)
        try Verifier.run(&module)
        step = try TrainStep(module: module, gradients: false)
        batchConfig = try Trainer.batchConfig(step, config)
        try batchConfig.validate()
        let reading = config.dataReading ?? .standard
        var limits = DecodeLimits.standard
        limits.maxPixels = reading.maxPixels
        dataset = try DataIndex(source: config.data, limits: limits, shuffleBuffer: reading.shuffleBuffer,
                                skipTruncatedShards: reading.skipTruncatedShards, warn: say)
        store = CheckpointStore(runDirectory: runDirectory)

        var restored: Checkpoint?
        if resume {
            restored = try store.resumePoint(validate: { [step] c in
                _ = try step.checkState(c.tensors, source: c.path)
                guard c.metadata["data_state"] != nil else { throw CheckpointInvalid.missingMetadata("data_state") }
            }, say: say)
        } else {
            // Rank 0 alone: the others would find its config.json.
            if communicator.rank == 0 {
                try RunDirectory.checkFresh(runDirectory)
                try RunFiles.createDirectory(runDirectory)
                try RunFiles.atomicWrite(Array(try config.json().utf8), to: RunConfig.fileName(in: runDirectory))
            }
        }
        if let c = restored {
            state = try step.checkState(c.tensors, source: c.path).state
            startStep = c.step
            samplerState = c.metadata["data_state"]
            say("resuming from \(c.path) (step \(c.step))")
        } else {
            state = try initialParams(module: step.module, seed: config.seed, floatType: nil)
            startStep = 0
            samplerState = nil
        }
    }

    /// The data geometry the step expects, read off its arguments and the field:
    /// global_views [B, Vg, 3, G, G], local_views [B, Vl, 3, L, L], content_masks
    /// [B, Vg, n, n] (P = G / n), and the source side S (`sourceSide`).
    static func batchConfig(_ step: TrainStep, _ config: RunConfig) throws -> BatchConfig {
        func arg(_ name: String) throws -> [Int] {
            guard let a = step.function.arguments.first(where: { step.function.values[$0.index].name == name }),
                  let t = step.function.values[a.index].type else {
                throw StepError.noArgument(function: step.function.name, argument: name)
            }
            return try t.shape.dropFirst().map { d in
                guard let v = d.staticValue else { throw StepError.dynamicDims(argument: name, type: t) }
                return v
            }
        }
        let g = try arg("global_views"), l = try arg("local_views"), m = try arg("content_masks")
        guard g.count == 4, l.count == 4, m.count == 3, m[1] > 0, g[2] % m[1] == 0,
              let side = sourceSide(step.module, globalSide: g[2]) else {
            throw StepError.notMethodLayout(function: step.function.name)
        }
        var c = BatchConfig(imageSize: side, patchSize: g[2] / m[1], globalSize: g[2], localSize: l[2],
                            globalViews: g[0], localViews: l[0], batchSize: config.batch, seed: config.seed,
                            photometric: config.photometric)
        c.dctScaling = config.dataReading?.dctScaling ?? false
        return c
    }

    /// Runs from `startStep` to `config.steps`. `shouldStop` is polled after every step (a
    /// Ctrl-C): the run then writes a checkpoint and returns. A NaN or infinite loss stops
    /// the run with an error naming the step and the last good checkpoint.
    public func run(shouldStop: () -> Bool, progress: (Progress) -> Void) throws -> Summary {
        try Runtime.setThreads(config.threads)
        var sampler = try BatchSampler(dataset: dataset, config: batchConfig)
        if let s = samplerState { try sampler.restore(state: s) }
        // Started before the compile, so the first batches are ready when the step is.
        let prefetcher = Prefetcher(sampler: sampler, depth: 2, workers: dataWorkers, rows: slice)
        defer { prefetcher.stop() }
        let session = try makeRunner()
        // The session holds the state in machine form (f32); the host copy is f64, twice that.
        state = [:]
        Runtime.trimHeap()
        compileSeconds = session.compileSeconds
        profileSites = session.profileSites
        let resumeAt = startStep > 0 ? startStep : nil
        let writer = communicator.rank == 0
        let metrics = writer ? try MetricsLog(runDirectory: runDirectory, resumingAtStep: resumeAt) : nil
        let board = writer ? try TensorBoardWriter(runDirectory: runDirectory, resumingAtStep: resumeAt) : nil
        defer { metrics?.close(); board?.close() }

        let start = Date()
        var lastCheckpoint = store.list().first?.path
        var savedStep = startStep
        var current = startStep
        var dataState = samplerState ?? sampler.state
        func checkpoint() throws {
            savedStep = current
            guard writer, let metrics, let board else { return try saveReplica(step: current) { session.state } }
            try metrics.sync()
            try board.sync()
            lastCheckpoint = try store.save(step: current, tensors: session.state,
                                            metadata: ["data_state": dataState, "config": try config.json(), "format": "pt"])
        }
        var interrupted = false
        while current < config.steps {
            let stepStart = Date()
            let batch = try prefetcher.next()
            let wait = prefetcher.lastWaitSeconds
            let (lr, wd, momentum) = config.schedule.values(at: current)
            var tensors = batch.tensors
            tensors["lr"] = Tensor(scalar: lr, dtype: .f32)
            tensors["weight_decay"] = Tensor(scalar: wd, dtype: .f32)
            tensors["teacher_momentum"] = Tensor(scalar: momentum, dtype: .f32)
            let values = try session.run(batch: tensors, step: current + 1, source: "batch \(batch.index)")
            current += 1
            dataState = batch.stateAfter
            if let loss = values.first(where: { $0.name == "loss" })?.value, !loss.isFinite {
                throw StepError.nonFiniteLoss(step: current, loss: loss, lastCheckpoint: lastCheckpoint, runDirectory: runDirectory,
                                              lr: config.schedule.lr)
            }
            let seconds = Date().timeIntervalSince(stepStart)
            let imagesPerSecond = Double(config.batch) / Swift.max(seconds, 1e-9)
            var logged = Dictionary(values.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            logged["lr"] = Double(Float(lr))
            logged["weight_decay"] = Double(Float(wd))
            logged["teacher_momentum"] = Double(Float(momentum))
            logged["images_per_s"] = imagesPerSecond
            logged["data_wait_s"] = wait
            if writer, let e = periodicEval, current % e.every == 0 {
                logged.merge(try e.figures(state: session.state, step: current)) { a, _ in a }
            }
            try metrics?.log(step: current, metrics: logged)
            try board?.log(step: current, scalars: logged)
            progress(Progress(step: current, steps: config.steps, metrics: values, lr: lr, imagesPerSecond: imagesPerSecond,
                              dataWait: wait, elapsed: Date().timeIntervalSince(start)))
            if try session.agreeToStop(shouldStop()) {
                interrupted = true
                break
            }
            if current % config.checkpointEvery == 0 { try checkpoint() }
        }
        if current > savedStep || lastCheckpoint == nil { try checkpoint() }
        let seconds = Date().timeIntervalSince(start)
        let done = current - startStep
        return Summary(firstStep: startStep, lastStep: current, seconds: seconds,
                       imagesPerSecond: Double(done * config.batch) / Swift.max(seconds, 1e-9),
                       dataWaitSeconds: prefetcher.totalWaitSeconds, lastCheckpoint: lastCheckpoint, interrupted: interrupted)
    }
}
