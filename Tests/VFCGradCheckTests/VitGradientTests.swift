import Foundation
import Testing
import VFCGradCheck
import VFCIR
import VFCInterpreter
import VFCPasses
import VFCTensor
import VFCTestSupport

/// Two encoder blocks of IR/vit_block.ir (the second with its params renamed to
/// `blocks.1.*`) and a scalar loss: the mean of the output times fixed weights.
func twoBlockModule() throws -> Module {
    let block = try repoFile("IR/vit_block.ir").replacingOccurrences(of: "module @vit_block_micro", with: "")
    let second = block.replacingOccurrences(of: "blocks.0.", with: "blocks.1.").replacingOccurrences(of: "func @block(", with: "func @block1(")
    let loss = """
        func @loss(%z: f32[N, T, 128], %r: f32[N, T, 128]) -> f32[] {
          %a = call @block(%z)
          %b = call @block1(%a)
          %p = mul %b, %r
          %l = reduce_mean %p {axes = [0, 1, 2]}
          return %l
        }
        """
    var m = try Parser.parse(block + second + loss, file: "two_blocks.ir")
    try Verifier.run(&m)
    return m
}

@Suite struct VitGradientTests {
    /// value_and_grad through two blocks against central differences of the loss along
    /// random directions, in f64, for the input and every param of both blocks.
    @Test func twoBlockVitGradientMatchesFiniteDifferences() throws {
        let m = try twoBlockModule()
        var options = GradCheck.Options()
        options.bindings = ["N": 1, "T": 5]
        options.paramStd = 0.1
        options.directions = 2
        let report = try GradCheck.run(module: m, function: "loss", options: options)
        // The two inputs and the 12 params of each block.
        #expect(report.entries.count == 2 + 24)
        #expect(report.entries.map(\.name).contains("@blocks.1.mlp.fc2.weight"))
        for e in report.entries {
            #expect(e.maxRelativeError < 1e-6, "\(e.name): \(e.maxRelativeError)")
        }
    }

    /// The same gradient through the `value_and_grad` op and the autodiff pass, compared
    /// coordinate by coordinate with central differences on a few entries of one weight.
    @Test func valueAndGradOpMatchesFiniteDifferencesPerCoordinate() throws {
        var m = try twoBlockModule()
        var main = try Parser.parse("""
            func @main(%z: f32[N, T, 128], %r: f32[N, T, 128]) {
              %l, %g = value_and_grad @loss(%z, %r) {wrt = [@blocks.0.attn.qkv.weight]}
              return %l, %g
            }
            """, file: "main.ir")
        m.functions += main.functions
        try Verifier.run(&m)
        try AutodiffPass().run(&m)
        main = m
        var rng = RNG(seed: 5)
        let bindings = ["N": 1, "T": 3]
        let z = Tensor.randomNormal(dtype: .f64, shape: [1, 3, 128], std: 1, rng: &rng)
        let r = Tensor.randomNormal(dtype: .f64, shape: [1, 3, 128], std: 1, rng: &rng)
        var params: [String: Tensor] = [:]
        for p in m.params {
            params[p.name] = Tensor.randomNormal(dtype: .f64, shape: try #require(p.type.staticShape), std: 0.1, rng: &rng)
        }
        let interp = Interpreter(module: main, floatType: .f64)
        let out = try interp.run(function: "main", inputs: [z, r], params: params, bindings: bindings)
        let grad = out[1]
        #expect(grad.shape == [384, 128])
        let eps = 1e-6
        for index in [0, 5000, 16384 + 77, 32768 + 1000, 384 * 128 - 1] {
            var plus = params, minus = params
            plus["blocks.0.attn.qkv.weight"]![flat: index] += eps
            minus["blocks.0.attn.qkv.weight"]![flat: index] -= eps
            let lp = try interp.run(function: "loss", inputs: [z, r], params: plus, bindings: bindings)[0][flat: 0]
            let lm = try interp.run(function: "loss", inputs: [z, r], params: minus, bindings: bindings)[0][flat: 0]
            let numeric = (lp - lm) / (2 * eps)
            let analytic = grad[flat: index]
            #expect(Swift.abs(numeric - analytic) <= 1e-6 * Swift.max(Swift.abs(numeric), 1e-4), "index \(index): \(analytic) vs \(numeric)")
        }
    }
}
