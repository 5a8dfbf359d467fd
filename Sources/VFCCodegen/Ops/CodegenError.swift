import VFCIR

/// An error of code generation, by what went wrong: the module (located diagnostics of the
/// passes, or an instruction that cannot be lowered), LLVM, vfc itself, or the request (a
/// binding, a call with the wrong inputs, an option).
public enum CodegenError: Error, Sendable, LocatedError {
    /// The passes run before lowering, or the verifier after them, rejected the module.
    case diagnostics(DiagnosticError)
    /// An instruction that cannot be lowered as written, at its place in the source; the
    /// message starts with the op name.
    case unsupported(SourceLoc, String)
    /// LLVM could not do what was asked (create the JIT or a target machine, optimise,
    /// link an object, give a compiled symbol's address).
    case llvm(String)
    /// A broken invariant of vfc itself, not of its input.
    case internalError(String)

    // The module under the bindings.
    /// `symbols` of `type` (a value of `function`) have no binding.
    case unbound(function: String, symbols: [String], type: TensorType)
    /// `type` has more than `Limits.maxElements` elements under `bindings`.
    case tooManyElements(function: String, type: TensorType, bindings: [String: Int])
    /// Result `index` of `function` is a literal, which has no buffer to return.
    case literalResult(function: String, index: Int)
    /// No function of this name in the module.
    case noFunction(String)
    /// Two functions whose C symbols would be the same.
    case symbolClash(String, String, symbol: String)
    /// Two functions whose names in the C header would be the same.
    case headerClash(String, String, name: String)
    /// A matrix size of `op` over the 32-bit sizes OpenBLAS takes.
    case blasSizeLimit(op: String, size: Int)
    /// A sampling op over a field of side 0.
    case emptySampleField(op: String)

    // Calls of compiled code.
    /// `function` was not among the compiled functions.
    case notCompiled(function: String)
    /// `function` is not one of a linked session's functions.
    case notInSession(function: String)
    /// A call with `got` inputs where `function` takes `expected`.
    case inputCount(function: String, expected: Int, got: Int)
    /// A call with `got` buffers where `function` takes `expected`.
    case bufferCount(function: String, expected: Int, got: Int)
    /// A param the function reads was not given.
    case missingParam(String)
    /// A param given with another shape than the compiled one.
    case paramShape(String, expected: BufferType, got: [Int])
    /// A param that two functions of a session compiled with different types.
    case paramConflict(String, first: BufferType, function: String, other: BufferType)
    /// An input given with another shape than the compiled one.
    case inputShape(String, expected: BufferType, got: BufferType)
    /// An input bound to another function's output of a different type.
    case linkedInput(String, function: String, expected: BufferType, output: Int, of: String, got: BufferType)
    /// Output `index` of `function` does not have a buffer of its own (or does not exist).
    case noOwnOutput(function: String, index: Int)
    /// `function` has no output `index`.
    case noOutput(function: String, index: Int)
    /// A buffer whose element count overflows.
    case bufferTooLarge(BufferType)
    /// Output `index` of `function` has an element count that overflows.
    case outputTooLarge(function: String, index: Int)
    /// The runtime's pool cannot run on this many threads.
    case threads(Int)
    /// Result `index` of `function` has run-time dims and is donated to a param.
    case donatedRuntimeResult(function: String, index: Int)
    /// `op` has a run-time lowering only for the shapes `restriction` names.
    case runtimeRestricted(op: String, RuntimeRestriction)
    /// `name` of `function` uses dims that no argument's shape gives.
    case foreignDims(function: String, name: String, type: TensorType, dims: [String])
    /// A call passed `got` run-time dims to a function that takes `expected`.
    case dimCount(function: String, expected: Int, got: Int)
    /// No input's shape gives the run-time dim `dim` of `function`.
    case dimNotGiven(function: String, dim: String)
    /// Input `name` does not have the shape the dims read off the inputs give it.
    case inputDims(String, expected: BufferType, dims: [(String, Int)], got: [Int])

    public var diagnostics: [Diagnostic] {
        switch self {
        case .diagnostics(let e): return e.diagnostics
        case let .unsupported(loc, message): return [Diagnostic(loc, message)]
        default: return []
        }
    }

