import Testing
import VFCCodegen
import VFCInterpreter
import VFCIR
import VFCRuntime
import VFCTensor
import VFCTestSupport

/// Epilogues fused into the product's store (`vfc_sgemm_fused`, Lowering+GemmEpilogue):
/// the runtime applies the epilogue exactly once to every element of C, after the element
/// is final, on both kernels (OpenBLAS's parts, vfc's tiles), with the row offset of a
/// batch item; compiled fused kernels (linear with bias, GELU and a residual add; batched
/// products with a scale and an add, on each lowering path of a batch) call it and match
/// the interpreter, and their results do not depend on the thread count.
@Suite(.serialized) struct GemmEpilogueTests {
    /// What the test epilogue reads and writes: the output (C is `offset` rows into it) and
    /// a visit count per element.
    struct Target {
        var out: UnsafeMutablePointer<Float>
        var visits: UnsafeMutablePointer<Int32>
        var ldc: Int
    }

    /// out = 2 * out + 1 on the rectangle, counting visits.
    static let epilogue: vfc_gemm_epilogue = { context, i0, i1, j0, j1 in
        let t = context!.assumingMemoryBound(to: Target.self).pointee
        for i in Int(i0)..<Int(i1) {
            for j in Int(j0)..<Int(j1) {
                t.out[i * t.ldc + j] = 2 * t.out[i * t.ldc + j] + 1
                t.visits[i * t.ldc + j] += 1
            }
        }
    }

