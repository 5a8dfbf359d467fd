/// Why a pass pipeline, the inliner or autodiff refused its input: one case per failure,
/// with the values the message names (texts in PassErrors+Description.swift). They live
/// here, beside `Diagnostic.Message` that carries them, as `ShapeError` does.

/// A pipeline option names passes that are not there (`--passes`, `--disable-passes`,
/// `--print-after`); `known` lists the registered passes.
public enum PipelineError: Error, Hashable, Sendable {
    case emptyPassName(pipeline: String, known: [String])
    case unknownPass(String, known: [String])
    case unknownDisabledPass(String, known: [String])
    /// `--print-after` names a pass the pipeline (`pipeline`, in order) does not run.
    case printAfterNotInPipeline(String, pipeline: [String])
}

/// Why a call could not be inlined.
public enum InlineError: Error, Hashable, Sendable {
    case callsTooDeep(callee: String, maxDepth: Int)
    case undefinedFunction(String)
    case recursiveCall(String)
    /// Inlining `callee` into `function` would pass the budget of `budget` instructions.
    case overBudget(callee: String, function: String, budget: Int, inlinedBefore: Int, calleeSize: Int)
    /// The call of `callee` does not fit the callee (`CallMismatch` says how).
    case callMismatch(callee: String, CallMismatch)

    /// How a call differs from its callee once inlined.
    public enum CallMismatch: Hashable, Sendable {
        case signatureCounts
        case typeOverflow(TensorType)
        case dimensionOverflow(Dim)
        case resultType(index: Int, atCall: TensorType, inlined: TensorType)
        case untypedArgument(Int)
        case argumentType(index: Int, formal: TensorType, actual: TensorType)
        case symbolConflict(String, first: Dim, second: Dim)
        case argumentDim(index: Int, formal: TensorType, actual: TensorType, dim: Int)
    }
}

/// Why a gradient could not be built.
public enum AutodiffError: Error, Hashable, Sendable {
    case undefinedFunction(String)
    /// The first result of `function` is not a float scalar.
    case lossNotScalar(function: String)
    /// `value_and_grad` of a function that itself has a `value_and_grad`.
    case nestedGradient
    case noArgument(function: String, index: Int)
    case undefinedParam(String)
    /// A target (`%x` or `@p`, as spelled) whose type is not a float type.
    case notFloat(target: String, TensorType)
    /// Op `op` stops every gradient path from `target` (as spelled) to the differentiated result.
    case noGradientPath(op: String, target: String)
}
