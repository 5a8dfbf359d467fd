import VFCIR

/// The named passes a pipeline can refer to.
///
/// A value, not global mutable state: `PassRegistry.standard` holds the compiler's passes,
/// and a tool or test that needs more (a test-only pass) copies it and registers them.
public struct PassRegistry: Sendable {
    /// The registered passes in registration order (the order `--list-passes` shows).
    public private(set) var passes: [any Pass]

    /// A registry holding `passes`; a later pass replaces an earlier one of the same name.
    public init(_ passes: [any Pass] = []) {
        self.passes = []
        for p in passes { register(p) }
    }

    /// Every pass the compiler ships, in the order they usually run, and the test-only
    /// passes the crash reproducer's tests use (resolvable, not listed).
    public static let standard = PassRegistry([
        ShapeInferencePass(), InlinePass(), CanonicalizePass(), CSEPass(), DCEPass(), AutodiffPass(),
        FuseCropSamplePass(), FuseReductionsPass(), FuseEpiloguesPass(), FuseElementwisePass(), FuseHorizontalPass(),
        FuseHorizontalReductionsPass(),
        TestInternalErrorPass(), TestBreakIRPass(),
    ])

    /// The standard passes by name (test-only passes left out).
    public static var all: [String: any Pass] {
        var out: [String: any Pass] = [:]
        for p in standard.passes where !p.isTestOnly { out[p.name] = p }
        return out
    }

    /// The usual clean-up pipeline (`vfc opt` itself runs only `shape-infer` by default,
    /// so that its output is the input, typed).
    public static let cleanupPipeline = "shape-infer,inline,canonicalize,cse,dce"

    /// What code generation (`vfc compile`, `vfc run`'s JIT) runs before lowering: every
    /// `value_and_grad` expanded, every call inlined, the module cleaned up, then fused
    /// (crop_sample_add's backward first, while its selects are still loose; reductions
    /// next, so that a chain feeding a softmax becomes its prologue rather than a stored
    /// matmul epilogue), and last the same-bodied independent kernels merged: the optimizer
    /// update of every parameter into multi-tensor kernels, then the full sums of the global
    /// gradient norm with their scalar tail into one multi-sum kernel.
    public static let codegenPipeline = "autodiff,inline,canonicalize,cse,dce,fuse-crop-sample,fuse-reductions,fuse-epilogues,fuse-elementwise,fuse-horizontal,fuse-horizontal-reductions"

    /// The fusion passes, for `--disable-passes` and `--debug-fusion`.
    public static let fusionPasses = [FuseCropSamplePass.name, FuseReductionsPass.name, FuseEpiloguesPass.name, FuseElementwisePass.name, FuseHorizontalPass.name,
                                      FuseHorizontalReductionsPass.name]

    /// This registry with the fusion passes reporting every unfused producer/consumer
    /// pair to `explain` (`--debug-fusion`).
    public func explainingFusion(_ explain: @escaping @Sendable (String) -> Void) -> PassRegistry {
        var r = self
        r.register(FuseCropSamplePass(explain: explain))
        r.register(FuseReductionsPass(explain: explain))
        r.register(FuseEpiloguesPass(explain: explain))
        r.register(FuseElementwisePass(explain: explain))
        r.register(FuseHorizontalPass(explain: explain))
        r.register(FuseHorizontalReductionsPass(explain: explain))
        return r
    }

    /// Adds `pass`, replacing a registered pass with the same name.
    public mutating func register(_ pass: any Pass) {
        if let i = passes.firstIndex(where: { $0.name == pass.name }) {
            passes[i] = pass
        } else {
            passes.append(pass)
        }
    }

    /// The pass registered under `name`, if any.
    public func pass(named name: String) -> (any Pass)? {
        passes.first { $0.name == name }
    }

    /// The registered names, sorted (for error messages); test-only passes left out.
    public var names: [String] { passes.filter { !$0.isTestOnly }.map(\.name).sorted() }

    /// The `--list-passes` text: one `  name  summary` line per pass, names aligned
    /// (test-only passes left out).
    public func listing() -> String {
        let listed = passes.filter { !$0.isTestOnly }
        let width = listed.map(\.name.count).max() ?? 0
        return listed.map { p in
            "  " + p.name + String(repeating: " ", count: width - p.name.count + 2) + p.summary + "\n"
        }.joined()
    }

    /// Where pipeline errors point: column `column` (1-based) of the `--passes` text.
    public static func pipelineLoc(column: Int) -> SourceLoc {
        SourceLoc(file: "<pipeline>", line: 1, column: column)
    }

    /// Resolves a comma-separated pipeline (`"shape-infer, cse,dce"`; blanks around names
    /// are ignored). An unknown or empty name is an error at its column that lists the
    /// known passes, so a typo is fixed without looking anything up.
    public func parsePipeline(_ text: String) throws(DiagnosticError) -> [any Pass] {
        var out: [any Pass] = []
        var column = 1
        for piece in text.split(separator: ",", omittingEmptySubsequences: false) {
            let leading = piece.prefix { $0 == " " || $0 == "\t" }.count
            let name = piece.trimmingBlanks()
            let at = Self.pipelineLoc(column: column + leading)
            guard !name.isEmpty else {
                throw DiagnosticError(at, .pipeline(.emptyPassName(pipeline: text, known: names)))
            }
            guard let p = pass(named: name) else {
                throw DiagnosticError(at, .pipeline(.unknownPass(String(name), known: names)))
            }
            out.append(p)
            column += piece.count + 1
        }
        return out
    }
}

extension PassRegistry {
    /// `passes` without those named in `disabled` (`--disable-passes=a,b`). Every name must
    /// be a registered pass (else an error listing the known passes); a registered pass
    /// that is not in the pipeline is simply not there to remove.
    public func removing(_ disabled: [String], from passes: [any Pass]) throws(DiagnosticError) -> [any Pass] {
        for name in disabled where pass(named: name) == nil {
            throw DiagnosticError(Self.pipelineLoc(column: 0), .pipeline(.unknownDisabledPass(name, known: names)))
        }
        let off = Set(disabled)
        return passes.filter { !off.contains($0.name) }
    }
}

extension Substring {
    /// The text without leading and trailing spaces and tabs (no Foundation needed).
    fileprivate func trimmingBlanks() -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else { return "" }
        return String(self[first...last])
    }
}
