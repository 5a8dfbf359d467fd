import ArgumentParser
import Foundation
import VFCCodegen
import VFCIR
import VFCTensor
import VFCTrain

/// `vfc step FILE.ir --state S --batch B`: one training step (method.md section 6).
struct StepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Run one training step of a module on a state and a batch.",
        discussion: """
            STATE holds every param of the module by name (method.md section 7: the student, \
            teacher.*, opt.m.*, opt.v.*, opt.step, center_cls, center_patch; 'vfc init' writes \
            one). BATCH holds the step function's arguments by name (global_views, local_views, \
            boxes, flips, content_masks, position_masks, lr, weight_decay, teacher_momentum); \
            the batch size is taken from its shapes. Prints the step's metrics (loss, loss_cls, \
            loss_mim, loss_pos before the update, grad_norm before clipping). The JIT compiles \
            the step once for every batch size (the batch dim a run-time argument); \
            --specialize compiles it for each batch's size instead.
            Timing (JIT): --repeat N runs W (--warmup) untimed and N timed steps after the first \
            (compiling) one, in one process on the same batch (the state keeps updating in \
            machine form); --json then adds compile_s, first_step_s, step_times_s, median_s, \
            min_s, max_s and peak_rss_bytes (getrusage) to the first step's metrics; --out and \
            --grads then hold the state and gradients after the last step. --profile compiles \
            the step with per-kernel timers and prints the time shares of the timed steps (of \
            the first step without --repeat); with --json the table goes to standard error.
            Example:
              vfc init IR/ssl_micro.ir --seed 0 -o state.safetensors
              vfc step IR/ssl_micro.ir --state state.safetensors --batch batch.safetensors --json --out next.safetensors
              vfc step IR/ssl_micro.ir --state state.safetensors --batch batch.safetensors --json --repeat 10 --warmup 2
              vfc step IR/ssl_micro.ir --state state.safetensors --batch batch.safetensors --repeat 5 --profile
            """)

    @Argument(help: "The .ir file ('-' for standard input).")
    var file: String

    @Option(help: ArgumentHelp("The state before the step.", valueName: "STATE.safetensors"))
    var state: String

    @Option(help: ArgumentHelp("The batch and the step's run-time scalars; repeated: one step per batch, in order, each on the state the one before left (the metrics of each step on a line of their own).", valueName: "BATCH.safetensors"))
    var batch: [String] = []

    @Option(help: ArgumentHelp("Where to run: the LLVM JIT, or the reference interpreter.", valueName: "jit|interp"))
    var backend: Run.Backend = .jit

    @Option(help: ArgumentHelp("Float type of the interpreter (f64 by default: the reference).", valueName: "f32|f64"))
    var dtype: String?

    @Flag(help: "Print the metrics as one JSON object.")
    var json = false

    @Option(help: ArgumentHelp("Write the full state after the step ('-' for standard output: the metrics then go to standard error).", valueName: "NEW_STATE.safetensors"))
    var out: String?

    @Option(help: ArgumentHelp("Write the raw gradients (before clipping) as grad.<param> ('-' for standard output).", valueName: "GRADS.safetensors"))
    var grads: String?

    @Option(name: .customLong("func"), help: "The step function.")
    var function = "train_step"

    @Flag(name: .shortAndLong, help: "Print compile and step times to standard error.")
    var verbose = false

    @Option(name: .customLong("repeat"), help: ArgumentHelp("Timed steps after the first (JIT).", valueName: "N"))
    var repeatCount = 0

    @Option(help: ArgumentHelp("Untimed steps between the first and the timed ones (with --repeat).", valueName: "W"))
    var warmup = 0

    @Flag(help: "Per-kernel time shares of the step (sgemm, fused kernels, the rest).")
    var profile = false

    @Flag(help: "Compile the step for each batch's size (the batch dim a compile-time constant) instead of once for every batch size (JIT).")
    var specialize = false

    @Flag(help: "Compile the step once for every batch size (the default; refused with --specialize).")
    var runtimeDims = false

    @Option(name: .customLong("profile-top"), help: ArgumentHelp("With --profile: how many sites the table lists (the rest are summed in one row).", valueName: "N"))
    var profileTop = 40

    @OptionGroup(title: "Compiler debugging (JIT)")
    var debug: PassDebugOptions

    @Flag(help: ArgumentHelp("Benchmark worker: after the first step's JSON line, read a step count per line from standard input, run that many steps and print their times as JSON; at end of input print peak_rss_bytes.", visibility: .hidden))
    var serve = false

    func validate() throws {
        if repeatCount < 0 || warmup < 0 { throw ValidationError("--repeat and --warmup must be >= 0") }
        if specialize && runtimeDims { throw ValidationError("--specialize and --runtime-dims exclude each other") }
        if batch.isEmpty { throw ValidationError("Missing expected argument '--batch <BATCH.safetensors>'") }
        if batch.count > 1 && (repeatCount > 0 || warmup > 0 || profile || serve) {
            throw ValidationError("--repeat, --warmup, --profile and --serve time one batch: give --batch once")
        }
        if (repeatCount > 0 || warmup > 0 || profile || serve) && backend != .jit {
            throw ValidationError("--repeat, --warmup, --profile and --serve time the JIT step: leave out --backend interp")
        }
    }

    func run() throws {
        try reportingErrors {
            try checkOutputs([NamedPath("--out", out), NamedPath("--grads", grads)],
                             inputs: [NamedPath("FILE", file), NamedPath("--state", state), ] + batch.map { NamedPath("--batch", $0) })
            try StandardOutput.atMostOne([NamedPath("--out", out), NamedPath("--grads", grads)])
            if serve, let taken = [("--out", out), ("--grads", grads)].first(where: { StandardOutput.named($0.1) }) {
                throw DriverError.servesOnStandardOutput(option: taken.0)
            }
            let floatType: DType
            switch (backend, dtype) {
            case (.jit, nil), (.jit, "f32"): floatType = .f32
            case (.jit, _): throw DriverError.jitComputesInIRTypes
            case (.interp, nil), (.interp, "f64"): floatType = .f64
            case (.interp, "f32"): floatType = .f32
            case (.interp, let d?): throw DriverError.optionChoice("--dtype", choices: "f32 or f64", got: d)
            }
            let step = try TrainStep(module: try loadModule(file), function: function, gradients: grads != nil)
            step.passManager = try debug.codegenPassManager()
            step.runtimeDims = !specialize
            if repeatCount > 0 || warmup > 0 || profile || serve {
                let (inputs, bindings) = try step.inputs(from: try SafetensorsFile.read(path: batch[0]).tensors, source: batch[0])
                try timed(step, inputs, bindings)
                return
            }
            var current = try readState(step)
            var last: TrainStep.Outcome?
            let say = StandardOutput.lines(outputs: [out, grads])
            for path in batch {
                let (inputs, bindings) = try step.inputs(from: try SafetensorsFile.read(path: path).tensors, source: path)
                let (compiles, seconds) = (step.compileCount, step.compileSeconds)
                let start = Date()
                let outcome = try step.run(state: current, inputs: inputs, bindings: bindings,
                                           backend: backend == .jit ? .jit : .interpreter(floatType: floatType))
                let compiled = step.compileSeconds - seconds
                if verbose {
                    // One line per compile: a batch of a new size compiles again only with --specialize.
                    if step.compileCount > compiles { printError("jit: compiled @\(function) in \(String(format: "%.3f", compiled)) s\(Self.phaseNote(step))") }
                    printError("step: \(String(format: "%.3f", Date().timeIntervalSince(start) - compiled)) s")
                }
                if json {
                    say("{" + outcome.metrics.map { "\"\($0.name)\": \(jsonNumber($0.value))" }.joined(separator: ", ") + "}")
                } else {
                    for (name, value) in outcome.metrics { say("\(name): \(String(format: "%.9g", value))") }
                }
                current = outcome.state
                last = outcome
            }
            guard let outcome = last else { return }
            if let out {
                try StandardOutput.write(SafetensorsFile(tensors: outcome.state, metadata: ["format": "pt", "vfc.module": step.module.name ?? ""]), to: out, option: "--out")
            }
            if let grads {
                var file = SafetensorsFile()
                for (p, g) in outcome.gradients { file.tensors["grad." + p] = g }
                try StandardOutput.write(file, to: grads, option: "--grads")
            }
        }
    }
}

