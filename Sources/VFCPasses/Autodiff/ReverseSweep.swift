import VFCIR

/// The backward walk: activity analysis, then one pass over the forward instructions in
/// reverse, accumulating adjoints and emitting each rule's code after the forward body.
struct ReverseSweep {
    var builder: GradBuilder
    let wrt: [GradTarget]
    private var adjoint: [ValueID: Operand] = [:]
    private var paramAdjoint: [String: Operand] = [:]
    /// Values that depend differentiably on some target.
    private var active = Set<ValueID>()

    init(builder: GradBuilder, wrt: [GradTarget]) {
        self.builder = builder
        self.wrt = wrt
    }

    private var wrtParams: Set<String> {
        Set(wrt.compactMap { if case .param(let p) = $0 { return p } else { return nil } })
    }

    private func isActive(_ o: Operand) -> Bool {
        switch o {
        case .value(let v): return active.contains(v)
        case .param(let p): return wrtParams.contains(p)
        case .literal: return false
        }
    }

    private func types(_ inst: Instruction) -> ([TensorType?], [TensorType]) {
        (inst.operands.map { builder.type($0) }, inst.results.compactMap { builder.function.values[$0.index].type })
    }

    /// Forward activity of all targets together; and, for each target named explicitly,
    /// the located error when the result depends on it only through ops without a gradient.
    private mutating func analyse(_ f: Function, seeds: [(Operand, Operand)], explicit: [GradTarget]) throws(DiagnosticError) {
        for t in explicit {
            let (act, blocked) = Autodiff.activity(f, in: builder.module, from: [t])
            let outputs = seeds.compactMap { o -> ValueID? in if case .value(let v) = o.0 { return v } else { return nil } }
            if outputs.contains(where: { act.contains($0) }) { continue }
            if let blocker = outputs.lazy.compactMap({ blocked[$0] }).first {
                throw DiagnosticError(blocker.loc, .autodiff(.noGradientPath(op: blocker.op.name, target: describe(t, f))))
            }
        }
        active = Autodiff.activity(f, in: builder.module, from: wrt).0
    }

    private func describe(_ t: GradTarget, _ f: Function) -> String {
        switch t {
        case .argument(let i): return "%" + f.values[f.arguments[i].index].name
        case .param(let p): return "@" + p
        case .allParams: return "params"
        }
    }

    private mutating func accumulate(_ o: Operand, _ contribution: Operand, name: String) throws(DiagnosticError) {
        builder.name = "d_" + name
        switch o {
        case .value(let v):
            guard active.contains(v) else { return }
            adjoint[v] = try adjoint[v].map { old throws(DiagnosticError) in try builder.add(old, contribution) } ?? contribution
        case .param(let p):
            guard wrtParams.contains(p) else { return }
            paramAdjoint[p] = try paramAdjoint[p].map { old throws(DiagnosticError) in try builder.add(old, contribution) } ?? contribution
        case .literal:
            return
        }
    }

    mutating func run(forward f: Function, seeds: [(Operand, Operand)], explicit: [GradTarget]) throws(DiagnosticError) {
        try analyse(f, seeds: seeds, explicit: explicit)
        for (o, d) in seeds { try accumulate(o, d, name: "result") }
        for inst in f.body.reversed() {
            let adjs = inst.results.map { adjoint[$0] }
            guard adjs.contains(where: { $0 != nil }) else { continue }
            let (ot, rt) = types(inst)
            let diff = GradRules.differentiable(inst.op, operandTypes: ot, resultTypes: rt)
            let needs = inst.operands.indices.map { diff[$0] && isActive(inst.operands[$0]) }
            guard needs.contains(true) else { continue }
            let resultName = builder.function.values[inst.results[0].index].name
            builder.loc = inst.loc
            // Values a rule builds on the way are named after the forward op; the gradient
            // it returns for an operand is renamed d_<operand> below.
            builder.name = "bwd_" + resultName
            let ctx = VJPContext(inst: inst, operandTypes: ot, resultTypes: rt, adjoints: adjs, needs: needs)
            let firstNew = builder.function.values.count
            let contributions = try GradRules.vjp(ctx, &builder)
            for (k, o) in inst.operands.enumerated() where needs[k] {
                guard k < contributions.count, let c = contributions[k] else { continue }
                let operandName: String
                switch o {
                case .value(let v): operandName = builder.function.values[v.index].name
                case .param(let p): operandName = p
                case .literal: continue
                }
                // A value the rule just built is the gradient of this operand: name it so.
                if case .value(let v) = c, v.index >= firstNew { builder.function.values[v.index].name = "d_" + operandName }
                try accumulate(o, c, name: operandName)
            }
        }
    }

    /// The accumulated gradient of a target, or zeros when nothing flowed to it.
    mutating func gradient(of t: GradTarget, in f: Function) throws(DiagnosticError) -> Operand {
        switch t {
        case .argument(let i):
            let v = f.arguments[i]
            if let d = adjoint[v] { return d }
            builder.name = "d_" + f.values[v.index].name
            return try builder.zeros(try builder.tensorType(.value(v)))
        case .param(let p):
            if let d = paramAdjoint[p] { return d }
            builder.name = "d_" + p
            return try builder.zeros(try builder.tensorType(.param(p)))
        case .allParams:
            throw builder.internalError("'params' must be expanded before differentiation")
        }
    }
}
