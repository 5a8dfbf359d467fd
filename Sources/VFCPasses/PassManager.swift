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
}

extension Pass {
    /// The pass's registry name, reachable through an existential (`any Pass`).
    public var name: String { Self.name }
    /// The pass's summary, reachable through an existential.
    public var summary: String { Self.summary }
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
    /// Dump the module after every pass.
    public var printAfterAll: Bool
    /// Dump the module after the passes with these names.
    public var printAfter: Set<String>
    /// Print a table of wall time per pass after the pipeline.
    public var timePasses: Bool
    /// Receives IR dumps and the timing report, each as one complete chunk of text.
    public var output: (String) -> Void

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
            throw DiagnosticError(PassRegistry.pipelineLoc(column: 0),
                                  "print-after: pass '\(p)' is not in the pipeline (\(passes.map(\.name).joined(separator: ",")))")
        }
        var timings: [(String, Duration)] = []
        let clock = ContinuousClock()
        var verifyTime = Duration.zero
        let start = clock.now
        // The input is verified in place: passes rely on every value being typed.
        try Verifier.run(&module)
        verifyTime += clock.now - start
        for pass in passes {
            let t0 = clock.now
            try pass.run(&module)
            timings.append((pass.name, clock.now - t0))
            if printAfterAll || printAfter.contains(pass.name) {
                output(Self.dumpHeader(pass.name) + "\n" + Printer.print(module) + "\n")
            }
            if verifyEach {
                let t1 = clock.now
                try Self.verify(module, after: pass.name)
                verifyTime += clock.now - t1
            }
        }
        if timePasses {
            output(Self.timingReport(timings, verifier: verifyTime, total: clock.now - start))
        }
    }

    /// Verifies a copy, so that a pass leaving a type unset or stale is caught rather than
    /// silently repaired, and so that output does not depend on `verifyEach`.
    static func verify(_ module: Module, after pass: String) throws(DiagnosticError) {
        var copy = module
        do {
            try Verifier.run(&copy)
        } catch {
            throw DiagnosticError(error.diagnostics.map {
                Diagnostic($0.loc, "verification failed after \(pass): \($0.message)")
            })
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
