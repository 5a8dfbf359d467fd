import VFCIR

extension Autodiff {
    /// The values that depend on `targets` differentiably (`active`), and for those that
    /// depend on them only through ops without a gradient, the first such op. A
    /// `stop_gradient` counts as such an op only with `stopGradientBlocks` (it asks for a zero
    /// gradient, which is no error when differentiating, but which finite differences of
    /// the function itself do not see).
    static func activity(_ f: Function, in module: Module, from targets: [GradTarget], stopGradientBlocks: Bool = false) -> (Set<ValueID>, [ValueID: Instruction]) {
        var active = Set<ValueID>()
        var params = Set<String>()
        for t in targets {
            switch t {
            case .argument(let i): active.insert(f.arguments[i])
            case .param(let p): params.insert(p)
            case .allParams: break
            }
        }
        func isActive(_ o: Operand) -> Bool {
            switch o {
            case .value(let v): return active.contains(v)
            case .param(let p): return params.contains(p)
            case .literal: return false
            }
        }
        var blockedAt: [ValueID: Instruction] = [:]
        // Params by name once: `module.param(named:)` is a linear search, and asking it
        // for every param operand of an inlined step was a few percent of the passes.
        var paramTypes: [String: TensorType] = [:]
        for p in module.params where paramTypes[p.name] == nil { paramTypes[p.name] = p.type }
        for inst in f.body {
            let ot = inst.operands.map { o -> TensorType? in
                if case .param(let p) = o { return paramTypes[p] }
                return f.type(of: o, in: module)
            }
            let rt = inst.results.compactMap { f.values[$0.index].type }
            let diff = GradRules.differentiable(inst.op, operandTypes: ot, resultTypes: rt)
            if inst.operands.indices.contains(where: { diff[$0] && isActive(inst.operands[$0]) }) {
                active.formUnion(inst.results)
                continue
            }
            // stop_gradient asks for a zero gradient: that is not a blocked path.
            if case .stopGradient = inst.op, !stopGradientBlocks { continue }
            let origins = inst.operands.compactMap { o -> Instruction? in
                if case .value(let v) = o, let b = blockedAt[v] { return b }
                return isActive(o) ? inst : nil
            }
            if let origin = origins.first {
                for r in inst.results { blockedAt[r] = origin }
            }
        }
        return (active, blockedAt)
    }

    /// For each target, the op that stops every path from it to the first result, or nil
    /// when a gradient flows (or when the result does not depend on it at all). Calls are
    /// inlined first. `vfc gradcheck` and `vfc grad` use it to leave out inputs such as
    /// boxes, which steer the computation without being differentiable (and, with
    /// `stopGradientBlocks`, inputs that reach the result only through `stop_gradient`).
    public static func blockingOps(of function: String, in module: Module, targets: [GradTarget], stopGradientBlocks: Bool = false) throws(DiagnosticError) -> [Instruction?] {
        var flat = module
        var state: [String: Bool] = [:]
        try InlinePass.inlineCalls(in: function, &flat, &state, callSite: nil)
        guard let f = flat.function(named: function) else { throw DiagnosticError(.unknown, .autodiff(.undefinedFunction(function))) }
        return targets.map { t in
            let (active, blocked) = activity(f, in: flat, from: [t], stopGradientBlocks: stopGradientBlocks)
            let outputs = f.returns.compactMap { o -> ValueID? in if case .value(let v) = o { return v } else { return nil } }
            if outputs.contains(where: { active.contains($0) }) { return nil }
            return outputs.lazy.compactMap { blocked[$0] }.first
        }
    }
}