extension StepCommand {
    /// ` (passes 1.2 s, lower 0.3 s, ...)`: where the JIT compile went, for `-v`.
    static func phaseNote(_ step: TrainStep) -> String {
        step.lastCompilePhases.map { " (\($0.summary))" } ?? ""
    }

    /// The JIT step through a session (the state stays in machine form): the first step,
    /// then the warm-up and timed steps, the JSON or text report, the profile.
    /// The state file checked against the module (with a warning for extra tensors).
    func readState(_ step: TrainStep) throws -> [String: Tensor] {
        let (checked, extra) = try step.checkState(try readVerifiedSafetensors(state).tensors, source: state)
        if !extra.isEmpty {
            printError("vfc: warning: \(state): ignoring \(extra.count) tensor(s) the module does not declare: \(extra.prefix(5).joined(separator: ", "))\(extra.count > 5 ? ", ..." : "")")
        }
        return checked
    }

    /// The state is read here and dropped once the session holds it in machine form (the
    /// host tensors are f64: twice the f32 state).
    func timed(_ step: TrainStep, _ inputs: [Tensor], _ bindings: [String: Int]) throws {
        step.profile = profile
        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        var t0 = clock.now
        // Compiled before the state is read, and the host state (f64) dropped once the
        // session holds it: neither the compile's memory nor the host state adds to the
        // step's peak.
        _ = try step.compiledModule(bindings)
        let session = try step.session(state: try readState(step), bindings: bindings)
        Runtime.trimHeap()
        let sites = session.profileSites
        if profile && repeatCount == 0 { Profiler.reset(sites) }
        t0 = clock.now
        let metrics = try session.run(inputs: inputs)
        let first = seconds(clock.now - t0)
        var fields = metrics.map { ("\($0.name)", jsonNumber($0.value)) }
        fields.append(("compile_s", jsonNumber(step.compileSeconds)))
        fields.append(("first_step_s", jsonNumber(first)))
        if verbose { printError("jit: compiled @\(function) in \(String(format: "%.3f", step.compileSeconds)) s\(Self.phaseNote(step)); first step \(String(format: "%.3f", first)) s") }
        func runSteps(_ n: Int) throws -> [Double] {
            var times: [Double] = []
            for _ in 0..<n {
                let t = clock.now
                _ = try session.run(inputs: inputs)
                times.append(seconds(clock.now - t))
            }
            return times
        }
        if serve {
            print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
            flushOut()
            while let line = readLine() {
                guard let n = Int(line.trimmingCharacters(in: .whitespaces)), n >= 0 else { continue }
                let times = try runSteps(n)
                print("{\"step_times_s\": [\(times.map(jsonNumber).joined(separator: ", "))]}")
                flushOut()
            }
            print("{\"peak_rss_bytes\": \(peakRSSBytes())}")
            flushOut()
            return
        }
        _ = try runSteps(warmup)
        if profile && repeatCount > 0 { Profiler.reset(sites) }
        let times = try runSteps(repeatCount)
        if !times.isEmpty {
            let sorted = times.sorted()
            let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            fields.append(("step_times_s", "[" + times.map(jsonNumber).joined(separator: ", ") + "]"))
            fields += [("median_s", jsonNumber(median)), ("min_s", jsonNumber(sorted[0])), ("max_s", jsonNumber(sorted[sorted.count - 1]))]
        }
        fields.append(("peak_rss_bytes", "\(peakRSSBytes())"))
        let say = StandardOutput.lines(outputs: [out, grads])
        if json {
            say("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        } else {
            for (name, value) in fields { say("\(name): \(value)") }
        }
        if profile {
            let table = Profiler.report(sites, steps: max(repeatCount, 1), top: profileTop)
            if json || StandardOutput.named(out) || StandardOutput.named(grads) {
                FileHandle.standardError.write(Data(table.utf8))
            } else {
                print(table, terminator: "")
            }
        }
        if let out {
            try StandardOutput.write(SafetensorsFile(tensors: session.state, metadata: ["format": "pt", "vfc.module": step.module.name ?? ""]), to: out, option: "--out")
        }
        if let grads {
            var file = SafetensorsFile()
            for (p, g) in session.gradients() { file.tensors["grad." + p] = g }
            try StandardOutput.write(file, to: grads, option: "--grads")
        }
    }
}

/// The peak resident set size of this process (getrusage ru_maxrss, in bytes).
func peakRSSBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}

/// A JSON number (NaN and infinities, which JSON cannot spell, as null).
func jsonNumber(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }

/// Flushes standard output (a benchmark worker answers line by line on a pipe).
func flushOut() { fflush(nil) }
