/// The texts of the pipeline, inliner and autodiff errors, after `FILE:LINE:COL: error: `.
extension PipelineError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .emptyPassName(pipeline, known):
            return "empty pass name in pipeline '\(pipeline)' (known passes: \(known.joined(separator: ", ")))"
        case let .unknownPass(name, known): return "unknown pass '\(name)' (known passes: \(known.joined(separator: ", ")))"
        case let .unknownDisabledPass(name, known):
            return "disable-passes: unknown pass '\(name)' (known passes: \(known.joined(separator: ", ")))"
        case let .printAfterNotInPipeline(name, pipeline):
            return "print-after: pass '\(name)' is not in the pipeline (\(pipeline.joined(separator: ",")))"
        }
    }
}

extension InlineError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .callsTooDeep(callee, depth): return "inline: calls nest deeper than \(depth) levels at the call of '@\(callee)'"
        case .undefinedFunction(let name): return "inline: call to undefined function '@\(name)'"
        case .recursiveCall(let name): return "inline: recursive call to '@\(name)' cannot be inlined"
        case let .overBudget(callee, function, budget, before, size):
            return "inline: inlining '@\(callee)' here makes '@\(function)' over \(budget) instructions (the inline budget); \(before) are inlined before this call and '@\(callee)' has \(size)"
        case let .callMismatch(callee, m): return "inline: call to '@\(callee)': \(m)"
        }
    }
}

extension InlineError.CallMismatch: CustomStringConvertible {
    public var description: String {
        switch self {
        case .signatureCounts: return "argument or result count differs from the callee's signature"
        case .typeOverflow(let t): return "type \(t) overflows once its symbols are bound"
        case .dimensionOverflow(let d): return "dimension \(d) overflows once its symbols are bound"
        case let .resultType(k, want, got): return "result \(k) is \(want) at the call but \(got) once inlined"
        case .untypedArgument(let k): return "argument \(k) is untyped (run shape-infer first)"
        case let .argumentType(k, formal, actual): return "argument \(k) is \(formal), got \(actual)"
        case let .symbolConflict(s, b, other): return "symbol \(s) is bound to \(b) and to \(other)"
        case let .argumentDim(k, formal, actual, d): return "argument \(k) is \(formal), got \(actual) (dim \(d))"
        }
    }
}

extension AutodiffError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .undefinedFunction(let name): return "autodiff: no function '@\(name)'"
        case .lossNotScalar(let name): return "autodiff: the first result of '@\(name)' must be a float scalar (the loss)"
        case .nestedGradient: return "value_and_grad: differentiating a function that itself takes gradients is not supported"
        case let .noArgument(name, i): return "autodiff: '@\(name)' has no argument \(i)"
        case .undefinedParam(let p): return "autodiff: no param '@\(p)'"
        case let .notFloat(target, t): return "autodiff: cannot differentiate with respect to \(target): \(t) is not a float type"
        case let .noGradientPath(op, target): return "\(op): no gradient flows through this op from \(target) to the differentiated result"
        }
    }
}
