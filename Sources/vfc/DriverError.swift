import Foundation

/// Errors of the driver itself (files, flags, what a command was asked to do), printed as
/// `vfc: error: ...`. Each case carries the paths, options and names it is about.
enum DriverError: Error, CustomStringConvertible {
    /// `underlying` stopped the work on `subject` (a path, a flag): `SUBJECT: UNDERLYING`.
    case about(String, any Error)

    // Files.
    /// A file that cannot be read, and why.
    case unreadable(String, ReadFailure)
    /// A file that cannot be written: the system's error code.
    case unwritable(String, code: Int32)
    /// Standard output cannot be written: the system's error code.
    case standardOutputFailed(code: Int32)
    /// No such file or directory (a corpus path, a checkpoint source).
    case noSuchPath(String)
    /// A corpus without .ir files.
    case noIRFiles([String])
    /// An output that is the same file as an input.
    case outputIsInput(option: String, path: String, inputOption: String, inputPath: String)
    /// Two outputs naming one file.
    case sameOutput(option: String, path: String, otherOption: String, otherPath: String)
    /// `-` for an output that writes `what` (a directory, several files).
    case notForStandardOutput(option: String, what: String)
    /// Several outputs on standard output.
    case standardOutputTwice([String])
    /// Binary data for a terminal.
    case binaryToTerminal(option: String)
    /// An output on standard output where `--serve` answers.
    case servesOnStandardOutput(option: String)
    /// `-o` with an empty path (`noun`: file name or path).
    case emptyOutput(noun: String)
    /// An object file asked for on standard output.
    case objectToStandardOutput
    /// Source from standard input without `-o`.
    case standardInputNeedsOutput
    /// An object whose C header would have its path.
    case headerOverwritesOutput(String)

    // The module and its functions.
    /// No function `name` in `file` (`known`: the module's, when listed).
    case noFunction(String, file: String, known: [String]?)
    /// A module without entry points to compile.
    case nothingToCompile(file: String)
    /// A module without params to initialise.
    case noParams(file: String)
    /// A function with nothing to differentiate.
    case nothingToDifferentiate(function: String)
    /// A `--wrt` item that names no argument or param.
    case badWrt(String, function: String)
    /// A run's module file that cannot be read.
    case unreadableRunModule(String)
    /// A checkpoint that does not name its module.
    case checkpointWithoutModule(String)
    /// A state file given where the module (its head count) is needed.
    case stateNeedsModule(String)
    /// A run directory without a checkpoint.
    case noCheckpoint(String)

    // Inputs, params and bindings.
    /// A params file without tensors for params the function reads (`held`: what it has).
    case missingParams(file: String, function: String, missing: [String], held: [String])
    /// A function with arguments and no inputs.
    case needsInputs(function: String, arguments: Int)
    /// An inputs file without the tensor of an argument.
    case missingInput(file: String, argument: String, function: String, tensors: [String])
    /// `--bind` text that is not NAME=VALUE.
    case bindSyntax(String)
    /// A symbol bound twice to different values.
    case boundTwice(String, Int, Int)
    /// `--bind` names that are not symbolic dims of the module (`known`: those that are).
    case unknownSymbols([String], file: String, known: [String])
    /// Symbolic dims left unbound at compile time, per function.
    case unboundAtCompileTime([(function: String, symbols: [String])])

    // Options.
    /// An option given one of a fixed set of words (`choices`, as the message says them).
    case optionChoice(String, choices: String, got: String)
    /// An option out of its range (`got`: the value, when one is shown).
    case optionRange(String, requirement: String, got: String?)
    /// `MIN-MAX` option text that does not parse.
    case rangeSyntax(option: String, text: String)
    /// A `--probe` that names no probe.
    case unknownProbe(String, known: [String])
    /// A pass name `--disable-passes` does not know.
    case unknownPass(String, known: [String])
    /// A `--target-cpu` LLVM does not know.
    case unknownCPU(String)
    /// Two options that exclude each other.
    case exclusive(String, String)
    /// `--dtype f64` with the JIT backend.
    case jitComputesInIRTypes

    /// Why a file cannot be read.
    enum ReadFailure {
        case noSuchFile
        case directory
        /// Over the source-text limit (`bytes`: the file's size, when known).
        case overLimit(bytes: Int?, limitMiB: Int)
        case system(Int32)
    }

