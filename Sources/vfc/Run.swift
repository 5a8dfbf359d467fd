import ArgumentParser
import Foundation
import VFCCodegen
import VFCIR
import VFCInterpreter
import VFCPasses
import VFCTensor

/// `vfc run FILE.ir --func NAME ...`: run one function on the reference interpreter.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a function of a module on the reference interpreter or the JIT.",
        discussion: """
            Inputs come from a safetensors file (one tensor per argument, keyed by the argument \
            name without '%') or are drawn at random. Params come from --params, which must hold \
            every param the function reads (--init-missing draws the missing ones), or are \
            initialised from their declarations with --seed. Prints one line per \
            result: name, type, mean, min and max. By default (--dtype f32) the function is \
            compiled with LLVM (every symbolic dim bound by --bind or by the inputs' shapes) and \
            computes in the IR's dtypes; --backend interp runs the reference interpreter, which \
            --dtype f64 implies.
            Example:
              vfc run IR/vit_block.ir --func block --random-inputs --seed 0 --bind N=2 --bind T=65
            """)

    @Argument(help: "The .ir file ('-' for standard input).")
    var file: String

    @Option(name: .customLong("func"), help: "The function to run.")
    var function: String

    @Option(help: ArgumentHelp("Safetensors file with one tensor per argument.", valueName: "IN.safetensors"))
    var inputs: String?

    @Flag(help: "Draw the inputs at random (floats standard normal, masks 0/1); needs every symbol bound.")
    var randomInputs = false

    @Option(help: "Seed for random inputs and for params not given.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Safetensors file with param values, keyed by param name: every param the function reads (see --init-missing).", valueName: "P.safetensors"))
    var params: String?

    @Flag(help: "With --params: initialise the params the file lacks from their declarations (with --seed) instead of refusing.")
    var initMissing = false

    @Option(name: .customLong("bind"), parsing: .singleValue,
            help: ArgumentHelp("Bind a symbolic dim (repeatable).", valueName: "N=8"))
    var binds: [String] = []

    @Option(help: ArgumentHelp("Float type to compute in: f32, or f64 for reference runs.", valueName: "f32|f64"))
    var dtype: String = "f32"

    @Option(help: ArgumentHelp("Write the results to a safetensors file (keys result0, result1, ...); '-' for standard output, which moves the summary lines to standard error.", valueName: "OUT.safetensors"))
    var output: String?

    @Flag(help: "Also print every value of each result.")
    var printValues = false

    @Option(help: ArgumentHelp("Where to run: code compiled by the LLVM JIT (the default with --dtype f32), or the reference interpreter (the default with --dtype f64).", valueName: "interp|jit"))
    var backend: Backend?

    @Flag(name: .shortAndLong, help: "Print the JIT compile time to standard error.")
    var verbose = false

    @Option(name: .customLong("disable-passes"), parsing: .singleValue,
            help: ArgumentHelp("Remove the named passes from the JIT's pipeline (repeatable, or a,b), e.g. to check fused against unfused results.", valueName: "a,b"))
    var disablePasses: [String] = []

    enum Backend: String, ExpressibleByArgument, CaseIterable {
        case interp, jit
    }

    func run() throws {
        try reportingErrors {
            try checkOutputs([NamedPath("--output", output)],
                             inputs: [NamedPath("FILE", file), NamedPath("--inputs", inputs), NamedPath("--params", params)])
            var module = try loadModule(file)
            // value_and_grad is expanded into generated gradient functions before running.
            try AutodiffPass().run(&module)
            guard let f = module.function(named: function) else {
                throw DriverError.noFunction(function, file: displayName(file), known: module.functions.map(\.name))
            }
            guard dtype == "f32" || dtype == "f64" else { throw DriverError.optionChoice("--dtype", choices: "f32 or f64", got: dtype) }
            let floatType: DType = dtype == "f64" ? .f64 : .f32
            let bindings = try parseBindings(binds)
            try checkBindNames(bindings, module: module, file: file)
            let args = try loadInputs(f, bindings: bindings)
            var paramValues = try initialParams(module: module, seed: seed, floatType: floatType)
            if let params {
                let given = try readVerifiedSafetensors(params)
                try checkParamsFile(given, module: module)
                for p in module.params {
                    if let t = given.tensors[p.name] { paramValues[p.name] = t }
                }
            }
            let results: [Tensor]
            switch backend ?? (floatType == .f32 ? .jit : .interp) {
            case .interp:
                results = try Interpreter(module: module, floatType: floatType)
                    .run(function: function, inputs: args, params: paramValues, bindings: bindings)
            case .jit:
                guard floatType == .f32 else {
                    throw DriverError.jitComputesInIRTypes
                }
                let all = try bindSymbols(function: f, inputs: args, given: bindings)
                // Without --disable-passes, the JIT's own default pipeline.
                let disabled = PassDebugOptions.names(disablePasses)
                let passManager = disabled.isEmpty ? nil : LoweredModule.verifying(PassManager(passes: try PassRegistry.standard.removing(
                    disabled, from: PassRegistry.standard.parsePipeline(PassRegistry.codegenPipeline))))
                let jit = try JITModule(module: module, functions: [function], options: CodegenOptions(bindings: all), passManager: passManager)
                if verbose {
                    printError("jit: compiled @\(function) in \(String(format: "%.3f", jit.compileSeconds)) s")
                }
                results = try jit.run(function: function, inputs: args, params: paramValues)
            }
            let say = StandardOutput.lines(outputs: [output])
            for (i, r) in results.enumerated() {
                say(summary("result\(i)", r))
                if printValues { say("result\(i) = \(formatValues(r))") }
            }
            if let output {
                var out = SafetensorsFile()
                for (i, r) in results.enumerated() { out.tensors["result\(i)"] = r }
                try StandardOutput.write(out, to: output, option: "--output")
            }
        }
    }

    /// A params file must hold every param the function reads (unless --init-missing): a
    /// renamed or missing tensor would otherwise be drawn at random without a word.
    /// Tensors the module does not declare are reported, not used.
    private func checkParamsFile(_ given: SafetensorsFile, module: Module) throws {
        guard let params else { return }
        let missing = module.paramsRead(by: function).filter { given.tensors[$0] == nil }
        let extra = given.order.filter { module.param(named: $0) == nil }
        if !missing.isEmpty && !initMissing {
            throw DriverError.missingParams(file: params, function: function, missing: missing, held: given.order)
        }
        if !extra.isEmpty {
            printError("vfc: warning: \(params): ignoring \(extra.count) tensor(s) the module does not declare: \(extra.prefix(5).joined(separator: ", "))\(extra.count > 5 ? ", ..." : "")")
        }
    }

    /// The bindings the JIT compiles with: --bind, plus every single-symbol dim of the
    /// arguments taken from the inputs' shapes (the JIT checks the rest).
    private func loadInputs(_ f: Function, bindings: [String: Int]) throws -> [Tensor] {
        if randomInputs {
            guard inputs == nil else { throw DriverError.exclusive("--inputs", "--random-inputs") }
            return try VFCInterpreter.randomInputs(function: f, bindings: bindings, seed: seed)
        }
        guard let inputs else {
            if f.arguments.isEmpty { return [] }
            throw DriverError.needsInputs(function: f.name, arguments: f.arguments.count)
        }
        let file = try SafetensorsFile.read(path: inputs)
        var out: [Tensor] = []
        for a in f.arguments {
            let name = f.values[a.index].name
            guard let t = file.tensors[name] else {
                throw DriverError.missingInput(file: inputs, argument: name, function: f.name, tensors: file.order)
            }
            out.append(t)
        }
        return out
    }
}

