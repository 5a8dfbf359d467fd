import Testing
import VFCCodegen
import VFCIR
import VFCPasses
import VFCTestSupport

/// Generated gradient functions compile like any other function: the JIT agrees with the
/// interpreter on the backward pass of the ViT block and of the patch embedding. The block's
/// backward pass chains about twenty f32 matrix products (sgemm accumulates in f32, the
/// interpreter in f64), so it is held to 5e-5 rather than the forward passes' 1e-5.
@Suite struct GradientCodegenTests {
    func withVJP(_ file: String, _ function: String) throws -> Module {
        var m = try verified(try repoFile(file), file: file)
        let f = try #require(m.function(named: function))
        let floats = f.arguments.indices.filter { f.values[f.arguments[$0].index].type?.dtype.isFloat == true }
        let candidates = floats.map { GradTarget.argument($0) } + m.expand([.allParams], callee: function)
        let blockers = try Autodiff.blockingOps(of: function, in: m, targets: candidates)
        let targets = zip(candidates, blockers).filter { $0.1 == nil }.map(\.0)
        m.functions.append(try Autodiff.gradientFunction(of: function, in: m, wrt: targets, seed: .cotangents, name: function + ".vjp"))
        try Verifier.run(&m)
        return m
    }

    @Test func vitBlockBackwardPass() throws {
        let m = try withVJP("IR/vit_block.ir", "block")
        let d = try parity(m, "block.vjp", bindings: ["N": 2, "T": 17])
        #expect(d < 5e-5, "max relative difference \(d)")
    }

    @Test func patchEmbeddingBackwardPassWithTheFieldScatter() throws {
        let m = try withVJP("IR/patch_embed.ir", "embed")
        #expect(try parity(m, "embed.vjp", bindings: ["N": 2]) < 1e-5)
    }
}
