import Testing
import VFCCodegen
import VFCIR
import VFCInterpreter
import VFCPasses
import VFCTensor
import VFCTestSupport

/// The backward of crop_sample_add as one kernel (`fuse-crop-sample`): the fused JIT code
/// against the interpreter and against the unfused JIT code, on boxes inside, across and
/// outside the source (`VisionParityTests.boxes`), random flips and masks.
@Suite struct CropSampleFusionTests {
    /// A loss through crop_sample_add on a patch-embedding linear, in `dtype`, with a
    /// `side` x `side` field, and its gradient function `@f.grad` (every float argument).
    /// The 7 x 16 samples make 448 cell contributions: more than a 16 x 16 field has cells
    /// (many cells summed from several samples in the f64 accumulator), fewer than a
    /// 40 x 40 one (most cells' single contribution rounded straight into the result).
    static func module(_ dtype: String, side: Int = 16) throws -> Module {
        var m = try verified("""
            func @f(%p: \(dtype)[7, 16, 6], %we: \(dtype)[D, 6], %be: \(dtype)[D], %field: \(dtype)[\(side), \(side), D], %flips: u8[7], %mc: u8[7, 16], %mt: \(dtype)[D], %mp: u8[7, 16], %pt: \(dtype)[D], %w: \(dtype)[7, 16, D]) -> \(dtype)[] {
              %boxes = constant {value = \(VisionParityTests.boxes)} : \(dtype)[7, 4]
              %x = linear %p, %we, %be
              %z = crop_sample_add %x, %field, %boxes, %flips, %mc, %mt, %mp, %pt {grid = 4, source = 64}
              %t = tanh %z
              %y = mul %t, %w
              %s = reduce_sum %y {axes = [0, 1, 2]}
              return %s
            }
            """)
        m.functions.append(try Autodiff.gradientFunction(
            of: "f", in: m, wrt: [0, 1, 2, 3, 6, 8].map { .argument($0) }, seed: .loss, name: "f.grad"))
        try Verifier.run(&m)
        return m
    }

    static var unfused: PassManager {
        PassManager(passes: (try? PassRegistry.standard.removing(
            [FuseCropSamplePass.name], from: PassRegistry.standard.parsePipeline(PassRegistry.codegenPipeline))) ?? [])
    }

    /// D = 5 (one partial channel slice), 32 (one full), 70 (two slices of 40 and 30, run in
    /// parallel); fields of side 16 and 40 (see `module`).
    @Test(arguments: [("f32", 5, 16), ("f32", 32, 40), ("f32", 70, 16), ("f32", 70, 40), ("f64", 5, 40), ("f64", 70, 16)])
    func fusedBackwardMatchesTheInterpreter(dtype: String, depth: Int, side: Int) throws {
        let m = try Self.module(dtype, side: side)
        for seed: UInt64 in [1, 2] {
            #expect(try parity(m, "f.grad", bindings: ["D": depth], seed: seed) < 1e-5)
        }
    }

    @Test func fusedAndUnfusedAgreeWithFewerKernelsAndBytes() throws {
        let m = try Self.module("f32")
        let options = CodegenOptions(bindings: ["D": 70])
        let fused = try LoweredModule(module: m, functions: ["f.grad"], options: options).stats[0]
        let plain = try LoweredModule(module: m, functions: ["f.grad"], options: options, passManager: Self.unfused).stats[0]
        // Unfused, fuse-elementwise already puts the selects into the loop computing the
        // gradient (tanh's backward); the three token sums (with the bias gradient), the
        // two mask broadcasts and the scatter are one kernel each. Fused: one in all.
        #expect(fused.kernels == plain.kernels - 5, "\(fused.kernels) vs \(plain.kernels)")
        #expect(fused.bytesMoved < plain.bytesMoved)
        #expect(fused.flops == plain.flops)
        let f = try #require(m.function(named: "f.grad"))
        let inputs = try randomInputs(function: f, bindings: ["D": 70], seed: 3)
        let a = try JITModule(module: m, functions: ["f.grad"], options: options).run(function: "f.grad", inputs: inputs, params: [:])
        let b = try JITModule(module: m, functions: ["f.grad"], options: options, passManager: Self.unfused)
            .run(function: "f.grad", inputs: inputs, params: [:])
        #expect(a.count == b.count)
        for (x, y) in zip(a, b) { #expect(maxRelativeDifference(x, y) < 1e-5) }
        // Same inputs, same results: every element is summed in a fixed order.
        let again = try JITModule(module: m, functions: ["f.grad"], options: options).run(function: "f.grad", inputs: inputs, params: [:])
        for (x, y) in zip(a, again) { #expect(x == y) }
    }

    @Test func thePassGroupsTheWholeBackwardIntoOneKernel() throws {
        var m = try Self.module("f32")
        try PassManager(pipeline: "inline,canonicalize,cse,dce,fuse-crop-sample").run(&m)
        let kernels = m.functions.filter { $0.name.hasPrefix("f.grad.fused.") }
        #expect(kernels.count == 1)
        #expect(kernels.first?.fusionKind == .cropSample)
        let ops = kernels.first?.body.map(\.op.name) ?? []
        #expect(ops.filter { $0 == "select" }.count == 4)
        #expect(ops.filter { $0 == "reduce_sum" }.count == 3)
        #expect(ops.filter { $0 == "broadcast" }.count == 2)
        #expect(ops.contains("crop_sample_grad"))
        let caller = try #require(m.function(named: "f.grad"))
        #expect(!caller.body.contains { if case .cropSampleGrad = $0.op { return true } else { return false } })
        #expect(!caller.body.contains { $0.op == .select })
    }
}
