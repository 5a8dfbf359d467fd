import VFCIR

/// `autodiff`: expands every `value_and_grad @f(...) {wrt = [...]}` into a call of a
/// generated function `@f.grad` (then `@f.grad.1`, ... for other `wrt` lists) that returns
/// f's results followed by the gradients, in ordinary IR that later passes (inline, cse,
/// dce, fusion) and every backend treat like any other code.
public struct AutodiffPass: Pass {
    public static let name = "autodiff"
    public static let summary = "expand value_and_grad into generated gradient functions (reverse mode)"

    public init() {}

    public func run(_ module: inout Module) throws(DiagnosticError) {
        var generated: [String: String] = [:]  // "callee|wrt" -> generated function name
        for fi in module.functions.indices {
            for ii in module.functions[fi].body.indices {
                let inst = module.functions[fi].body[ii]
                guard case .valueAndGrad(let callee, let wrt) = inst.op else { continue }
                let key = callee + "|" + wrt.map(\.description).joined(separator: ",")
                let name: String
                if let existing = generated[key] {
                    name = existing
                } else {
                    name = Self.freshName(callee + ".grad", in: module)
                    var g = try Autodiff.gradientFunction(of: callee, in: module, wrt: wrt, seed: .loss, name: name, at: inst.loc)
                    g.loc = inst.loc
                    module.functions.append(g)
                    generated[key] = name
                }
                module.functions[fi].body[ii].op = .call(callee: name)
            }
        }
        if !generated.isEmpty { try Verifier.run(&module) }
    }

    /// `base`, or `base.1`, `base.2`, ... whichever no function of `module` has.
    public static func freshName(_ base: String, in module: Module) -> String {
        var name = base
        var k = 1
        while module.function(named: name) != nil {
            name = "\(base).\(k)"
            k += 1
        }
        return name
    }
}
