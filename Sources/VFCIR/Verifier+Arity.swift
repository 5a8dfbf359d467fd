extension Verifier {
    /// The op table's operand and result counts, checked once for every op before its
    /// shape rule runs: the message names the op, what its declaration admits (with the
    /// operands' names from its syntax) and what the instruction has.
    static func arityDiagnostics(_ inst: Instruction) -> [Diagnostic] {
        let info = inst.op.code.info
        var out: [Diagnostic] = []
        let operands = inst.operands.count
        if !info.operands.admits(operands) {
            let roles = operandRoles(info)
            let shown = isExact(info.operands) && !roles.isEmpty ? " (\(roles.joined(separator: ", ")))" : ""
            out.append(Diagnostic(inst.loc, "\(info.name): expected \(counted(info.operands, "operand"))\(shown), got \(operands)"))
        }
        let results = inst.results.count
        if !info.results.admits(results) {
            out.append(Diagnostic(inst.loc, "\(info.name): gives \(counted(info.results, "result")) but \(results) name\(results == 1 ? " is" : "s are") bound"))
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

    private static func isExact(_ a: Arity) -> Bool {
        if case .exactly = a { return true }
        return false
    }

    /// `2 operands`, `1 result`, `at least 1 operand`.
    private static func counted(_ a: Arity, _ noun: String) -> String {
        switch a {
        case .exactly(let n): return "\(n) \(noun)\(n == 1 ? "" : "s")"
        case .atLeast(let n): return "at least \(n) \(noun)\(n == 1 ? "" : "s")"
        }
    }
}
