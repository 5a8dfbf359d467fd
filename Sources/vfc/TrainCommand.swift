import ArgumentParser
import Dispatch
import Foundation
import VFCCodegen
import VFCRun
import VFCTrain

/// `vfc train FILE.ir --data DIR --out RUN_DIR` and `vfc train --resume RUN_DIR`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a module's train_step on an image folder (JIT), with metrics and checkpoints.",
        discussion: """
            Compiles @train_step once, then runs the schedule of method.md section 6 on batches \
            prepared by a background worker (views and masks of section 1). Writes \
            RUN_DIR/config.json, metrics.jsonl, TensorBoard events in tb/, and checkpoints \
            ckpt-STEP.safetensors (atomic, the last 3 kept). Ctrl-C writes a checkpoint and \
            exits 0, and so does SIGTERM; --resume continues from the newest valid checkpoint bit-exactly (the \
            schedule runs over --schedule-steps, not --steps, so a run can be extended).
            Examples:
              vfc train IR/ssl_micro.ir --data data/photos --out runs/micro --steps 300
              vfc train --resume runs/micro --steps 600
              vfc plot runs/micro -o curves.png
            """)

    @Argument(help: "The .ir file with @train_step (not with --resume: the run's own).")
    var file: String?

    @Option(help: ArgumentHelp("The image folder (JPEG, PNG; searched recursively).", valueName: "DIR"))
    var data: String?

    @Option(help: ArgumentHelp("The run directory to create.", valueName: "RUN_DIR"))
    var out: String?

    @Option(help: ArgumentHelp("Continue the run in RUN_DIR from its newest valid checkpoint.", valueName: "RUN_DIR"))
    var resume: String?

    // Numbers are parsed unconditionally so that `--batch -4` is read as -4 and refused
    // by name, not taken for a missing value. The schedule options have no default here:
    // with --resume, the ones given replace the run's (see TrainCommand+Resume.swift).
    @Option(parsing: .unconditional, help: "Stop after this many steps in all (default 100; with --resume, the run's).")
    var steps: Int?

    @Option(parsing: .unconditional, help: "Images per batch (default 16; fixed for a run).")
    var batch: Int?

    @Option(parsing: .unconditional, help: "Peak learning rate after warm-up (default 5e-4). Schedule options given with --resume apply from the resumed step on.")
    var lr: Double?

    @Option(parsing: .unconditional, help: "Final learning rate of the cosine decay (default 1e-6).")
    var minLr: Double?

    @Option(parsing: .unconditional, help: "Steps of linear learning-rate warm-up (default 10).")
    var warmupSteps: Int?

    @Option(parsing: .unconditional, help: "Steps over which the cosine schedules run: lr, weight decay, teacher momentum (default 1000).")
    var scheduleSteps: Int?

    @Option(parsing: .unconditional, help: "Weight decay at the start, cosine to --weight-decay-end (default 0.04).")
    var weightDecay: Double?

    @Option(parsing: .unconditional, help: "Weight decay at the end of the schedule (default 0.4).")
    var weightDecayEnd: Double?

    @Option(parsing: .unconditional, help: "Teacher momentum at the start, cosine to 1 (default 0.996).")
    var momentum: Double?

    @Option(parsing: .unconditional, help: "Seed of the initialisation and of the data pipeline (default 0; fixed for a run).")
    var seed: UInt64?

    @Option(parsing: .unconditional, help: "Write a checkpoint every K steps and at the end (default 50).")
    var checkpointEvery: Int?

    @Option(parsing: .unconditional, help: "Threads of the compiled step (default: every core; a resume keeps the run's; under mpirun, per rank, default: the cores divided among the ranks of each machine).")
    var threads: Int?

    @OptionGroup(title: "Reading the data")
    var source: DataSourceOptions

    @Option(parsing: .unconditional, help: "When not on a terminal, print one line every K steps.")
    var logEvery = 10

    @Flag(help: "With --resume: start the run over from step 0 with its config.json, moving its checkpoints, metrics and events into RUN_DIR/aside-TIME/.")
    var restart = false

    @Flag(help: "Leave out the photometric augmentation (colour jitter, grayscale, blur, solarize).")
    var noPhotometric = false

    @Flag(help: "Compile the step for the run's batch size (the batch dim a compile-time constant) instead of once for every batch size.")
    var specialize = false

    @Flag(help: "Compile the step once for every batch size (the default; refused with --specialize).")
    var runtimeDims = false

    @Flag(help: "Compile the step with per-kernel timers and print the time shares of the steps after the first at the end.")
    var profile = false

    @Flag(help: "Print the outcome of the run as one JSON object (standard output holds nothing else; progress and log lines always go to standard error).")
    var json = false

    @OptionGroup(title: "Data parallelism (under mpirun, docs/distributed.md)")
    var distributed: DistributedOptions

    @OptionGroup(title: "Probes during training (docs/evaluation.md)")
    var evaluation: TrainEvalOptions

    @OptionGroup(title: "Compiler debugging")
    var debug: PassDebugOptions

    func validate() throws {
        if resume != nil {
            if file != nil || data != nil || out != nil {
                throw ValidationError("--resume takes the module, data and output of the run itself: leave out FILE, --data and --out")
            }
        } else if file == nil || data == nil || out == nil {
            throw ValidationError("give FILE.ir, --data DIR and --out RUN_DIR (or --resume RUN_DIR)")
        }
        if logEvery < 1 { throw ValidationError("--log-every must be >= 1") }
        if specialize && runtimeDims { throw ValidationError("--specialize and --runtime-dims exclude each other") }
        try validateNumbers()
    }

    func run() throws {
        try reportingErrors {
            try StandardOutput.refuse(out, option: "--out", what: "a run directory")
            let communicator = try distributed.communicator()
            // Rank 0 alone prints; every rank reports its own errors. Log lines go to standard
            // error; standard output holds the outcome alone.
            let print = communicator.rank == 0 ? { printError($0) } : { (_: String) in }
            let runDirectory: String
            var config: RunConfig
            if let resume {
                runDirectory = resume
                config = try storedConfig(runDirectory: resume)
                if let steps { config.steps = steps }
                config = resumedConfig(config)
            } else {
                runDirectory = out!
                let text = try readSource(file!)
                config = RunConfig(module: file!, moduleDigest: RunConfig.digest(text), data: data!, steps: steps ?? 100,
                                   batch: batch ?? 16, seed: seed ?? 0, schedule: schedule(over: Schedule()),
                                   checkpointEvery: checkpointEvery ?? 50, threads: threads ?? Runtime.threads,
                                   photometric: !noPhotometric)
                config.dataReading = source.reading
                config = config.absolutePaths(base: FileManager.default.currentDirectoryPath)
            }
            // Rank 0 alone writes the run directory, so it alone holds the lock.
            let lock = communicator.rank == 0 ? try RunLock(runDirectory: runDirectory, create: resume == nil) : nil
            defer { lock?.release() }
            if restart {
                if communicator.rank == 0 {
                    let aside = try RunDirectory.setAsideForRestart(runDirectory: runDirectory)
                    printError("vfc: --restart: moved the checkpoints, metrics and events of \(runDirectory) to \(aside)")
                }
                try communicator.barrier(what: "the restart")
            }
            if communicator.usesMPI { config.threads = threads ?? communicator.defaultThreads }
            let trainer = try Trainer(config: config, runDirectory: runDirectory, resume: resume != nil, communicator: communicator) {
                if communicator.rank == 0 { printError("vfc: " + $0) }
            }
            trainer.replicaCheckEvery = distributed.checkEvery
            trainer.writeReplicas = distributed.rankCheckpoints
            trainer.dataWorkers = source.workers
            trainer.periodicEval = try evaluation.make(trainer: trainer)
            if resume != nil, communicator.rank == 0 { try recordResumedConfig(config, runDirectory: runDirectory) }
            let interrupt = InterruptFlag()
            // Under mpirun, whole lines: mpirun forwards a rank's output through a terminal
            // of its own, and can drop the rank's last error after a line left unfinished.
            let display = ProgressDisplay(logEvery: logEvery, terminal: communicator.usesMPI ? false : isatty(STDERR_FILENO) != 0)
            print("training @\(trainer.step.function.name) of \(config.module) on \(trainer.dataset.count) images of \(config.data) "
                  + "(\(trainer.dataset.skipped.count) skipped), batch \(config.batch), steps \(trainer.startStep) -> \(config.steps), "
                  + "\(config.threads) thread(s)" + (communicator.usesMPI ? " on each of \(communicator.size) rank(s)" : ""))
            var compiled = false
            trainer.step.profile = profile
            trainer.step.passManager = try debug.codegenPassManager()
            trainer.step.runtimeDims = !specialize
            var sites: [ProfileSite] = []
            var last: Trainer.Progress?
            let summary = try trainer.run(shouldStop: { interrupt.isSet }) { p in
                last = p
                if !compiled {
                    compiled = true
                    print("jit: compiled \(trainer.compiledFunctions) in \(String(format: "%.2f", trainer.compileSeconds)) s")
                    if debug.timePasses, let phases = trainer.step.lastCompilePhases { printError(phases.report) }
                    if profile {
                        // The profile leaves out the first step (cold caches, first touches).
                        sites = trainer.profileSites
                        Profiler.reset(sites)
                    }
                }
                if communicator.rank == 0 { display.show(p) }
            }
            display.finish()
            if profile, communicator.rank == 0 {
                // A result (standard output), except beside the --json object.
                let table = Profiler.report(sites, steps: summary.lastStep - summary.firstStep - 1).trimmingCharacters(in: .newlines)
                if json { printError(table) } else { Swift.print(table) }
            }
            let rate = String(format: "%.1f", summary.imagesPerSecond)
            let waited = String(format: "%.1f", summary.dataWaitSeconds)
            let outcome = (summary.interrupted ? "interrupted at" : "done:") + " step \(summary.lastStep) (\(summary.lastStep - summary.firstStep) steps "
                  + "in \(String(format: "%.1f", summary.seconds)) s, \(rate) images/s, \(waited) s waiting for data); "
                  + "checkpoint \(summary.lastCheckpoint ?? "none"); skipped images: \(trainer.dataset.skipped.count)"
            if communicator.rank == 0 { Swift.print(json ? trainOutcomeJSON(summary, last: last, skipped: trainer.dataset.skipped.count) : outcome) }
            communicator.finalize()
        }
    }
}

