import VFCIR

/// `fuse-elementwise`: vertical fusion of elementwise ops into one loop (one kernel, no
/// intermediate buffers): a consumer joins its elementwise producer's kernel when both
/// have the same shape and neither kernel has an anchor (those belong to
/// `fuse-reductions` and `fuse-epilogues`, which run first in the codegen pipeline). A
/// producer whose value is also used elsewhere is fused too: the kernel stores it as one
/// of its results, which the unfused code had to do anyway.
///
/// A kernel holds at most `FusionGraph.maxKernelOps` ops: a longer chain is cut into
/// several kernels, so that compile time grows linearly with the chain.
///
/// With `explain` (`--debug-fusion`), every producer/consumer pair left in different
/// kernels is reported with the reason, whichever pass's rule left it there.
public struct FuseElementwisePass: Pass {
    public static let name = "fuse-elementwise"
    public static let summary = "fuse chains of elementwise ops into one loop (kernels @F.fused.K)"
    public var explain: (@Sendable (String) -> Void)?

    public init(explain: (@Sendable (String) -> Void)? = nil) { self.explain = explain }

    public func run(_ module: inout Module) throws(DiagnosticError) {
        FusionDriver(pass: Self.name, explain: explain).run(&module, rule: Self.fuse, fallback: Self.reason)
    }

    static func fuse(_ g: inout FusionGraph) {
        for c in g.function.body.indices where g.role(c) == .elementwise {
            for case .value(let v) in g.function.body[c].operands {
                guard let p = g.producer[v], g.root(p) != g.root(c), g.role(p) == .elementwise else { continue }
                if let a = g.anchor(of: p) ?? g.anchor(of: c) {
                    g.note(p, c, "the kernel of \(g.describe(a)) is another pass's (fuse-crop-sample, fuse-reductions, fuse-epilogues)")
                    continue
                }
                let ps = g.type(v)?.shape, cs = g.function.body[c].results.first.flatMap { g.type($0)?.shape }
                guard ps == cs else {
                    g.note(p, c, "shapes differ (\(g.type(v).map { "\($0)" } ?? "?") vs \(g.function.body[c].results.first.flatMap { g.type($0) }.map { "\($0)" } ?? "?"))")
                    continue
                }
                let size = g.members(of: p).count + g.members(of: c).count
                guard size <= FusionGraph.maxKernelOps else {
                    g.note(p, c, "the kernel would have \(size) ops, over the fused-kernel budget of \(FusionGraph.maxKernelOps)")
                    continue
                }
                _ = g.merge([p, c], producer: p, consumer: c)
            }
        }
    }

    /// Why a pair no rule looked at stays apart: the op that is not elementwise.
    static func reason(_ g: FusionGraph, _ p: Int, _ c: Int) -> String? {
        for i in [c, p] {
            if case .opaque(let why) = g.role(i) { return why }
        }
        if g.role(p).isAnchor || g.role(c).isAnchor {
            let a = g.role(p).isAnchor ? p : c
            return "\(g.describe(a)) is an anchor: only fuse-crop-sample, fuse-reductions or fuse-epilogues fuse into it"
        }
        return nil
    }
}
