import Foundation
import Testing
import VFCCodegen
import VFCIR
import VFCInterpreter
import VFCRuntime
import VFCTensor
import VFCTestSupport

/// The largest difference between two tensors relative to each expected element, where
/// elements smaller than 10% of the expected tensor's RMS are compared against that 10%:
/// f32 sums (sgemm's dot products, reductions) carry errors proportional to the terms they
/// add, not to a result that cancels to nearly zero, so those elements are judged by the
/// scale of the tensor instead (the usual norm-wise criterion for a matrix product).
func maxRelativeDifference(_ a: Tensor, _ b: Tensor) -> Double {
    guard a.shape == b.shape else { return .infinity }
    var sumSquares = 0.0
    for i in 0..<b.count where b[flat: i].isFinite { sumSquares += b[flat: i] * b[flat: i] }
    let floor = Swift.max(0.1 * (sumSquares / Double(Swift.max(b.count, 1))).squareRoot(), 1e-30)
    var worst = 0.0
    for i in 0..<a.count {
        let x = a[flat: i], y = b[flat: i]
        if x.isNaN && y.isNaN || x == y { continue }
        if x.isNaN != y.isNaN { return .infinity }
        worst = Swift.max(worst, Swift.abs(x - y) / Swift.max(Swift.abs(y), floor))
    }
    return worst
}

/// Runs `function` through the JIT and the interpreter on the same random inputs and params
/// (f32) and returns the largest relative difference over all results.
func parity(_ module: Module, _ function: String, bindings: [String: Int], seed: UInt64 = 0) throws -> Double {
    let f = try #require(module.function(named: function))
    let inputs = try randomInputs(function: f, bindings: bindings, seed: seed)
    let params = try initialParams(module: module, seed: seed, floatType: nil)
    let expected = try Interpreter(module: module).run(function: function, inputs: inputs, params: params, bindings: bindings)
    // Uninitialised buffers hold NaN, so a kernel that skips elements cannot pass by luck.
    vfc_set_poison(1)
    let jit = try JITModule(module: module, functions: [function], options: CodegenOptions(bindings: bindings))
    let got = try jit.run(function: function, inputs: inputs, params: params)
    #expect(got.count == expected.count)
    return zip(got, expected).map { maxRelativeDifference($0, $1) }.max() ?? 0
}
