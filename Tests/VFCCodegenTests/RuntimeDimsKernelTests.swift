import Testing
import VFCCodegen
import VFCIR
import VFCTestSupport

/// Fused kernels with the batch dim at run time: the whole default pipeline runs, the row,
/// reduce and epilogue kernels take their run-time forms (the profile's sites say which
/// code was emitted), a kernel without one is lowered op by op, and a kernel with fixed
/// sizes only keeps its fixed lowering; every result matches the interpreter and the
/// specialised build (`parity`).
extension RuntimeDimsTests {
    /// "kind op" of every profiled site of `function` compiled with run-time dims.
    func sites(_ m: Module, _ function: String = "f") throws -> [String] {
        let lowered = try LoweredModule(module: m, functions: [function], options: CodegenOptions(profile: true, runtimeDims: true))
        return lowered.profileSites.map { "\($0.kind.rawValue) \($0.op)" }
    }

    /// A prologue and epilogue around layer_norm and softmax rows, a reduction over the
    /// last axis with a scale after it, linear and matmul with elementwise epilogues.
    @Test func fusedKernels() throws {
        let m = try verified("""
            param @w: f32[8] = trunc_normal(0.5)
            param @b: f32[8] = trunc_normal(0.5)
            param @lw: f32[6, 8] = trunc_normal(0.5)
            param @lb: f32[6] = trunc_normal(0.5)
            func @f(%x: f32[B, 4, 8], %y: f32[B, 4, 8], %z: f32[B, 8, 5]) {
              %a = add %x, %y
              %n = layer_norm %a, @w, @b {eps = 1e-6}
              %n2 = mul %n, 3.0
              %sc = mul %x, 0.5
              %s = softmax %sc {axis = -1}
              %s2 = add %s, %y
              %r = reduce_sum %a {axes = [2]}
              %r2 = mul %r, 0.25
              %l = linear %x, @lw, @lb
              %g = gelu %l
              %p = matmul %x, %z
              %p2 = tanh %p
              return %n2, %s2, %r2, %g, %p2
            }
            """)
        let emitted = try sites(m)
        for kind in ["fused layer_norm", "fused softmax", "fused reduce_sum", "fused linear", "fused matmul"] {
            #expect(emitted.contains(kind), "no \(kind) kernel in \(emitted)")
        }
        try expectParity(m)
    }

    /// Rows of run-time length (T) have no run-time form: the kernel is lowered op by op.
    @Test func fallbackUnfusesKernels() throws {
        let m = try verified("""
            func @f(%x: f32[B, T]) {
              %sc = mul %x, 0.5
              %s = softmax %sc {axis = -1}
              %s2 = mul %s, 2.0
              return %s2
            }
            """)
        let emitted = try sites(m)
        #expect(emitted.contains("kernel softmax"), "\(emitted)")
        #expect(!emitted.contains("fused softmax"), "\(emitted)")
        try expectParity(m, sizes: [["B": 1, "T": 3], ["B": 2, "T": 5], ["B": 3, "T": 1]])
    }

    /// The update of fixed-size params (no batch dim) keeps the fixed multi-tensor kernel
    /// beside kernels with run-time extents.
    @Test func fixedKernelsKeepTheirLowering() throws {
        let m = try verified("""
            param @u: f32[8] = trunc_normal(0.5)
            param @v: f32[3, 8] = trunc_normal(0.5)
            func @f(%x: f32[B, 8], %lr: f32[]) {
              %bu = broadcast %lr {shape = [8], dims = []}
              %du = mul @u, %bu
              %nu = sub @u, %du
              %bv = broadcast %lr {shape = [3, 8], dims = []}
              %dv = mul @v, %bv
              %nv = sub @v, %dv
              %y = mul %x, 2.0
              %e = exp %y
              return %nu, %nv, %e
            }
            """)
        let emitted = try sites(m)
        #expect(emitted.contains("fused multi_tensor"), "\(emitted)")
        #expect(emitted.contains("fused elementwise"), "\(emitted)")
        try expectParity(m)
    }
}
