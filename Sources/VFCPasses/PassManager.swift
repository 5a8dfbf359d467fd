import VFCIR

/// An IR-to-IR transformation with a registry name (`cse`) and a one-line summary
/// (shown by `vfc opt --list-passes`).
///
/// Passes are values, not classes: a pass with options stores them as properties, and
/// `run` rewrites the module in place. A pass must leave the module verifiable with every
/// type correct; the `PassManager` checks that after each pass unless told not to.
public protocol Pass: Sendable {
    /// The name used in pipelines (`shape-infer,inline,cse`).
    static var name: String { get }
    /// One line describing what the pass does.
    static var summary: String { get }
    /// Rewrites `module`; throws located diagnostics for input it cannot handle.
    func run(_ module: inout Module) throws(DiagnosticError)
    /// Passes that exist to test the compiler itself (a pass that breaks the IR on
    /// purpose): resolvable in pipelines, left out of `--list-passes` and error listings.
    static var isTestOnly: Bool { get }
}

extension Pass {
    /// The pass's registry name, reachable through an existential (`any Pass`).
    public var name: String { Self.name }
    /// The pass's summary, reachable through an existential.
    public var summary: String { Self.summary }
    /// Ordinary passes are not test-only.
    public static var isTestOnly: Bool { false }
    /// Whether the pass is test-only, reachable through an existential.
    public var isTestOnly: Bool { Self.isTestOnly }
}

/// Runs a pipeline of passes over a module, MLIR style: the input is verified once, then
/// each pass runs, optionally followed by an IR dump and the verifier.
///
/// The CLI builds one from `--passes` and its flags:
///
///     var pm = try PassManager(pipeline: "shape-infer,inline,canonicalize,cse,dce")
///     pm.printAfterAll = printIRAfterAll
///     pm.timePasses = timePasses
///     pm.output = { FileHandle.standardError.write(Data($0.utf8)) }
///     try pm.run(&module)
public struct PassManager {
    /// The passes, in the order they run (a pass may appear more than once).
    public var passes: [any Pass]
    /// Verify after every pass (the default): a broken invariant is reported as
    /// `verification failed after <pass>: ...` at the pass that broke it, not later.
    public var verifyEach: Bool
    /// Verify the module the pipeline leaves, once after the last pass, when `verifyEach`
    /// is off: what code generation needs (every op valid and typed) for one verification
    /// instead of one per pass. A failure is reported as
    /// `verification failed after the pipeline (<passes>)`; `--verify-each` finds the pass.
    public var verifyResult = false
    /// Dump the module after every pass.
    public var printAfterAll: Bool
    /// Dump the module after the passes with these names.
    public var printAfter: Set<String>
    /// Print a table of wall time per pass after the pipeline.
    public var timePasses: Bool
    /// Receives IR dumps and the timing report, each as one complete chunk of text.
    public var output: (String) -> Void
    /// Called with the module before the first pass (step 0, named `input`) and after each
    /// pass (step k, the k-th pass's name): `--dump-dir` writes one numbered file per call.
    /// Not called for a pass that fails.
    public var observer: ((_ step: Int, _ name: String, _ module: Module) -> Void)?
    /// Called when a pass fails with an internal compiler error or leaves the module
    /// invalid, with the IR that entered it; returns where it saved the reproducer (or nil),
    /// which the error message then names. User diagnostics (bad input) never call it.
    public var reproducer: ((CrashReproducer) -> String?)?

    /// A manager running `passes` with the given options; output goes to stdout by default.
    public init(
        passes: [any Pass], verifyEach: Bool = true, printAfterAll: Bool = false,
        printAfter: Set<String> = [], timePasses: Bool = false,
        output: @escaping (String) -> Void = { print($0, terminator: "") }
    ) {
        self.passes = passes
        self.verifyEach = verifyEach
        self.printAfterAll = printAfterAll
        self.printAfter = printAfter
        self.timePasses = timePasses
        self.output = output
        self.observer = nil
        self.reproducer = nil
    }

    /// A manager for a textual pipeline (`"shape-infer,cse,dce"`) resolved in `registry`;
    /// throws a diagnostic naming the known passes when a name is unknown.
    public init(pipeline: String, registry: PassRegistry = .standard) throws(DiagnosticError) {
        self.init(passes: try registry.parsePipeline(pipeline))
    }

    /// The header line printed before each IR dump (the MLIR spelling, so tools and
    /// people used to `-mlir-print-ir-after-all` can read it).
    public static func dumpHeader(_ pass: String) -> String {
        "// -----// IR Dump After \(pass) //----- //"
    }