/// Set by SIGINT (Ctrl-C) or SIGTERM (what SLURM, Kubernetes and systemd send before
/// killing): the training loop checkpoints and stops after the current step. A second
/// signal of the same kind ends the process at once.
final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false
    private var sources: [DispatchSourceSignal] = []

    init() {
        for (signo, message) in [(SIGINT, "interrupted: writing a checkpoint after this step (Ctrl-C again to quit at once)"),
                                 (SIGTERM, "terminated (SIGTERM): writing a checkpoint after this step (SIGTERM again to quit at once)")] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: DispatchQueue(label: "vfc.signal.\(signo)"))
            source.setEventHandler { [unowned self] in
                self.lock.withLock { self.set = true }
                printError("vfc: " + message)
                signal(signo, SIG_DFL)
            }
            source.resume()
            sources.append(source)
        }
    }

    var isSet: Bool { lock.withLock { set } }
}

/// The progress of a run: a bar redrawn in place on a terminal, else one line every K steps.
final class ProgressDisplay {
    private let terminal: Bool
    private let logEvery: Int
    private var drawn = false

    /// `terminal`: redraw a bar in place (default: when standard error, where it is drawn,
    /// is a terminal).
    init(logEvery: Int, terminal: Bool = isatty(STDERR_FILENO) != 0) {
        self.logEvery = logEvery
        self.terminal = terminal
    }

    func show(_ p: Trainer.Progress) {
        let value = { (name: String) in p.metrics.first { $0.name == name }?.value ?? .nan }
        let remaining = p.step > 0 ? p.elapsed / Double(p.step) * Double(p.steps - p.step) : 0
        let text = String(format: "step %d/%d loss %.4f (cls %.3f mim %.3f pos %.3f) lr %.2e %.1f img/s",
                          p.step, p.steps, value("loss"), value("loss_cls"), value("loss_mim"), value("loss_pos"),
                          p.lr, p.imagesPerSecond)
        if terminal {
            let width = 24
            let filled = p.steps > 0 ? width * p.step / p.steps : width
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(text) ETA \(Self.clock(remaining))\u{1B}[K".utf8))
            drawn = true
        } else if p.step % logEvery == 0 || p.step == p.steps {
            printError("\(text) data-wait \(String(format: "%.2f", p.dataWait)) s ETA \(Self.clock(remaining))")
        }
    }

    func finish() { if drawn { printError("") } }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.isFinite ? seconds : 0)
        return String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
    }
}
