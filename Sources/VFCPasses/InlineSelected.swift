import VFCIR

extension InlinePass {
    /// Inlines, in the function named `name`, the calls that `select(call, caller, callee)`
    /// picks, binding the callee's dims as `inline` does; a picked callee's own calls are
    /// offered to `select` in turn once they are in the caller. Returns how many calls
    /// were inlined. Code generation uses it to undo fusions it has no lowering for
    /// (the fused kernels with run-time extents that have no run-time form).
    public static func inlineCalls(
        in name: String, of module: inout Module,
        where select: (_ call: Instruction, _ caller: Function, _ callee: Function) -> Bool
    ) throws(DiagnosticError) -> Int {
        guard let i = module.functionIndex(named: name) else {
            throw DiagnosticError(.unknown, "inline: no function '@\(name)'")
        }
        var inlined = 0
        for _ in 0...CallGraph.maxDepth {
            var f = module.functions[i]
            var body: [Instruction] = []
            var replaced: [ValueID: Operand] = [:]
            var changed = false
            for var inst in f.body {
                inst.operands = inst.operands.map { Function.resolve($0, replaced) }
                guard case .call(let callee) = inst.op, let j = module.functionIndex(named: callee),
                      select(inst, f, module.functions[j]) else {
                    body.append(inst)
                    continue
                }
                guard body.count + module.functions[j].body.count <= maxInstructions else {
                    throw DiagnosticError(inst.loc, "inline: inlining '@\(callee)' here makes '@\(name)' over \(maxInstructions) instructions (the inline budget)")
                }
                try inline(module.functions[j], at: inst, into: &f, &body, &replaced, module)
                changed = true
                inlined += 1
            }
            f.body = body
            f.returns = f.returns.map { Function.resolve($0, replaced) }
            module.functions[i] = f
            if !changed { return inlined }
        }
        throw DiagnosticError(.unknown, "inline: calls in '@\(name)' nest deeper than \(CallGraph.maxDepth) levels")
    }
}
