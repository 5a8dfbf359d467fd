/// An error that says whether it concerns places in a source. The driver prints its
/// `diagnostics` as `FILE:LINE:COL: error: MESSAGE` lines, and an error without any as
/// `vfc: error: MESSAGE`, so no caller has to look for a location inside a message.
public protocol LocatedError: Error, CustomStringConvertible {
    /// The located diagnostics; empty for an error about no place in a source (a file, a
    /// flag, the inputs of a call).
    var diagnostics: [Diagnostic] { get }
    /// The message of an error without diagnostics (for one with them: all of them).
    var message: String { get }
}

extension DiagnosticError: LocatedError {
    public var message: String { description }
}
