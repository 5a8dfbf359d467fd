import VFCIR
import VFCTensor

/// An error of the reference interpreter: bad inputs, params or bindings, a runtime failure
/// the verifier cannot see (a `take` index out of range, a result over the allocation
/// budget), or a module that was not verified.
///
/// Printed as `FILE:LINE:COL: error: <op>: <message>` when it comes from an instruction, and
/// as `error: <message>` when it concerns the call as a whole (inputs, params, bindings).
public enum InterpreterError: Error, Sendable, LocatedError {
    /// The inputs do not fit the function's arguments.
    case binding(BindingError)
    /// The instruction of `op` at `loc` failed: its kernel, its shape rule, or its callee.
    case instruction(SourceLoc, op: String, KernelError)

    // Declarations and returns, at their place in the source.
    /// A param whose type has symbols: it has no size to initialise or check.
    case symbolicParam(String, TensorType, SourceLoc)
    /// A param over the interpreter's element budget.
    case paramOverBudget(String, TensorType, SourceLoc)
    /// A value without a type: the module was not verified.
    case untypedValue(String, function: String, SourceLoc)
    /// A returned value that is not defined.
    case undefinedReturn(index: Int, function: String, SourceLoc)
    /// A returned param that is not declared.
    case unknownReturnParam(String, SourceLoc)
    /// A returned literal.
    case literalReturn(SourceLoc)

    // The call as a whole.
    /// Floats can run only in f32 or f64.
    case floatType(DType)
    /// No function `name`; `known` lists the module's.
    case noFunction(String, known: [String])
    /// Params the function reads that were not given.
    case missingParams([String])
    /// A param read but not declared: the module was not verified.
    case undeclaredParam(String)
    /// A param given with another type than its declaration (`got`: its shape, with the
    /// dtype when that differs too).
    case paramType(String, expected: TensorType, got: String)
    /// A param initialised as a copy of one that does not exist.
    case unknownCopySource(String, source: String)
    /// A value id out of range: the module was not verified.
    case undefinedValue(index: Int, function: String)
    /// Random inputs need sizes for these symbols.
    case unboundRandomInputs(function: String, symbols: [String])
    /// An argument over the interpreter's element budget (`type`: with its bound symbols).
    case argumentOverBudget(String, type: String)

    /// The instruction (or declaration) the error is about, when there is one.
    public var loc: SourceLoc? {
        switch self {
        case .instruction(let loc, _, _), .symbolicParam(_, _, let loc), .paramOverBudget(_, _, let loc),
             .untypedValue(_, _, let loc), .undefinedReturn(_, _, let loc), .unknownReturnParam(_, let loc),
             .literalReturn(let loc):
            return loc
        case .binding, .floatType, .noFunction, .missingParams, .undeclaredParam, .paramType, .unknownCopySource,
             .undefinedValue, .unboundRandomInputs, .argumentOverBudget:
            return nil
        }
    }

    public var message: String {
        switch self {
        case .binding(let e): return e.description
        case let .instruction(_, op, e): return "\(op): \(e)"
        case let .symbolicParam(p, t, _): return "param @\(p) has a symbolic type \(t)"
        case let .paramOverBudget(p, t, _): return "param @\(p): \(t) is over the interpreter's budget of \(Tensor.maxElements) elements"
        case let .untypedValue(v, f, _): return "value %\(v) of @\(f) has no type; run the verifier before interpreting"
        case let .undefinedReturn(i, f, _): return "return: value #\(i) of @\(f) is not defined"
        case let .unknownReturnParam(p, _): return "return: unknown param @\(p)"
        case .literalReturn: return "return: literal operands are not allowed"
        case .floatType(let t): return "floatType must be f32 or f64, got \(t)"
        case let .noFunction(f, known):
            return "no function @\(f) in the module (functions: \(known.isEmpty ? "none" : known.map { "@" + $0 }.joined(separator: ", ")))"
        case .missingParams(let ps): return "missing param\(ps.count == 1 ? "" : "s"): \(ps.map { "@\($0)" }.joined(separator: ", "))"
        case .undeclaredParam(let p): return "use of undeclared param @\(p); run the verifier before interpreting"
        case let .paramType(p, expected, got): return "param @\(p): expected \(expected), got \(got)"
        case let .unknownCopySource(p, source): return "param @\(p) copies unknown param @\(source)"
        case let .undefinedValue(i, f): return "function @\(f) refers to value #\(i), which does not exist"
        case let .unboundRandomInputs(f, symbols):
            return "random inputs of @\(f) need a size for \(symbols.joined(separator: ", ")) (e.g. --bind \(symbols.first ?? "N")=2)"
        case let .argumentOverBudget(a, t): return "argument %\(a): \(t) is over the interpreter's budget of \(Tensor.maxElements) elements"
        }
    }

    public var diagnostics: [Diagnostic] { loc.map { [Diagnostic($0, message)] } ?? [] }

    public var description: String {
        if let loc { return "\(loc): error: \(message)" }
        return "error: \(message)"
    }
}
