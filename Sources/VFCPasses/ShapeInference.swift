import VFCIR

/// `shape-infer`: types every value (and every function's results) by running the
/// verifier, which owns the shape rules. A pass of its own so that a pipeline can say
/// where typing happens and `--print-ir-after=shape-infer` shows the typed module.
public struct ShapeInferencePass: Pass {
    public static let name = "shape-infer"
    public static let summary = "verify the module and infer the type of every value"

    public init() {}

    public func run(_ module: inout Module) throws(DiagnosticError) {
        try Verifier.run(&module)
    }
}
