import VFCIR

/// `fuse-crop-sample`: the backward of crop_sample_add as one kernel.
///
/// Autodiff writes the adjoint of `crop_sample_add` as primitive ops on the upstream
/// gradient G [N, T, D] (`GradRules.cropSampleAddVJP`; they stay the reference semantics):
/// ```
/// %mc = broadcast %content_mask {dims = [0, 1]}     %mp = broadcast %position_mask ...
/// %dx = select %mc, 0, %G                           %dpe = select %mp, 0, %G
/// %dm = reduce_sum (select %mc, %G, 0) {axes = [0, 1]}
/// %dp = reduce_sum (select %mp, %G, 0) {axes = [0, 1]}
/// %df = crop_sample_grad %dpe, %boxes, %flips
/// ```
/// Unfused that is up to eight passes over G-sized tensors plus a scatter into an
/// f64 copy of the whole field. This pass groups them into one kernel `@F.fused.K`
/// anchored on the `crop_sample_grad` (`FusionRole.cropAnchor`): the anchor, the select
/// producing its operand, every select of G by a per-token mask, the leading-axes
/// reduce_sum of such a select, and the mask broadcasts only the group reads. The code
/// generator (`Lowering+CropSampleKernel.swift`) computes all of the kernel's results in
/// one pass over G. Any part of the pattern may be missing (a lone crop_sample_grad is
/// left alone: it is one kernel already).
public struct FuseCropSamplePass: Pass {
    public static let name = "fuse-crop-sample"
    public static let summary = "fuse the backward of crop_sample_add (masked selects, token sums, field scatter) into one kernel"
    public var explain: (@Sendable (String) -> Void)?

    public init(explain: (@Sendable (String) -> Void)? = nil) { self.explain = explain }

    public func run(_ module: inout Module) throws(DiagnosticError) {
        FusionDriver(pass: Self.name, explain: explain).run(&module, rule: Self.fuse, fallback: { _, _, _ in nil })
    }

    static func fuse(_ g: inout FusionGraph) {
        for a in g.function.body.indices {
            guard case .cropSampleGrad = g.function.body[a].op, g.members(of: a).count == 1,
                  case .value(let d)? = g.function.body[a].operands.first, let shape = g.type(d)?.shape, shape.count == 3 else { continue }
            // The kernel's lowering writes the field gradient into a result: a dead one
            // (left for dce) stays unfused.
            let field = g.function.body[a].results[0]
            guard !(g.users[field] ?? []).isEmpty || g.returned.contains(field) else { continue }
            // The upstream gradient: what the anchor's masked operand selects from.
            var gradient = d
            var group = [a]
            if let p = g.producer[d], g.members(of: p).count == 1, let (_, x) = maskedSelect(g, p, shape: shape) {
                gradient = x
                group.append(p)
            }
            // Every masked select of the gradient, and a token sum of it.
            for u in g.users[gradient] ?? [] where !group.contains(u) && g.members(of: u).count == 1 {
                guard maskedSelect(g, u, shape: shape)?.1 == gradient else { continue }
                group.append(u)
                let r = g.function.body[u].results[0]
                for s in g.users[r] ?? [] where g.members(of: s).count == 1 && isTokenSum(g, s) { group.append(s) }
            }
            guard group.count > 1 else { continue }
            // Mask broadcasts that only the group reads are computed per token in the kernel
            // (never stored); one also used elsewhere stays out, as a [N, T, D] input.
            for m in group {
                guard case .select = g.function.body[m].op, case .value(let c) = g.function.body[m].operands[0],
                      let b = g.producer[c], isTokenBroadcast(g, b, shape: shape), !group.contains(b) else { continue }
                if (g.users[c] ?? []).allSatisfy(group.contains), !g.returned.contains(c) { group.append(b) }
            }
            // Each member joins on its own, so a member that would close a cycle between
            // kernels stays out (and is reported) instead of blocking the rest.
            for m in group.dropFirst() { _ = g.merge([a, m], producer: m, consumer: a) }
        }
    }

    /// `select %m, %x, lit` or `select %m, lit, %x` of shape `shape` whose condition is a
    /// token mask (a broadcast along the last axis, or any value of the shape): the mask and x.
    static func maskedSelect(_ g: FusionGraph, _ i: Int, shape: [Dim]) -> (ValueID, ValueID)? {
        let inst = g.function.body[i]
        guard case .select = inst.op, let r = inst.results.first, g.type(r)?.shape == shape,
              case .value(let m) = inst.operands[0], g.type(m)?.shape == shape else { return nil }
        switch (inst.operands[1], inst.operands[2]) {
        case (.value(let x), .literal), (.literal, .value(let x)):
            return g.type(x)?.shape == shape ? (m, x) : nil
        default:
            return nil
        }
    }

    /// `broadcast %mask {shape, dims = [0, 1]}` of a rank-2 [N, T] value to `shape` [N, T, D].
    static func isTokenBroadcast(_ g: FusionGraph, _ i: Int, shape: [Dim]) -> Bool {
        let inst = g.function.body[i]
        guard case .broadcast(let to, let dims) = inst.op, to == shape, dims == [0, 1],
              case .value(let m) = inst.operands[0], let ms = g.type(m)?.shape else { return false }
        return ms == Array(shape.prefix(2))
    }

    /// `reduce_sum %x {axes = [0, 1]}` of a rank-3 value (the token gradients' sum over every
    /// view and position), without kept dims.
    static func isTokenSum(_ g: FusionGraph, _ i: Int) -> Bool {
        let inst = g.function.body[i]
        guard case .reduce(.sum, let axes, let keep) = inst.op, !keep, case .value(let x) = inst.operands[0],
              let rank = g.type(x)?.rank, rank == 3 else { return false }
        return Set(axes.map { $0 < 0 ? $0 + rank : $0 }) == [0, 1]
    }
}
