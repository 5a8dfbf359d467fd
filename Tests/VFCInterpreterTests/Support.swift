import Testing
import VFCIR
import VFCTensor
import VFCInterpreter
import VFCTestSupport

/// Runs `function` of the IR `text` and returns its results.
func run(
    _ text: String, _ function: String = "f", inputs: [Tensor] = [], params: [String: Tensor] = [:],
    bindings: [String: Int] = [:], floatType: DType? = nil
) throws -> [Tensor] {
    try Interpreter(module: verified(text), floatType: floatType)
        .run(function: function, inputs: inputs, params: params, bindings: bindings)
}

/// Runs a one-result function and returns that result.
func run1(
    _ text: String, _ function: String = "f", inputs: [Tensor] = [], params: [String: Tensor] = [:],
    bindings: [String: Int] = [:], floatType: DType? = nil
) throws -> Tensor {
    let out = try run(text, function, inputs: inputs, params: params, bindings: bindings, floatType: floatType)
    try #require(out.count == 1)
    return out[0]
}

/// A tensor written out by hand.
func T(_ shape: [Int], _ values: [Double], _ dtype: DType = .f64) -> Tensor {
    Tensor(dtype: dtype, shape: shape, scalars: values)
}

/// True when every element is within `tol` of the expected one (and the shapes agree).
func close(_ t: Tensor, _ expected: [Double], tol: Double = 1e-12) -> Bool {
    t.count == expected.count && zip(t.scalars, expected).allSatisfy { Swift.abs($0 - $1) <= tol }
}

/// The error message of `body`, which must throw an `InterpreterError`.
func interpreterError(_ body: () throws -> Void) -> String {
    do {
        try body()
    } catch let e as InterpreterError {
        return e.description
    } catch {
        return "unexpected error type: \(error)"
    }
    return "no error"
}
