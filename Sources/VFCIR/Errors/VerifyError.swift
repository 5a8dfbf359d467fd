/// Why the verifier rejected a module (other than a shape rule's `ShapeError`): one case
/// per failure, carrying the names and types the message shows. The location is the
/// diagnostic's (`Diagnostic.Message.verify`); the text is in VerifyError+Description.swift.
public enum VerifyError: Error, Hashable, Sendable {
    // MARK: params

    /// A `param` whose type has symbolic dims.
    case paramNotStatic(param: String, TensorType)
    /// `copy(@source)` naming no param.
    case copyOfUndefinedParam(param: String, source: String)
    case copyTypeMismatch(param: String, TensorType, source: String, TensorType)
    /// `copy(@source)` where `@source` is itself initialised by a copy.
    case copyOfCopy(param: String, source: String)

    // MARK: calls

    case recursiveCall(callee: String)
    /// A call whose callee's chain of calls is `maxDepth` deep already.
    case callsTooDeep(callee: String, maxDepth: Int)

    // MARK: instructions

    /// Op `op` (or `return`) uses a param that is not declared.
    case undefinedParam(op: String, String)
    /// Op `op` (or `return`) uses a value not yet defined at that point.
    case useBeforeDefinition(op: String, ValueID)
    /// The op's declaration admits `expected` operands (named `roles` in its syntax).
    case operandCount(op: String, expected: Arity, roles: [String], got: Int)
    /// The op's declaration admits `expected` results; `bound` names were written.
    case resultArity(op: String, expected: Arity, bound: Int)
    /// The shape rule gave `gives` results; `bound` names were written.
    case resultCount(op: String, gives: Int, bound: Int)
    /// A result type written in the source that differs from the inferred one.
    case resultType(op: String, written: TensorType, inferred: TensorType)

    // MARK: return and donated results

    case literalReturn
    case returnTypes(function: String, declared: [TensorType], returned: [TensorType])
    /// Result `result` is donated from `input` (as spelled), but there are only `returns` results.
    case aliasResultOutOfRange(result: Int, input: String, function: String, returns: Int)
    case aliasArgumentOutOfRange(result: Int, argument: Int, function: String, arguments: Int)
    case aliasOfUndefinedParam(result: Int, String)
    /// One input donated to two results.
    case donatedTwice(input: String, first: Int, second: Int)
    case aliasType(result: Int, TensorType, input: String, TensorType)
}
