/// The text of each verifier error, as printed after `FILE:LINE:COL: error: `.
extension VerifyError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .paramNotStatic(p, t): return "param: '@\(p)' must have a static shape, got \(t)"
        case let .copyOfUndefinedParam(p, s): return "param: '@\(p)' copies undefined parameter '@\(s)'"
        case let .copyTypeMismatch(p, pt, s, st): return "param: '@\(p)' : \(pt) copies '@\(s)' of a different type \(st)"
        case let .copyOfCopy(p, s): return "param: '@\(p)' copies '@\(s)', which is itself a copy"
        case .recursiveCall(let callee): return "call: recursive call to '@\(callee)' (recursion is not supported)"
        case let .callsTooDeep(callee, depth):
            return "call: calls nest deeper than \(depth) levels from here ('@\(callee)' is \(depth) deep; deeper call chains are not supported)"
        case let .undefinedParam(op, p): return "\(op): use of undefined parameter '@\(p)'"
        case let .useBeforeDefinition(op, v): return "\(op): operand %\(v.index) is not defined before its use"
        case let .operandCount(op, expected, roles, got):
            let shown = Self.isExact(expected) && !roles.isEmpty ? " (\(roles.joined(separator: ", ")))" : ""
            return "\(op): expected \(Self.counted(expected, "operand"))\(shown), got \(got)"
        case let .resultArity(op, expected, bound):
            return "\(op): gives \(Self.counted(expected, "result")) but \(bound) name\(bound == 1 ? " is" : "s are") bound"
        case let .resultCount(op, gives, bound): return "\(op): gives \(gives) result(s) but \(bound) name(s) are bound"
        case let .resultType(op, written, inferred): return "\(op): result type \(written) was written, but the op gives \(inferred)"
        case .literalReturn: return "return: literal operands are not allowed; use 'constant'"
        case let .returnTypes(f, declared, returned):
            return "return: function '@\(f)' declares results \(Self.shown(declared)) but returns \(Self.shown(returned))"
        case let .aliasResultOutOfRange(i, input, f, returns):
            return "return: result \(i) aliases \(input), but '@\(f)' returns \(returns) result(s)"
        case let .aliasArgumentOutOfRange(i, a, f, arguments):
            return "return: result \(i) aliases argument \(a), but '@\(f)' takes \(arguments) argument(s)"
        case let .aliasOfUndefinedParam(i, p): return "return: result \(i) aliases undefined parameter '@\(p)'"
        case let .donatedTwice(input, first, second):
            return "return: \(input) is donated to result \(first) and to result \(second); an input can be donated at most once"
        case let .aliasType(i, rt, input, it): return "return: result \(i) \(rt) cannot alias \(input) of type \(it)"
        }
    }

    private static func shown(_ ts: [TensorType]) -> String { "(" + ts.map(\.description).joined(separator: ", ") + ")" }

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