    /// Both ways of applying it: in the store (`inStore`) and as a pass after the product.
    @Test(arguments: [false, true], [true, false])
    func runtimeAppliesTheEpilogueOnceToEveryFinalElement(_ vfcKernel: Bool, _ inStore: Bool) throws {
        let mode = vfcKernel ? VFC_GEMM_VFC : VFC_GEMM_OPENBLAS
        if vfcKernel { _ = try #require(GemmKernel.installForHost(), "this CPU has no vfc GEMM kernel") }
        let before = vfc_num_threads()
        defer { _ = vfc_set_num_threads(before); vfc_gemm_set_mode(VFC_GEMM_AUTO); vfc_gemm_set_epilogue_pass(1) }
        vfc_gemm_set_mode(mode)
        vfc_gemm_set_epilogue_pass(inStore ? 0 : 1)
        // Partial tiles on both sides, K across the KC block, a tall and a wide C (OpenBLAS
        // splits rows, then columns), K = 0.
        let shapes: [(Int, Int, Int, Bool, Bool)] = [(13, 33, 129, false, true), (200, 37, 640, true, false),
                                                     (45, 301, 330, false, false), (64, 2000, 40, false, true), (5, 40, 0, false, false)]
        for (m, n, k, ta, tb) in shapes {
            var rng = RNG(seed: UInt64(m * 31 + n * 7 + k))
            let lda = ta ? m : k, ldb = tb ? k : n, ldc = n, offset = 3
            let a = (0..<(m * k)).map { _ in Float(rng.nextDouble() - 0.5) }
            let b = (0..<(k * n)).map { _ in Float(rng.nextDouble() - 0.5) }
            let want = GeneratedGemmTests.naive(ta, tb, m, n, k, a, lda, b, ldb)
            var results: [[Float]] = []
            for threads in [2, 1] {
                _ = vfc_set_num_threads(Int32(threads))
                let out = UnsafeMutablePointer<Float>.allocate(capacity: (m + offset) * ldc)
                let visits = UnsafeMutablePointer<Int32>.allocate(capacity: (m + offset) * ldc)
                defer { out.deallocate(); visits.deallocate() }
                out.initialize(repeating: .nan, count: (m + offset) * ldc)
                visits.initialize(repeating: 0, count: (m + offset) * ldc)
                var target = Target(out: out, visits: visits, ldc: ldc)
                vfc_sgemm_fused(ta ? 1 : 0, tb ? 1 : 0, Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb),
                                out + offset * ldc, Int32(ldc), Self.epilogue, &target, Int64(offset))
                for i in 0..<(offset * ldc) { #expect(visits[i] == 0 && out[i].isNaN, "\(m)x\(n)x\(k): row before the offset touched") }
                var worst = 0.0, wrongVisits = 0
                for i in 0..<m {
                    for j in 0..<n {
                        let x = (offset + i) * ldc + j
                        if visits[x] != 1 { wrongVisits += 1 }
                        worst = max(worst, Swift.abs(Double(out[x]) - (2 * want[i * n + j] + 1)))
                    }
                }
                #expect(wrongVisits == 0, "\(m)x\(n)x\(k) mode \(mode.rawValue) in store \(inStore) threads \(threads): \(wrongVisits) elements not visited once")
                #expect(worst <= 4e-7 * Double(max(k, 1)), "\(m)x\(n)x\(k) mode \(mode.rawValue) threads \(threads): off by \(worst)")
                results.append(Array(UnsafeBufferPointer(start: out, count: (m + offset) * ldc)))
            }
            #expect(results[0].map(\.bitPattern) == results[1].map(\.bitPattern), "\(m)x\(n)x\(k): 2 threads differ from 1")
        }
    }

    /// Fused kernels around products on every lowering path: a linear layer (bias, GELU,
    /// residual), a product of rows with one matrix (rb = 2), small batched products (the
    /// loop nest) and larger ones (a loop of sgemm calls), each with elementwise consumers.
    static let source = """
        module @epi
        param @w : f32[160, 96] = trunc_normal(0.5)
        param @b : f32[160] = trunc_normal(0.5)
        param @v : f32[96, 40] = trunc_normal(0.5)
        func @linear(%x: f32[N, 30, 96], %r: f32[N, 30, 160]) -> f32[N, 30, 160] {
          %f = linear %x, @w, @b
          %g = gelu %f
          %z = add %r, %g
          return %z
        }
        func @rows(%x: f32[N, 30, 96]) -> f32[N, 30, 40] {
          %p = matmul %x, @v
          %q = max %p, 0.0
          return %q
        }
        func @small(%q: f32[N, 4, 17, 32], %k: f32[N, 4, 32, 17], %s: f32[N, 4, 17, 17]) -> f32[N, 4, 17, 17] {
          %p = matmul %q, %k
          %t = mul %p, 0.25
          %u = add %t, %s
          return %u
        }
        func @large(%a: f32[N, 2, 90, 80], %b: f32[N, 2, 80, 70], %s: f32[N, 2, 90, 70]) -> (f32[N, 2, 90, 70], f32[N, 2, 90, 70]) {
          %p = matmul %a, %b
          %t = tanh %p
          %u = mul %t, %s
          return %p, %u
        }
        """

    @Test(arguments: [false, true], [true, false])
    func fusedKernelsMatchTheInterpreterOnEveryPath(_ vfcKernel: Bool, _ inStore: Bool) throws {
        let mode = vfcKernel ? VFC_GEMM_VFC : VFC_GEMM_OPENBLAS
        if vfcKernel { _ = try #require(GemmKernel.installForHost(), "this CPU has no vfc GEMM kernel") }
        let module = try verified(Self.source)
        let before = vfc_num_threads()
        defer { _ = vfc_set_num_threads(before); vfc_gemm_set_mode(VFC_GEMM_AUTO); vfc_gemm_set_epilogue_pass(1) }
        vfc_gemm_set_mode(mode)
        vfc_gemm_set_epilogue_pass(inStore ? 0 : 1)
        let bindings = ["N": 2]
        for name in ["linear", "rows", "small", "large"] {
            let options = CodegenOptions(bindings: bindings)
            // The product calls its epilogue: the fused form, not the pass after it.
            let ir = try LoweredModule(module: module, functions: [name], options: options).llvmIR
            #expect(ir.contains("vfc_sgemm_fused") || (name == "small" && ir.contains(".epi.")), "@\(name) has no fused epilogue")
            // f32 sums of up to 96 products of unit-scale inputs against the interpreter's
            // f64 sums: about 1e-5 of the result's scale (the vit_block lit test's 1e-4).
            let diff = try parity(module, name, bindings: bindings, seed: 4)
            #expect(diff <= 1e-4, "@\(name) mode \(mode.rawValue): \(diff) from the interpreter")
            let f = try #require(module.function(named: name))
            let inputs = try randomInputs(function: f, bindings: bindings, seed: 9)
            let params = try initialParams(module: module, seed: 9, floatType: nil)
            // Against the same products without fusion (separate loops after the product):
            // the same sums, so only FMA contraction across the fused ops may differ.
            let plain = try JITModule(module: module, functions: [name], options: options, passManager: FusionParityTests.unfused)
                .run(function: name, inputs: inputs, params: params)
            var runs: [[Tensor]] = []
            for threads in [2, 1] {
                _ = vfc_set_num_threads(Int32(threads))
                runs.append(try JITModule(module: module, functions: [name], options: options).run(function: name, inputs: inputs, params: params))
            }
            let unfusedDiff = zip(runs[0], plain).map { maxRelativeDifference($0, $1) }.max() ?? .infinity
            #expect(unfusedDiff <= 1e-6, "@\(name) mode \(mode.rawValue): fused and unfused differ by \(unfusedDiff)")
            for (x, y) in zip(runs[0], runs[1]) {
                #expect((0..<x.count).allSatisfy { x[flat: $0].bitPattern == y[flat: $0].bitPattern }, "@\(name): 2 threads differ from 1")
            }
        }
    }
}
