import VFCIR

/// An error of the reference interpreter: bad inputs, params or bindings, a runtime failure
/// the verifier cannot see (a `take` index out of range, a result over the allocation
/// budget), or a module that was not verified.
///
/// Printed as `FILE:LINE:COL: error: <op>: <message>` when it comes from an instruction, and
/// as `error: <message>` when it concerns the call as a whole (inputs, params, bindings).
public struct InterpreterError: Error, Sendable, CustomStringConvertible {
    /// The instruction (or argument) the error is about, when there is one.
    public var loc: SourceLoc?
    /// The message, starting with the op name for instruction errors.
    public var message: String

    public init(_ message: String, at loc: SourceLoc? = nil) {
        self.loc = loc
        self.message = message
    }

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
