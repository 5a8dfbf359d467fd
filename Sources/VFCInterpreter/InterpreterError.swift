import VFCIR

/// An error of the reference interpreter: bad inputs, params or bindings, a runtime failure
/// the verifier cannot see (a `take` index out of range, a result over the allocation
/// budget), or a module that was not verified.
///
/// Printed as `FILE:LINE:COL: error: <op>: <message>` when it comes from an instruction, and
/// as `error: <message>` when it concerns the call as a whole (inputs, params, bindings).
public enum InterpreterError: Error, Sendable, LocatedError {
    /// The inputs do not fit the function's arguments.
    case binding(BindingError)
    /// An instruction (or declaration) failed; the message starts with the op name.
    case located(SourceLoc, String)
    /// The call as a whole is wrong: params, bindings, options.
    case call(String)

    /// A located error when `loc` is given, else one about the call.
    public init(_ message: String, at loc: SourceLoc? = nil) {
        self = loc.map { .located($0, message) } ?? .call(message)
    }

    /// The instruction (or argument) the error is about, when there is one.
    public var loc: SourceLoc? {
        if case .located(let loc, _) = self { return loc }
        return nil
    }

    public var message: String {
        switch self {
        case .binding(let e): return e.description
        case .located(_, let m), .call(let m): return m
        }
    }

    public var diagnostics: [Diagnostic] { loc.map { [Diagnostic($0, message)] } ?? [] }

    public var description: String {
        if let loc { return "\(loc): error: \(message)" }
        return "error: \(message)"
    }
}

/// What a kernel throws: the message only; the dispatcher adds the op name and location,
/// so kernels need not know which instruction they run for.
struct KernelError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
