import VFCIR

/// Reverse-mode differentiation of a function into a new function of ordinary IR.
public enum Autodiff {
    /// Where the backward pass starts.
    public enum Seed: Sendable {
        /// The first result is a float scalar; its adjoint is 1 (`value_and_grad`).
        case loss
        /// One extra argument `%ct_i` per float result holds that result's adjoint (a
        /// vector-Jacobian product; `vfc gradcheck` uses it with random cotangents).
        case cotangents
    }

    /// Builds a function named `name` that returns everything `function` returns, then
    /// the gradient with respect to each of `wrt` (after `params` is expanded).
    ///
    /// Calls are inlined first. Errors are located: a target of integer type points at
    /// the argument or param, a target whose only paths to the output go through ops
    /// without a gradient points at the first such op.
    public static func gradientFunction(
        of function: String, in module: Module, wrt targets: [GradTarget], seed: Seed, name: String, at loc: SourceLoc? = nil
    ) throws(DiagnosticError) -> Function {
        var flat = module
        var state: [String: Bool] = [:]
        try InlinePass.inlineCalls(in: function, &flat, &state, callSite: loc)
        guard let f = flat.function(named: function) else {
            throw DiagnosticError(loc ?? .unknown, .autodiff(.undefinedFunction(function)))
        }
        let wrt = module.expand(targets, callee: function)
        var g = f
        g.name = name
        var seeds: [(Operand, Operand)] = []  // (forward value, its adjoint)
        var b = GradBuilder(function: g, module: flat)
        b.loc = loc ?? f.loc
        switch seed {
        case .loss:
            guard let first = f.returns.first, let t = b.type(first), t.rank == 0, t.dtype.isFloat else {
                throw DiagnosticError(loc ?? f.returnLoc, .autodiff(.lossNotScalar(function: function)))
            }
            b.name = "d_loss"
            seeds.append((first, try b.constant(1, t)))
        case .cotangents:
            for (i, r) in f.returns.enumerated() {
                guard let t = b.type(r), t.dtype.isFloat else { continue }
                let ct = b.function.addArgument(name: "ct_\(i)", type: t, loc: f.returnLoc)
                seeds.append((r, .value(ct)))
            }
        }
        try checkTargets(wrt, f, flat, loc: loc)
        var sweep = ReverseSweep(builder: b, wrt: wrt)
        try sweep.run(forward: f, seeds: seeds, explicit: targets.filter { $0 != .allParams })
        var returns = f.returns
        for t in wrt { returns.append(try sweep.gradient(of: t, in: f)) }
        g = sweep.builder.function
        g.returns = returns
        g.resultTypes = nil
        g.resultAliases = [:]  // a generated gradient function donates nothing
        return g
    }

    /// Integer targets are errors at the target; nested `value_and_grad` is refused.
    static func checkTargets(_ wrt: [GradTarget], _ f: Function, _ module: Module, loc: SourceLoc?) throws(DiagnosticError) {
        for inst in f.body {
            if case .valueAndGrad = inst.op {
                throw DiagnosticError(inst.loc, .autodiff(.nestedGradient))
            }
        }
        for t in wrt {
            switch t {
            case .argument(let i):
                guard i < f.arguments.count else {
                    throw DiagnosticError(loc ?? f.loc, .autodiff(.noArgument(function: f.name, index: i)))
                }
                let v = f.values[f.arguments[i].index]
                if let ty = v.type, !ty.dtype.isFloat {
                    throw DiagnosticError(v.loc, .autodiff(.notFloat(target: "%" + v.name, ty)))
                }
            case .param(let p):
                guard let decl = module.param(named: p) else {
                    throw DiagnosticError(loc ?? f.loc, .autodiff(.undefinedParam(p)))
                }
                if !decl.type.dtype.isFloat {
                    throw DiagnosticError(decl.loc, .autodiff(.notFloat(target: "'@\(p)'", decl.type)))
                }
            case .allParams:
                break
            }
        }
    }
}
