import Foundation
import Testing
import VFCCodegen
import VFCIR
import VFCPasses
import VFCInterpreter
import VFCTensor
import VFCTestSupport

/// Donated results (`-> f32[N] aliases %p`): the entry takes no output buffer for them and
/// writes them into the donated input or param; the JIT's results equal the interpreter's.
@Suite struct DonationTests {
    /// The module with every length `n` (params have static shapes).
    static func source(_ n: Int) -> String { template.replacingOccurrences(of: "[N]", with: "[\(n)]") }

    static let template = """
        param @w : f32[N] = normal(1)
        param @m : f32[N] = normal(1)
        // An AdamW-like update, donated argument: computed straight into %p.
        func @step(%p: f32[N], %g: f32[N]) -> (f32[N] aliases %p, f32[]) {
          %u = mul %g, 0.01
          %d = mul %p, 0.001
          %v = add %u, %d
          %n = sub %p, %v
          %l = reduce_sum %g {axes = [0]}
          return %n, %l
        }
        // The same with the parameter donated.
        func @step_param(%g: f32[N]) -> f32[N] aliases @w {
          %u = mul %g, 0.01
          %n = sub @w, %u
          return %n
        }
        // %p is read after the producer of the donated result: the copy path.
        func @step_read_after(%p: f32[N], %g: f32[N]) -> (f32[N] aliases %p, f32[N]) {
          %u = mul %g, 0.01
          %n = sub %p, %u
          %r = mul %p, %n
          return %n, %r
        }
        // @w is returned as another result too, and the producer is not elementwise.
        func @param_returned(%g: f32[N]) -> (f32[N] aliases @w, f32[N], f32[N] aliases @m) {
          %n = sub @w, %g
          %s = softmax @m {axis = 0}
          return %n, @w, %s
        }
        // Results swapped between two donated inputs, and one returned as is.
        func @swap(%a: f32[N], %b: f32[N], %c: f32[N]) -> (f32[N] aliases %a, f32[N] aliases %b, f32[N] aliases %c) {
          return %b, %a, %c
        }
        // A param that is only donated to, not read.
        func @reset() -> f32[N] aliases @m {
          %z = constant {value = 0.5} : f32[N]
          return %z
        }
        """

    static let functions = ["step", "step_param", "step_read_after", "param_returned", "swap", "reset"]

    @Test(arguments: [7, 40_000]) func jitEqualsInterpreter(n: Int) throws {
        let m = try verified(Self.source(n))
        for f in Self.functions {
            // Exact elementwise arithmetic on both sides, except the f32 sum and softmax.
            #expect(try parity(m, f, bindings: [:]) < 1e-5, "@\(f) with N=\(n)")
        }
    }

    @Test func entryPointsTakeNoDonatedOutputBuffer() throws {
        let l = try LoweredModule(module: try verified(Self.source(8)), options: CodegenOptions())
        let step = try #require(l.entries.first { $0.function == "step" })
        #expect(step.outputs.map(\.aliasOf) == ["p", nil])
        #expect(step.outputs.map(\.aliasIndex) == [0, nil])
        #expect(step.buffers.map(\.name) == ["p", "g", "result1"])
        let param = try #require(l.entries.first { $0.function == "step_param" })
        #expect(param.params.map(\.name) == ["w"])
        #expect(param.outputs[0].aliasOf == "w" && param.outputs[0].aliasIndex == 1)
        #expect(param.buffers.count == 2)
        let reset = try #require(l.entries.first { $0.function == "reset" })
        #expect(reset.params.map(\.name) == ["m"])
        #expect(reset.buffers.map(\.name) == ["m"])
        let both = try #require(l.entries.first { $0.function == "param_returned" })
        #expect(both.buffers.map(\.name) == ["g", "w", "m", "result1"])
    }

    /// The LLVM IR of one function alone (so other functions' copies do not show), fused
    /// (the default pipeline) or not.
    func llvmIR(_ function: String, fused: Bool = true) throws -> String {
        let pm = fused ? nil : PassManager(passes: try PassRegistry.standard.removing(
            PassRegistry.fusionPasses, from: PassRegistry.standard.parsePipeline(PassRegistry.codegenPipeline)))
        return try LoweredModule(module: try verified(Self.source(64)), functions: [function],
                                 options: CodegenOptions(targetCPU: "skylake-avx512"), passManager: pm).llvmIR
    }

    @Test func directPathHasNoCopy() throws {
        for f in ["step", "step_param"] {
            let ir = try llvmIR(f)
            #expect(!ir.contains("memcpy"), "@\(f)")
            #expect(ir.contains("define void @vfc_\(f)(ptr noalias"))
        }
        // Unfused, %p is read after %n's loop, so %n goes to a temporary and is copied in.
        #expect(try llvmIR("step_read_after", fused: false).contains("memcpy"))
        // Fused, one kernel reads %p[i] before it writes %n[i] there: in place, no copy.
        #expect(!(try llvmIR("step_read_after")).contains("memcpy"))
    }

    @Test func callLeavesTheResultInTheDonatedBuffer() throws {
        let m = try verified(Self.source(4))
        let jit = try JITModule(module: m, functions: ["step"])
        let p = UnsafeMutablePointer<Float>.allocate(capacity: 4), g = UnsafeMutablePointer<Float>.allocate(capacity: 4)
        let l = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        defer { p.deallocate(); g.deallocate(); l.deallocate() }
        for i in 0..<4 { p[i] = Float(i + 1); g[i] = 100 }
        #expect(throws: CodegenError.self) {
            try jit.call(function: "step", buffers: [UnsafeMutableRawPointer(p), UnsafeMutableRawPointer(g), UnsafeMutableRawPointer(l), UnsafeMutableRawPointer(l)])
        }
        try jit.call(function: "step", buffers: [UnsafeMutableRawPointer(p), UnsafeMutableRawPointer(g), UnsafeMutableRawPointer(l)])
        for i in 0..<4 {
            let x = Float(i + 1)
            #expect(abs(p[i] - (x - (1 + x * 0.001))) < 1e-5)
        }
        #expect(l[0] == 400)
    }

    @Test func runDoesNotModifyItsArguments() throws {
        let m = try verified(Self.source(3))
        let jit = try JITModule(module: m, functions: ["step_param"])
        let w = Tensor(dtype: .f32, shape: [3], scalars: [1, 2, 3])
        let out = try jit.run(function: "step_param", inputs: [Tensor(dtype: .f32, shape: [3], scalars: [100, 200, 300])], params: ["w": w])
        #expect(out.count == 1)
        #expect(out[0].shape == [3])
        #expect(abs(out[0][flat: 0] - 0) < 1e-6 && abs(out[0][flat: 2] - 0) < 1e-6)
        #expect(w[flat: 0] == 1)
    }
}
