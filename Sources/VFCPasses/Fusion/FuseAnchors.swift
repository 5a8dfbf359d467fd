import VFCIR

/// The rule `fuse-reductions` and `fuse-epilogues` share: elementwise code fused around an
/// anchor op (`FusionRole`).
///
/// - Prologue (row and reduce anchors): the elementwise ops that compute the anchor's first
///   operand, of its shape, whose values nothing else reads: the kernel recomputes them
///   each time the anchor loads an element instead of storing them.
/// - Epilogue (every anchor): elementwise ops of the anchor result's shape that read the
///   anchor's result or earlier epilogue values (and any other value of that shape): they
///   run on each result element before it is stored, and store what is used outside.
enum AnchorFusion {
    static func fuse(_ g: inout FusionGraph, anchors: (FusionRole) -> Bool, prologue: Bool) {
        for a in g.function.body.indices where anchors(g.role(a)) {
            guard g.members(of: a).count == 1 else { continue }
            if prologue { fusePrologue(&g, a) }
            fuseEpilogue(&g, a)
        }
    }

    private static func fusePrologue(_ g: inout FusionGraph, _ a: Int) {
        let inst = g.function.body[a]
        for (k, o) in inst.operands.enumerated() {
            guard case .value(let x) = o, let p = g.producer[x] else { continue }
            guard k == 0 else {
                g.note(p, a, "only the anchor's first operand takes a prologue")
                continue
            }
            guard let shape = g.type(x)?.shape else { continue }
            var set: Set<Int> = []
            var work = [p]
            while let q = work.popLast() {
                guard !set.contains(q), g.role(q) == .elementwise, g.members(of: q).count == 1 else {
                    if q == p { g.note(p, a, "the producer is not a lone elementwise op") }
                    continue
                }
                guard let r = g.function.body[q].results.first, g.type(r)?.shape == shape else {
                    if q == p { g.note(p, a, "shapes differ") }
                    continue
                }
                let outside = (g.users[r] ?? []).filter { $0 != a && !set.contains($0) }
                if !outside.isEmpty || g.returned.contains(r) {
                    let user = outside.first.map { g.describe($0) } ?? "the return"
                    g.note(q, q == p ? a : (g.users[r]?.first ?? a), "\(g.name(r)) is also used by \(user): a prologue is recomputed on load, not stored")
                    continue
                }
                set.insert(q)
                for case .value(let v) in g.function.body[q].operands {
                    if let pp = g.producer[v] { work.append(pp) }
                }
            }
            // Users are checked against the final set: drop members some non-member reads.
            var changed = true
            while changed {
                changed = false
                for q in set {
                    let r = g.function.body[q].results[0]
                    if (g.users[r] ?? []).contains(where: { $0 != a && !set.contains($0) }) {
                        set.remove(q)
                        changed = true
                    }
                }
            }
            guard !set.isEmpty else { continue }
            _ = g.merge([a] + set.sorted(), producer: p, consumer: a)
        }
    }

    private static func fuseEpilogue(_ g: inout FusionGraph, _ a: Int) {
        guard let result = g.function.body[a].results.first, let shape = g.type(result)?.shape else { return }
        // The candidates in body order, as a scan of every later op would visit them: the
        // users of the group's values, and of each op that joins it (its users come later).
        var candidates = IndexHeap()
        var queued: Set<Int> = []
        func enqueueUsers(of m: Int) {
            for r in g.function.body[m].results {
                for u in g.users[r] ?? [] where u > a && queued.insert(u).inserted { candidates.push(u) }
            }
        }
        for m in g.members(of: a) { enqueueUsers(of: m) }
        while let c = candidates.pop() {
            guard g.role(c) == .elementwise else { continue }
            for case .value(let v) in g.function.body[c].operands {
                guard let p = g.producer[v], g.root(p) == g.root(a), g.root(c) != g.root(a) else { continue }
                // Only the anchor and its epilogue: a prologue value is not stored.
                guard p == a || p > a else {
                    g.note(p, c, "a prologue value is recomputed on load, not available to the epilogue")
                    continue
                }
                guard g.members(of: c).count == 1 else {
                    g.note(p, c, "the consumer is already in another kernel")
                    continue
                }
                guard let r = g.function.body[c].results.first, g.type(r)?.shape == shape else {
                    g.note(p, c, "shapes differ: the epilogue runs over the anchor's result")
                    continue
                }
                if g.merge([a, c], producer: p, consumer: c) {
                    enqueueUsers(of: c)
                    break
                }
            }
        }
    }
}

/// `fuse-reductions`: softmax, log_softmax and layer_norm (over the last axis) and
/// reductions over trailing axes with their elementwise prologue (computed on load) and
/// epilogue (applied before the store): one row loop instead of two or three passes.
public struct FuseReductionsPass: Pass {
    public static let name = "fuse-reductions"
    public static let summary = "fuse elementwise prologues and epilogues into softmax, layer_norm and row reductions"
    public var explain: (@Sendable (String) -> Void)?

    public init(explain: (@Sendable (String) -> Void)? = nil) { self.explain = explain }

    public func run(_ module: inout Module) throws(DiagnosticError) {
        FusionDriver(pass: Self.name, explain: explain).run(&module, rule: { g in
            AnchorFusion.fuse(&g, anchors: { $0 == .rowAnchor || $0 == .reduceAnchor }, prologue: true)
        }, fallback: { _, _, _ in nil })
    }
}

/// `fuse-epilogues`: matmul and linear with their elementwise epilogue (bias add, GELU,
/// residual add, ...) applied to the sgemm output in one pass, instead of one pass per op.
public struct FuseEpiloguesPass: Pass {
    public static let name = "fuse-epilogues"
    public static let summary = "fuse elementwise epilogues (bias, GELU, residual) into matmul and linear"
    public var explain: (@Sendable (String) -> Void)?

    public init(explain: (@Sendable (String) -> Void)? = nil) { self.explain = explain }

    public func run(_ module: inout Module) throws(DiagnosticError) {
        FusionDriver(pass: Self.name, explain: explain).run(&module, rule: { g in
            AnchorFusion.fuse(&g, anchors: { $0 == .gemmAnchor }, prologue: false)
        }, fallback: { _, _, _ in nil })
    }
}
