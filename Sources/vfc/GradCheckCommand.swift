import ArgumentParser
import Foundation
import VFCGradCheck
import VFCIR
import VFCTensor

/// `vfc gradcheck FILE.ir`: autodiff against central finite differences in f64.
struct GradCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradcheck",
        abstract: "Check the gradients of the autodiff pass against finite differences (f64, interpreter).",
        discussion: """
            For each function: random inputs (symbolic dims bound to 2 unless --bind says \
            otherwise) and params, random cotangents for its float results, then for every \
            differentiable input and param the directional derivative along random directions \
            is compared with a central difference. Prints the largest relative error per input; \
            exit code 1 if any exceeds --tolerance (1e-6). Float inputs no gradient flows from \
            (boxes) are listed, not checked.
            """)

    @Argument(help: "The .ir file ('-' for standard input).")
    var file: String

    @Option(name: .customLong("func"), help: "The function to check.")
    var function: String?

    @Flag(help: "Check every function of the module (the default when --func is not given).")
    var all = false

    @Option(help: "Seed for inputs, params, cotangents and directions.")
    var seed: UInt64 = 0

    @Option(name: .customLong("bind"), parsing: .singleValue, help: ArgumentHelp("Bind a symbolic dim (repeatable).", valueName: "N=2"))
    var binds: [String] = []

    @Option(help: ArgumentHelp("Safetensors file with some inputs or params to use instead of random ones (boxes, flips, masks).", valueName: "IN.safetensors"))
    var inputs: String?

    @Option(help: "Largest relative error accepted.")
    var tolerance: Double = 1e-6

    func run() throws {
        try reportingErrors {
            let module = try loadModule(file)
            var options = GradCheck.Options()
            options.seed = seed
            options.bindings = try parseBindings(binds)
            if let inputs { options.given = try SafetensorsFile.read(path: inputs).tensors }
            let names: [String]
            if let function {
                guard module.function(named: function) != nil else { throw DriverError.noFunction(function, file: displayName(file), known: nil) }
                names = [function]
            } else {
                names = module.functions.map(\.name)
            }
            var failed = false
            for name in names {
                let r = try GradCheck.run(module: module, function: name, options: options)
                let binding = r.bindings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                print("@\(name)" + (binding.isEmpty ? "" : " (\(binding))") + ":")
                if r.entries.isEmpty && r.notDifferentiable.isEmpty { print("  no float inputs or params") }
                for e in r.entries {
                    let ok = e.maxRelativeError <= tolerance
                    failed = failed || (!ok && e.stoppedAt == nil)
                    let verdict = ok ? "ok" : e.stoppedAt.map { "gradient stopped at \($0): zero by request, not compared" } ?? "FAIL"
                    print("  \(e.name): max relative error \(String(format: "%.3e", e.maxRelativeError)) \(verdict)")
                }
                for (n, why) in r.notDifferentiable { print("  \(n): not differentiable (\(why))") }
            }
            if failed { throw ExitCode(1) }
        }
    }
}
