import ArgumentParser
import VFCIR
import VFCInterpreter
import VFCTensor

/// `vfc init FILE.ir --seed S -o STATE.safetensors`: a fresh training state.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write the initial value of every param of a module (a fresh training state).",
        discussion: """
            Each param follows its declared initialiser (method.md section 6: truncated normal \
            std 0.02 weights, zero biases, unit LayerNorm weights; teacher.* copies of the \
            student; Adam moments, opt.step and the centres zero), drawn from --seed. Params \
            draw from their own streams, so a param's value depends only on the seed and its name.
            Example:
              vfc init IR/ssl_micro.ir --seed 0 -o state.safetensors
            """)

    @Argument(help: "The .ir file ('-' for standard input).")
    var file: String

    @Option(help: "Seed of the initialisation.")
    var seed: UInt64 = 0

    @Option(name: .shortAndLong, help: ArgumentHelp("The state file to write ('-' for standard output).", valueName: "STATE.safetensors"))
    var output: String

    func run() throws {
        try reportingErrors {
            try checkOutputs([NamedPath("-o", output)], inputs: [NamedPath("FILE", file)])
            let module = try loadModule(file)
            guard !module.params.isEmpty else { throw DriverError.noParams(file: displayName(file)) }
            let values = try initialParams(module: module, seed: seed, floatType: nil)
            let metadata = ["format": "pt", "vfc.module": module.name ?? "", "vfc.seed": String(seed)]
            try StandardOutput.write(SafetensorsFile(tensors: values, metadata: metadata), to: output, option: "-o")
        }
    }
}
