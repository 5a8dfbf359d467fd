import ArgumentParser
import Foundation
import VFCCodegen
import VFCIR
import VFCPasses
import VFCTensor

extension EmitKind: ExpressibleByArgument {}

/// `vfc compile FILE.ir`: ahead-of-time compilation to an object file and its C header.
struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compile functions of a module ahead of time: an object file with a C header, assembly, or LLVM IR.",
        discussion: """
            Without --func, the entry points are compiled: the functions no other function calls. \
            A symbolic dim of a function's arguments that --bind leaves free (the batch size B) \
            is a run-time argument: one object serves every size (compiled with elementwise \
            fusion only, so --bind B=16 gives faster code for that size); --bind N=8 fixes a dim at \
            compile time, and every other symbolic dim must be bound. \
            Each function becomes `void vfc_NAME(const T *input..., const T *param..., T *output..., int64_t dim...)` \
            (inputs in argument order, then the params it reads in declaration order, then its \
            results, then its run-time dims), optimised at O3 for --target-cpu (default: this host's CPU; x86-64-v3 (AVX2), \
            x86-64-v4 (AVX-512) and generic (SSE2) make portable objects; any CPU LLVM knows is \
            accepted). With --emit obj (the default) the header OUT.h is written next to OUT.o: \
            besides the positional declaration it gives each function a struct of named buffers \
            and dims (vfc_NAME_args), filled by name from safetensors files with vfc_state_load \
            and called through vfc_NAME_call (Sources/VFCRuntime/include/vfc_state.h). Link the \
            object with Sources/VFCRuntime/runtime_*.c, state.c and safetensors_read.c, OpenBLAS and \
            libm. An object file cannot go to standard output (-o - needs --emit llvm or asm). \
            The same IR and flags give the same bytes.
            Examples:
              vfc compile model.ir --bind N=4              # model.o, model.h
              vfc compile IR/ssl_micro.ir -o m.o           # batch size B at run time
              vfc compile IR/ssl_micro.ir --func train_step --bind B=2 --target-cpu x86-64-v3 -o step.o
              vfc compile model.ir --bind N=4 --emit llvm -o -
              vfc compile IR/vit_block.ir --func block --bind N=1 --bind T=5
              vfc compile model.ir --bind N=4 --emit llvm -o - --print-ir-after-all --time-passes
            """)

    @Argument(help: "The .ir file ('-' for standard input, which needs -o).")
    var file: String

    @Option(name: .customLong("func"), parsing: .singleValue,
            help: ArgumentHelp("A function to compile (repeatable; default: the entry points, the functions no other function calls).", valueName: "NAME"))
    var functions: [String] = []

    @Option(name: .customLong("bind"), parsing: .singleValue,
            help: ArgumentHelp("Bind a symbolic dim (repeatable).", valueName: "N=8"))
    var binds: [String] = []

    @Option(name: .shortAndLong,
            help: ArgumentHelp("The output file (default: the input's stem with .o, .s or .ll in the current directory; '-' for standard output with llvm or asm).", valueName: "OUT"))
    var output: String?

    @Option(help: ArgumentHelp("What to write: an object file and its C header, assembly, or LLVM IR.", valueName: "obj|llvm|asm"))
    var emit: EmitKind = .obj

    @Option(help: ArgumentHelp("The CPU to generate code for (default: this host's): x86-64-v3, x86-64-v4, generic, or any CPU LLVM knows.", valueName: "CPU"))
    var targetCPU: String?

    @Flag(name: .shortAndLong, help: "Print the target and the compile time to standard error.")
    var verbose = false

    @Option(help: ArgumentHelp("The pass pipeline run before lowering.", valueName: "a,b,c"))
    var passes: String = PassRegistry.codegenPipeline

    @Flag(help: "Print what lowering emits, one 'name: value' per line (kernels, sgemm_calls, flops, bytes_moved, peak_memory_bytes, ...); the output file is written only with -o.")
    var stats = false

    @Flag(help: "Emit profiling calls around every kernel and sgemm call (vfc_prof_begin/end of the runtime; see 'vfc step --profile').")
    var profile = false

    @OptionGroup(title: "Debugging the compiler")
    var debug: PassDebugOptions

    func run() throws {
        try reportingErrors {
            let clock = ContinuousClock()
            let start = clock.now
            if output != nil || !stats {
                // Before any work: an output on the input would destroy it.
                let outPath = try outputPath()
                let headerPath = emit == .obj ? Self.headerPath(for: outPath) : nil
                try checkOutputs([NamedPath("-o", outPath), NamedPath("the C header", headerPath == outPath ? nil : headerPath)],
                                 inputs: [NamedPath("FILE", file)])
            }
            let module = try loadModule(file)
            let bindings = try parseBindings(binds)
            try checkBindNames(bindings, module: module, file: file)
            var names: [String] = []
            for f in functions where !names.contains(f) {
                guard module.function(named: f) != nil else {
                    throw DriverError.noFunction(f, file: displayName(file), known: module.functions.map(\.name))
                }
                names.append(f)
            }
            if names.isEmpty {
                names = module.entryPoints
                guard !names.isEmpty else { throw DriverError.nothingToCompile(file: displayName(file)) }
            }
            try LoweredModule.checkSymbols(names)
            if emit == .obj { try CHeader.checkNames(names) }
            // The dims of the functions' arguments that --bind leaves free are run-time
            // arguments of the compiled functions: one object serves every batch size.
            let runtimeDims = Self.hasRuntimeDims(module, names, bindings)
            try Self.checkBindings(module, names, bindings)
            if let cpu = targetCPU {
                guard !cpu.isEmpty, LoweredModule.isKnownCPU(cpu) else {
                    throw DriverError.unknownCPU(cpu)
                }
            }
            if stats && output == nil {
                // A query: the statistics only, no files in the current directory.
                let lowered = try LoweredModule(module: module, functions: names, options: CodegenOptions(targetCPU: targetCPU, bindings: bindings, profile: profile, runtimeDims: runtimeDims),
                                                passManager: try debug.passManager(passes))
                Self.printStats(lowered)
                if debug.timePasses { printError(lowered.phases.report) }
                return
            }
            let outPath = try outputPath()
            let headerPath = emit == .obj ? Self.headerPath(for: outPath) : nil
            if let headerPath, headerPath == outPath {
                throw DriverError.headerOverwritesOutput(outPath)
            }
            let options = CodegenOptions(targetCPU: targetCPU, bindings: bindings, profile: profile, runtimeDims: runtimeDims)
            let lowered = try LoweredModule(module: module, functions: names, options: options,
                                            passManager: try debug.passManager(passes))
            if stats { Self.printStats(lowered) }
            let bytes = try lowered.emit(emit)
            if debug.timePasses { printError(lowered.phases.report) }
            try Self.write(bytes, to: outPath)
            if let headerPath {
                let header = CHeader(entries: lowered.entries, options: options,
                                     objectName: URL(fileURLWithPath: outPath).lastPathComponent,
                                     headerName: URL(fileURLWithPath: headerPath).lastPathComponent,
                                     sourceName: file == "-" ? "<stdin>" : URL(fileURLWithPath: file).lastPathComponent,
                                     signatures: Self.signatures(module, names))
                try Self.write(Array(header.render().utf8), to: headerPath)
            }
            if verbose {
                let d = clock.now - start
                let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
                let cpu = targetCPU ?? "the host CPU"
                printError("vfc compile: \(names.map { "@\($0)" }.joined(separator: ", ")) for \(cpu) in \(String(format: "%.3f", seconds)) s -> \(outPath == "-" ? "<stdout>" : outPath)\(headerPath.map { ", " + $0 } ?? "")")
            }
        }
    }

    /// Every symbolic dim the functions use must be bound or be a dim of their arguments
    /// (given at each call): one error naming the others, with the flags to add.
    static func checkBindings(_ module: Module, _ names: [String], _ bindings: [String: Int]) throws {
        var missing: [(function: String, symbols: [String])] = []
        for name in names {
            guard let f = module.function(named: name) else { continue }
            let symbols = Set(f.values.flatMap { $0.type?.shape.flatMap(\.symbols) ?? [] })
            let given = argumentSymbols(f)
            let unbound = symbols.filter { bindings[$0] == nil && !given.contains($0) }.sorted()
            if !unbound.isEmpty { missing.append((name, unbound)) }
        }
        guard !missing.isEmpty else { return }
        throw DriverError.unboundAtCompileTime(missing)
    }

    /// Whether a compiled function has an argument dim that `bindings` leaves free.
    static func hasRuntimeDims(_ module: Module, _ names: [String], _ bindings: [String: Int]) -> Bool {
        names.contains { name in
            guard let f = module.function(named: name) else { return false }
            return argumentSymbols(f).contains { bindings[$0] == nil }
        }
    }

    /// The symbols in the shapes of a function's arguments.
    static func argumentSymbols(_ f: Function) -> Set<String> {
        Set(f.arguments.flatMap { f.values[$0.index].type?.shape.flatMap(\.symbols) ?? [] })
    }

    /// The source signature of each compiled function, for the header's named-buffer structs.
    static func signatures(_ module: Module, _ names: [String]) -> [String: EntrySignature] {
        var out: [String: EntrySignature] = [:]
        for name in names {
            if let f = module.function(named: name), let s = EntrySignature(f, in: module) { out[name] = s }
        }
        return out
    }

    /// `--stats`: the lines of each compiled function, after a `function: @NAME` line.
    static func printStats(_ lowered: LoweredModule) {
        for (entry, s) in zip(lowered.entries, lowered.stats) {
            print("function: @\(entry.function)")
            for line in s.lines { print(line) }
        }
    }

    /// The output path: -o, or the input's stem with the format's extension in the current
    /// directory.
    private func outputPath() throws -> String {
        if let output {
            guard !output.isEmpty else { throw DriverError.emptyOutput(noun: "file name") }
            if output == "-" && emit == .obj {
                throw DriverError.objectToStandardOutput
            }
            return output
        }
        guard file != "-" else { throw DriverError.standardInputNeedsOutput }
        let stem = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        return stem + "." + emit.fileExtension
    }

    /// `dir/model.o` -> `dir/model.h` (the extension replaced, or `.h` appended).
    static func headerPath(for output: String) -> String {
        let url = URL(fileURLWithPath: output)
        let name = url.lastPathComponent
        let stem = name.contains(".") && !name.hasPrefix(".") ? String(name[..<name.lastIndex(of: ".")!]) : name
        let dir = (output as NSString).deletingLastPathComponent
        return dir.isEmpty ? stem + ".h" : dir + "/" + stem + ".h"
    }

    /// Writes `bytes` to `path` atomically (standard output for `-`), with the system's
    /// reason on failure.
    static func write(_ bytes: [UInt8], to path: String) throws {
        if path == "-" {
            FileHandle.standardOutput.write(Data(bytes))
            return
        }
        do {
            try AtomicWrite.write(bytes, to: path)
        } catch let e as AtomicWriteError {
            throw DriverError.unwritable(path, code: e.code)
        }
    }
}