/// Parses `--bind N=8` options.
func parseBindings(_ specs: [String]) throws -> [String: Int] {
    var out: [String: Int] = [:]
    for s in specs {
        let parts = s.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, let v = Int(parts[1]), v >= 0 else {
            throw DriverError.bindSyntax(s)
        }
        if let old = out[parts[0]], old != v { throw DriverError.boundTwice(parts[0], old, v) }
        out[parts[0]] = v
    }
    return out
}

/// `result0: f32[2, 65, 128] mean=0.00123 min=-3.2 max=3.1`. Mean, min and max are over
/// the finite values; non-finite ones are counted after them (`nan=3 +inf=1`), and a
/// result with no finite value prints only the counts.
func summary(_ name: String, _ t: Tensor) -> String {
    let type = "\(t.dtype)[\(t.shape.map(String.init).joined(separator: ", "))]"
    guard t.count > 0 else { return "\(name): \(type) (empty)" }
    var sum = 0.0, lo = Double.infinity, hi = -Double.infinity
    var finite = 0, nan = 0, positive = 0, negative = 0
    t.withUnsafeBufferPointer { b in
        for x in b {
            if x.isNaN {
                nan += 1
            } else if x.isInfinite {
                if x > 0 { positive += 1 } else { negative += 1 }
            } else {
                finite += 1
                sum += x
                lo = Swift.min(lo, x)
                hi = Swift.max(hi, x)
            }
        }
    }
    let counts = [("nan", nan), ("+inf", positive), ("-inf", negative)].filter { $0.1 > 0 }.map { "\($0.0)=\($0.1)" }
    guard finite > 0 else { return "\(name): \(type) no finite values: " + counts.joined(separator: " ") }
    let stats = "mean=\(g(sum / Double(finite))) min=\(g(lo)) max=\(g(hi))"
    return "\(name): \(type) \(stats)" + (counts.isEmpty ? "" : " (of \(finite) finite values) " + counts.joined(separator: " "))
}

/// All values, flattened row-major, 9 significant digits (enough to tell f32 values apart).
func formatValues(_ t: Tensor) -> String {
    "[" + t.scalars.map { $0.isNaN ? "nan" : String(format: "%.9g", $0) }.joined(separator: ", ") + "]"
}

private func g(_ x: Double) -> String { String(format: "%.6g", x) }
