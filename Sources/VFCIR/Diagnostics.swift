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
    /// What went wrong, without the context and notes that `message` adds.
    public var body: Message
    /// Where in the pipeline it was found, if not in the input.
    public var context: Context?
    public var notes: [Note]

    public init(_ loc: SourceLoc, _ message: String) {
        self.init(loc, .text(message))
    }

    public init(_ loc: SourceLoc, _ body: Message, context: Context? = nil, notes: [Note] = []) {
        self.loc = loc
        self.body = body
        self.context = context
        self.notes = notes
    }

    /// The text after `error: `: the context, the body, then the notes.
    public var message: String {
        (context.map { "\($0): " } ?? "") + body.description + notes.map { "; \($0)" }.joined()
    }

    public var description: String { "\(loc): error: \(message)" }

    /// The body of a diagnostic.
    public enum Message: Hashable, Sendable, CustomStringConvertible {
        case text(String)
        /// The shape rule of op `op` rejected its operands (`OP: ERROR`).
        case shapeRule(op: String, ShapeError)
        /// A pass built an op its shape rule rejects: a compiler bug
        /// (`PASS: internal error: OP: ERROR`).
        case internalShapeRule(pass: String, op: String, ShapeError)
        /// A pass found a state its own rules should have ruled out: a compiler bug
        /// (`PASS: internal error: WHAT`).
        case internalError(pass: String, String)
        /// The lexer or parser rejected the input.
        case parse(ParseError)
        /// The verifier rejected the module.
        case verify(VerifyError)
        /// A pipeline option named passes that are not there.
        case pipeline(PipelineError)
        /// A call could not be inlined.
        case inline(InlineError)
        /// A gradient could not be built.
        case autodiff(AutodiffError)

        /// Whether it reports a bug in the compiler rather than in the input.
        public var isInternal: Bool {
            switch self {
            case .text: return false
            case .shapeRule, .parse, .verify, .pipeline, .inline, .autodiff: return false
            case .internalShapeRule, .internalError: return true
            }
        }

        public var description: String {
            switch self {
            case .text(let s): return s
            case let .shapeRule(op, e): return "\(op): \(e)"
            case let .internalShapeRule(pass, op, e): return "\(pass): internal error: \(op): \(e)"
            case let .internalError(pass, what): return "\(pass): internal error: \(what)"
            case .parse(let e): return e.description
            case .verify(let e): return e.description
            case .pipeline(let e): return e.description
            case .inline(let e): return e.description
            case .autodiff(let e): return e.description
            }
        }
    }

    /// The point of a pass pipeline at which the verifier found the error.
    public enum Context: Hashable, Sendable, CustomStringConvertible {
        /// Verifying the output of one pass.
        case afterPass(String)
        /// Verifying the output of a whole pipeline (its pass names in order).
        case afterPipeline([String])

        public var description: String {
            switch self {
            case .afterPass(let p): return "verification failed after \(p)"
            case .afterPipeline(let ps): return "verification failed after the pipeline (\(ps.joined(separator: ",")))"
            }
        }
    }

    /// Something that helps the user act on the error, printed after it.
    public enum Note: Hashable, Sendable, CustomStringConvertible {
        /// A file that replays the failing pass, and the command that runs it.
        case reproducer(path: String, command: String)

        public var description: String {
            switch self {
            case let .reproducer(path, command): return "reproducer: \(path) (run: \(command))"
            }
        }
    }
}

/// One or more diagnostics, thrown by the parser, verifier and passes.
public struct DiagnosticError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public init(_ loc: SourceLoc, _ message: String) { diagnostics = [Diagnostic(loc, message)] }
    public init(_ loc: SourceLoc, _ body: Diagnostic.Message) { diagnostics = [Diagnostic(loc, body)] }

    /// The same diagnostics, each found at `context`.
    public func within(_ context: Diagnostic.Context) -> DiagnosticError {
        var out = self
        for i in out.diagnostics.indices { out.diagnostics[i].context = context }
        return out
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