    public var message: String {
        switch self {
        case .diagnostics(let e): return e.description
        case let .unsupported(loc, message): return Diagnostic(loc, message).description
        case .llvm(let m): return m
        case .internalError(let m): return "internal: \(m)"
        case let .unbound(f, symbols, t):
            return "'@\(f)': symbol \(symbols.joined(separator: ", ")) of \(t) is not bound; pass a binding (e.g. --bind \(symbols.first ?? "N")=...)"
        case let .tooManyElements(f, t, bindings):
            let bound = bindings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            return "'@\(f)': \(t) with \(bound) has more than \(Limits.maxElements) elements"
        case let .literalResult(f, i): return "'@\(f)': result \(i) is a literal"
        case .noFunction(let f): return "no function '@\(f)' in the module"
        case let .symbolClash(a, b, s): return "'@\(a)' and '@\(b)' would both define the C symbol \(s); rename one of them"
        case let .headerClash(a, b, name): return "'@\(a)' and '@\(b)' would both declare \(name) in the C header; rename one of them"
        case let .blasSizeLimit(op, s): return "\(op): size \(s) is over OpenBLAS's 32-bit limit"
        case .emptySampleField(let op): return "\(op): cannot sample an empty field (side 0)"
        case .notCompiled(let f): return "'@\(f)' was not compiled"
        case .notInSession(let f): return "'@\(f)' is not a function of this session"
        case let .inputCount(f, expected, got): return "'@\(f)' takes \(expected) input(s), got \(got)"
        case let .bufferCount(f, expected, got): return "'@\(f)' takes \(expected) buffers, got \(got)"
        case .missingParam(let p): return "missing param @\(p)"
        case let .paramShape(p, expected, got): return "param @\(p): expected \(expected), got \(got)"
        case let .paramConflict(p, first, f, other): return "param @\(p) is \(first) in one function and \(other) in @\(f)"
        case let .inputShape(a, expected, got): return "input %\(a): compiled for \(expected), got \(got)"
        case let .linkedInput(a, f, expected, i, g, got):
            return "input %\(a) of @\(f) is \(expected), output \(i) of @\(g) is \(got)"
        case let .noOwnOutput(f, i): return "@\(f) has no output \(i) with a buffer of its own"
        case let .noOutput(f, i): return "@\(f) has no output \(i)"
        case .bufferTooLarge(let b): return "buffer \(b) is too large"
        case let .outputTooLarge(f, i): return "output \(i) of @\(f) is too large"
        case .threads(let n): return "cannot run on \(n) threads (at most the runtime's maximum)"
        case let .donatedRuntimeResult(f, i): return "'@\(f)': result \(i) has run-time dims and is donated; bind its dims with --bind"
        case let .runtimeRestricted(op, r): return "\(op) with run-time dims: \(r); bind the dims (--bind)"
        case let .foreignDims(f, name, t, dims):
            return "'@\(f)': \(name) of type \(t) has dim \(dims.joined(separator: ", ")), which is not a dim of any argument; bind it (e.g. --bind \(dims.first ?? "N")=...)"
        case let .dimCount(f, expected, got): return "'@\(f)' takes \(expected) run-time dim(s), got \(got)"
        case let .dimNotGiven(f, d): return "'@\(f)': the inputs' shapes do not give the dim \(d)"
        case let .inputDims(a, expected, dims, got):
            return "input %\(a): expected \(expected) (\(dims.map { "\($0.0)=\($0.1)" }.joined(separator: ", "))), got \(got)"
        }
    }

    public var description: String { message }
}

/// The shapes an op's run-time lowering is limited to.
public enum RuntimeRestriction: Sendable, CustomStringConvertible {
    case lastAxisOnly, batchAxisOnly, boxCountOnly, fixedLastAxis

    public var description: String {
        switch self {
        case .lastAxisOnly: return "only along the last axis"
        case .batchAxisOnly: return "only the batch axis may be a dim"
        case .boxCountOnly: return "only the boxes' count may be a dim"
        case .fixedLastAxis: return "only with a fixed last axis"
        }
    }
}

/// A dtype with a static shape, as errors print it (`f32[2, 3]`).
public struct BufferType: Sendable, Hashable, CustomStringConvertible {
    public var dtype: DType
    public var shape: [Int]

    public init(_ dtype: DType, _ shape: [Int]) {
        self.dtype = dtype
        self.shape = shape
    }

    public var description: String { "\(dtype)\(shape)" }
}