    var description: String {
        switch self {
        case let .about(subject, underlying): return "\(subject): \(underlying)"
        case let .unreadable(path, why):
            switch why {
            case .noSuchFile: return "cannot read '\(path)': no such file"
            case .directory: return "cannot read '\(path)': it is a directory"
            case let .overLimit(bytes?, limit): return "cannot read '\(path)': it has \(bytes) bytes, more than the \(limit) MiB limit for source text"
            case let .overLimit(nil, limit): return "cannot read '\(path)': more than the \(limit) MiB limit for source text (an endless input?)"
            case .system(let code): return "cannot read '\(path)': \(String(cString: strerror(code)))"
            }
        case let .unwritable(path, code): return "cannot write '\(path)': \(String(cString: strerror(code)))"
        case .standardOutputFailed(let code): return "cannot write to standard output: \(String(cString: strerror(code)))"
        case .noSuchPath(let p): return "cannot read '\(p)': no such file or directory"
        case .noIRFiles(let paths): return "no .ir files in \(paths.joined(separator: " "))"
        case let .outputIsInput(option, path, inputOption, inputPath):
            return "\(option) \(path) is the same file as the input \(inputOption) \(inputPath): refusing to overwrite it; choose another output"
        case let .sameOutput(option, path, other, otherPath):
            return "\(option) \(path) and \(other) \(otherPath) name the same file: give each output its own path"
        case let .notForStandardOutput(option, what): return "\(option) -: \(option) writes \(what), which standard output cannot hold; give a path"
        case .standardOutputTwice(let options):
            return "\(options.joined(separator: " and ")) both name standard output ('-'): at most one output can go there"
        case .binaryToTerminal(let option):
            return "\(option) -: refusing to write binary data to a terminal; redirect standard output (> FILE or | COMMAND)"
        case .servesOnStandardOutput(let option): return "\(option) -: --serve answers on standard output; give a path"
        case .emptyOutput(let noun): return "-o needs a \(noun)"
        case .objectToStandardOutput: return "-o -: an object file is binary; give a file name, or --emit llvm or asm for standard output"
        case .standardInputNeedsOutput: return "reading standard input: give the output file with -o"
        case .headerOverwritesOutput(let path):
            return "-o \(path): the output would be overwritten by its C header; give the object another extension (.o)"
        case let .noFunction(f, file, known):
            return "no function '@\(f)' in \(file)" + (known.map { " (functions: \($0.isEmpty ? "none" : $0.map { "@" + $0 }.joined(separator: ", ")))" } ?? "")
        case .nothingToCompile(let file): return "\(file) has no functions to compile"
        case .noParams(let file): return "\(file) declares no params"
        case .nothingToDifferentiate(let f): return "'@\(f)' has no float inputs or params to differentiate"
        case let .badWrt(item, f): return "--wrt: '\(item)' is not 'params', an argument of '@\(f)' (%name) or a param (@name)"
        case .unreadableRunModule(let path):
            return "cannot read '\(path)', the module the run names (a relative path is relative to where vfc train ran): give it with --ir FILE.ir"
        case .checkpointWithoutModule(let path):
            return "\(path) does not name its module (no run config in its metadata, no config.json beside it; a vfc init state?): give it with --ir FILE.ir"
        case .stateNeedsModule(let path):
            return "\(path) is a state file: give --module FILE.ir (the module it was trained with), whose attention head count config.json records"
        case .noCheckpoint(let dir): return "\(dir): no checkpoint (ckpt-*.safetensors) in the run directory"
        case let .missingParams(file, f, missing, held):
            let heldText = held.isEmpty ? "no tensors" : "tensors: " + Self.listed(held, 8)
            return "\(file): no tensor for \(missing.count) param(s) @\(f) reads: \(Self.listed(missing, 8)) "
                + "(the file holds \(heldText)); give every param, or --init-missing to initialise the missing ones from their declarations"
        case let .needsInputs(f, n): return "'@\(f)' takes \(n) argument(s): give --inputs IN.safetensors or --random-inputs"
        case let .missingInput(file, a, f, tensors):
            return "\(file): no tensor '\(a)' for argument %\(a) of '@\(f)' (tensors: \(tensors.joined(separator: ", ")))"
        case .bindSyntax(let s): return "--bind expects NAME=VALUE with a non-negative integer, got '\(s)'"
        case let .boundTwice(name, old, new): return "--bind: \(name) bound twice (\(old) and \(new))"
        case let .unknownSymbols(names, file, known):
            return "--bind \(names.joined(separator: ", ")): \(names.count == 1 ? "not a symbolic dim" : "not symbolic dims") of \(file) "
                + "(its symbolic dims: \(known.isEmpty ? "none" : known.joined(separator: ", ")))"
        case .unboundAtCompileTime(let missing):
            let all = Array(Set(missing.flatMap(\.symbols))).sorted()
            let which = missing.map { "@\($0.function) uses \($0.symbols.joined(separator: ", "))" }.joined(separator: "; ")
            return "symbolic dims must be bound at compile time: \(which); add \(all.map { "--bind \($0)=..." }.joined(separator: " "))"
        case let .optionChoice(option, choices, got): return "\(option) must be \(choices), got '\(got)'"
        case let .optionRange(option, requirement, got): return "\(option) must be \(requirement)" + (got.map { ", got \($0)" } ?? "")
        case let .rangeSyntax(option, text): return "\(option) expects MIN-MAX or a single value, got '\(text)'"
        case let .unknownProbe(name, known): return "--probe must be one of \(known.joined(separator: ", ")), all; got '\(name)'"
        case let .unknownPass(name, known): return "--disable-passes: unknown pass '\(name)' (known passes: \(known.joined(separator: ", ")))"
        case .unknownCPU(let cpu):
            return "--target-cpu: '\(cpu)' is not an x86-64 CPU LLVM knows (e.g. x86-64-v3, skylake-avx512, znver4; list: llc -mcpu=help)"
        case let .exclusive(a, b): return "\(a) and \(b) exclude each other"
        case .jitComputesInIRTypes: return "--backend jit computes in the IR's dtypes; --dtype f64 needs --backend interp"
        }
    }

    /// The first `n` items, then `...` when there are more.
    private static func listed(_ items: [String], _ n: Int) -> String {
        items.prefix(n).joined(separator: ", ") + (items.count > n ? ", ..." : "")
    }
}
