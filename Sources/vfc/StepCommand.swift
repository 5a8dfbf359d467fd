import ArgumentParser
import Foundation
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
            loss_mim, loss_pos before the update, grad_norm before clipping).
            Example:
              vfc init IR/ssl_micro.ir --seed 0 -o state.safetensors
              vfc step IR/ssl_micro.ir --state state.safetensors --batch batch.safetensors --json --out next.safetensors
            """)

    @Argument(help: "The .ir file ('-' for standard input).")
    var file: String

    @Option(help: ArgumentHelp("The state before the step.", valueName: "STATE.safetensors"))
    var state: String

    @Option(help: ArgumentHelp("The batch and the step's run-time scalars.", valueName: "BATCH.safetensors"))
    var batch: String

    @Option(help: ArgumentHelp("Where to run: the LLVM JIT, or the reference interpreter.", valueName: "jit|interp"))
    var backend: Run.Backend = .jit

    @Option(help: ArgumentHelp("Float type of the interpreter (f64 by default: the reference).", valueName: "f32|f64"))
    var dtype: String?

    @Flag(help: "Print the metrics as one JSON object.")
    var json = false

    @Option(help: ArgumentHelp("Write the full state after the step.", valueName: "NEW_STATE.safetensors"))
    var out: String?

    @Option(help: ArgumentHelp("Write the raw gradients (before clipping) as grad.<param>.", valueName: "GRADS.safetensors"))
    var grads: String?

    @Option(name: .customLong("func"), help: "The step function.")
    var function = "train_step"

    @Flag(name: .shortAndLong, help: "Print compile and step times to standard error.")
    var verbose = false

    func run() throws {
        try reportingErrors {
            let floatType: DType
            switch (backend, dtype) {
            case (.jit, nil), (.jit, "f32"): floatType = .f32
            case (.jit, _): throw DriverError("--backend jit computes in the IR's dtypes; --dtype f64 needs --backend interp")
            case (.interp, nil), (.interp, "f64"): floatType = .f64
            case (.interp, "f32"): floatType = .f32
            case (.interp, let d?): throw DriverError("--dtype must be f32 or f64, got '\(d)'")
            }
            let step = try TrainStep(module: try loadModule(file), function: function)
            let (checked, extra) = try step.checkState(try SafetensorsFile.read(path: state).tensors, source: state)
            if !extra.isEmpty {
                printError("vfc: warning: \(state): ignoring \(extra.count) tensor(s) the module does not declare: \(extra.prefix(5).joined(separator: ", "))\(extra.count > 5 ? ", ..." : "")")
            }
            let (inputs, bindings) = try step.inputs(from: try SafetensorsFile.read(path: batch).tensors, source: batch)
            let start = Date()
            let outcome = try step.run(state: checked, inputs: inputs, bindings: bindings,
                                       backend: backend == .jit ? .jit : .interpreter(floatType: floatType))
            if verbose {
                if backend == .jit { printError("jit: compiled @\(function) in \(String(format: "%.3f", step.compileSeconds)) s") }
                printError("step: \(String(format: "%.3f", Date().timeIntervalSince(start) - step.compileSeconds)) s")
            }
            if json {
                print("{" + outcome.metrics.map { "\"\($0.name)\": \(jsonNumber($0.value))" }.joined(separator: ", ") + "}")
            } else {
                for (name, value) in outcome.metrics { print("\(name): \(String(format: "%.9g", value))") }
            }
            if let out {
                try SafetensorsFile(tensors: outcome.state, metadata: ["format": "pt", "vfc.module": step.module.name ?? ""]).write(path: out)
            }
            if let grads {
                var file = SafetensorsFile()
                for (p, g) in outcome.gradients { file.tensors["grad." + p] = g }
                try file.write(path: grads)
            }
        }
    }
}

/// A JSON number (NaN and infinities, which JSON cannot spell, as null).
func jsonNumber(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
