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
    /// link an object).
    case llvm(String)
    /// A broken invariant of vfc itself, not of its input.
    case internalError(String)
    /// A request that cannot be met: a binding, a call with the wrong inputs, an option.
    case failed(String)

    /// A failed request (`failed`), the most common kind.
    public init(_ message: String) { self = .failed(message) }

    public var diagnostics: [Diagnostic] {
        switch self {
        case .diagnostics(let e): return e.diagnostics
        case let .unsupported(loc, message): return [Diagnostic(loc, message)]
        case .llvm, .internalError, .failed: return []
        }
    }

    public var message: String {
        switch self {
        case .diagnostics(let e): return e.description
        case let .unsupported(loc, message): return Diagnostic(loc, message).description
        case .llvm(let m): return m
        case .internalError(let m): return "internal: \(m)"
        case .failed(let m): return m
        }
    }

    public var description: String { message }
}
