extension Verifier {
    /// The op table's operand and result counts, checked once for every op before its
    /// shape rule runs: the message names the op, what its declaration admits (with the
    /// operands' names from its syntax) and what the instruction has.
    static func arityDiagnostics(_ inst: Instruction) -> [Diagnostic] {
        let info = inst.op.code.info
        var out: [Diagnostic] = []
        let operands = inst.operands.count
        if !info.operands.admits(operands) {
            out.append(Diagnostic(inst.loc, .verify(.operandCount(op: info.name, expected: info.operands, roles: operandRoles(info), got: operands))))
        }
        let results = inst.results.count
        if !info.results.admits(results) {
            out.append(Diagnostic(inst.loc, .verify(.resultArity(op: info.name, expected: info.results, bound: results))))
        }
        return out
    }

    /// The operand names of the op's syntax (`linear %x, %w, %b`: x, w, b).
    static func operandRoles(_ info: OpInfo) -> [String] {
        let head = info.syntax.split(separator: "{", maxSplits: 1).first.map(String.init) ?? info.syntax
        return head.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "(" || $0 == ")" })
            .filter { $0.hasPrefix("%") }
            .map { String($0.dropFirst()) }
    }
}
