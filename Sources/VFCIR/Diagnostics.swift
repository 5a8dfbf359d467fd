/// A position in a source file (1-based line and column).
public struct SourceLoc: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// For values built in code rather than parsed.
    public static let unknown = SourceLoc(file: "<unknown>", line: 0, column: 0)

    public var description: String { "\(file):\(line):\(column)" }
}

/// One located error, printed as `FILE:LINE:COL: error: MESSAGE`.
public struct Diagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    public var loc: SourceLoc
    public var message: String

    public init(_ loc: SourceLoc, _ message: String) {
        self.loc = loc
        self.message = message
    }

    public var description: String { "\(loc): error: \(message)" }
}

/// One or more diagnostics, thrown by the parser, verifier and passes.
public struct DiagnosticError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public init(_ loc: SourceLoc, _ message: String) { diagnostics = [Diagnostic(loc, message)] }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
