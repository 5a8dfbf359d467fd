import Foundation
import Testing
import VFCCodegen
import VFCIR
import VFCInterpreter
import VFCTensor

/// A file of the repository, found relative to this test file.
func repoFile(_ relative: String, file: String = #filePath) throws -> String {
    let root = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
}

func verified(_ text: String, file: String = "t.ir") throws -> Module {
    var m = try Parser.parse(text, file: file)
    try Verifier.run(&m)
    return m
}

/// The largest relative difference between two tensors, with values below `floor` in
/// magnitude compared absolutely (a tolerance on elements that are nearly zero).
func maxRelativeDifference(_ a: Tensor, _ b: Tensor, floor: Double = 1e-3) -> Double {
    guard a.shape == b.shape else { return .infinity }
    var worst = 0.0
    for i in 0..<a.count {
        let x = a[flat: i], y = b[flat: i]
        if x.isNaN && y.isNaN { continue }
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
    let jit = try JITModule(module: module, functions: [function], options: CodegenOptions(bindings: bindings))
    let got = try jit.run(function: function, inputs: inputs, params: params)
    #expect(got.count == expected.count)
    return zip(got, expected).map { maxRelativeDifference($0, $1) }.max() ?? 0
}