    /// Verifies `module` (inferring its types), then runs every pass over it.
    ///
    /// Throws the input's own diagnostics if it is invalid, a pass's diagnostics if it
    /// fails, or `verification failed after <pass>: <message>` (at the verifier's
    /// locations) if a pass left the module invalid. On failure `module` holds the IR as
    /// the failing pass left it, so a caller can still dump it.
    public func run(_ module: inout Module) throws(DiagnosticError) {
        let names = Set(passes.map(\.name))
        for p in printAfter.sorted() where !names.contains(p) {
            throw DiagnosticError(PassRegistry.pipelineLoc(column: 0), .pipeline(.printAfterNotInPipeline(p, pipeline: passes.map(\.name))))
        }
        var timings: [(String, Duration)] = []
        let clock = ContinuousClock()
        var verifyTime = Duration.zero
        let start = clock.now
        // The input is verified in place: passes rely on every value being typed.
        try Verifier.run(&module)
        verifyTime += clock.now - start
        observer?(0, "input", module)
        for (step, pass) in passes.enumerated() {
            // A value type: keeping the input costs one copy, made when the pass writes.
            let entering = reproducer == nil ? nil : module
            let t0 = clock.now
            do {
                try pass.run(&module)
            } catch {
                guard let entering, error.diagnostics.contains(where: { $0.body.isInternal || Self.isInternal($0.message) }) else { throw error }
                throw reproduce(error, pass: step, entering: entering, kind: .internalError)
            }
            timings.append((pass.name, clock.now - t0))
            if printAfterAll || printAfter.contains(pass.name) {
                output(Self.dumpHeader(pass.name) + "\n" + Printer.print(module) + "\n")
            }
            if verifyEach {
                let t1 = clock.now
                do {
                    try Self.verify(module, after: .afterPass(pass.name))
                } catch {
                    guard let entering else { throw error }
                    throw reproduce(error, pass: step, entering: entering, kind: .verificationFailure)
                }
                verifyTime += clock.now - t1
            }
            observer?(step + 1, pass.name, module)
        }
        if verifyResult && !verifyEach && !passes.isEmpty {
            let t1 = clock.now
            try Self.verify(module, after: .afterPipeline(passes.map(\.name)))
            verifyTime += clock.now - t1
        }
        if timePasses {
            output(Self.timingReport(timings, verifier: verifyTime, total: clock.now - start))
        }
    }

    /// Whether a diagnostic's text reports a bug in the compiler rather than in the input.
    /// The built-in passes say so by `Diagnostic.Message.isInternal`; a registered pass
    /// that reports in text spells it `internal error` or `internal:`.
    public static func isInternal(_ message: String) -> Bool {
        message.contains("internal error") || message.hasPrefix("internal:") || message.contains(": internal:")
    }

    /// Saves a reproducer through `reproducer` and returns `error` with a note on where.
    private func reproduce(_ error: DiagnosticError, pass step: Int, entering: Module, kind: CrashReproducer.Kind) -> DiagnosticError {
        let report = CrashReproducer(pass: passes[step].name, step: step, pipeline: passes.map(\.name), kind: kind, module: entering)
        guard let path = reproducer?(report) else { return error }
        var out = error
        if let last = out.diagnostics.indices.last {
            out.diagnostics[last].notes.append(.reproducer(path: path, command: report.command(file: path)))
        }
        return out
    }

    /// Verifies a copy, so that a pass leaving a type unset or stale is caught rather than
    /// silently repaired, and so that output does not depend on `verifyEach`.
    static func verify(_ module: Module, after context: Diagnostic.Context) throws(DiagnosticError) {
        var copy = module
        do {
            try Verifier.run(&copy)
        } catch {
            throw error.within(context)
        }
    }

    /// The `--time-passes` table: one row per pipeline entry in order, the verifier, and
    /// the total (which also covers printing and bookkeeping, so rows need not sum to it).
    static func timingReport(_ rows: [(String, Duration)], verifier: Duration, total: Duration) -> String {
        func seconds(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        let totalS = max(seconds(total), 1e-12)
        func fixed(_ x: Double, _ decimals: Int, width: Int) -> String {
            var scale = 1.0
            for _ in 0..<decimals { scale *= 10 }
            let n = Int((x * scale).rounded())
            let intPart = String(n / Int(scale))
            var frac = String(n % Int(scale))
            while frac.count < decimals { frac = "0" + frac }
            let s = intPart + "." + frac
            return String(repeating: " ", count: max(0, width - s.count)) + s
        }
        func row(_ name: String, _ d: Duration) -> String {
            let s = seconds(d)
            return "  \(fixed(s, 4, width: 9)) (\(fixed(100 * s / totalS, 1, width: 5))%)  \(name)\n"
        }
        let rule = "===" + String(repeating: "-", count: 73) + "==="
        var out = rule + "\n" + "                      ... Pass execution timing report ...\n" + rule + "\n"
        out += "  Total Execution Time: \(fixed(seconds(total), 4, width: 0)) seconds\n\n"
        out += "   ----Wall Time----  ----Name----\n"
        for (name, d) in rows { out += row(name, d) }
        out += row("(verifier)", verifier)
        out += row("Total", total)
        return out
    }
}

/// What a crash reproducer holds: the IR that entered a failing pass and the pipeline it
/// ran in. `text` is a module file whose header comment says how to rerun the failure.
public struct CrashReproducer: Sendable {
    /// How the pass failed.
    public enum Kind: String, Sendable {
        /// The pass threw an internal compiler error.
        case internalError = "internal compiler error"
        /// The verifier rejected the module the pass produced.
        case verificationFailure = "verification failed"
    }

    /// The failing pass.
    public var pass: String
    /// Its position in the pipeline (0-based).
    public var step: Int
    /// The whole pipeline, in order.
    public var pipeline: [String]
    public var kind: Kind
    /// The module as it entered the failing pass.
    public var module: Module

    public init(pass: String, step: Int, pipeline: [String], kind: Kind, module: Module) {
        self.pass = pass
        self.step = step
        self.pipeline = pipeline
        self.kind = kind
        self.module = module
    }

    /// The command that reruns the failing pass on the saved IR (verifying after it).
    public func command(file: String) -> String { "vfc opt \(file) --passes \(pass)" }

    /// The reproducer file: a header comment, then the module (which parses back).
    public func text(file: String) -> String {
        var out = "// vfc crash reproducer: \(kind.rawValue) in pass '\(pass)' (step \(step + 1) of \(pipeline.count))\n"
        out += "// pipeline: \(pipeline.joined(separator: ","))\n"
        out += "// the IR below entered '\(pass)'; reproduce with:\n"
        out += "//   \(command(file: file))\n"
        return out + Printer.print(module)
    }
}
