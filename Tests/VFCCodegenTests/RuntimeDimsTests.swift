import Foundation
import Testing
import VFCCodegen
import VFCIR
import VFCInterpreter
import VFCRuntime
import VFCTensor
import VFCTestSupport

/// Functions compiled once with run-time dims (`CodegenOptions.runtimeDims`) and run at
/// several sizes, against the f64 interpreter and the build specialised by `bindings`.
@Suite struct RuntimeDimsTests {
    static let tolerance = 1e-5

    /// The worst relative difference over every result and every size in `sizes` (each a
    /// binding of every run-time dim): the run-time build against the interpreter and
    /// against the specialised build. The run-time build is compiled once.
    func parity(_ m: Module, _ function: String, sizes: [[String: Int]]) throws -> (interpreter: Double, specialised: Double) {
        vfc_set_poison(1)
        let jit = try JITModule(module: m, functions: [function], options: CodegenOptions(runtimeDims: true))
        let entry = try #require(jit.entries.first)
        #expect(Set(entry.dims) == Set(sizes[0].keys))
        var worst = (interpreter: 0.0, specialised: 0.0)
        let f = try #require(m.function(named: function))
        for (k, bindings) in sizes.enumerated() {
            let inputs = try randomInputs(function: f, bindings: bindings, seed: UInt64(k))
            let params = try initialParams(module: m, seed: UInt64(k), floatType: nil)
            let expected = try Interpreter(module: m).run(function: function, inputs: inputs, params: params, bindings: bindings)
            let got = try jit.run(function: function, inputs: inputs, params: params)
            let bound = try JITModule(module: m, functions: [function], options: CodegenOptions(bindings: bindings))
                .run(function: function, inputs: inputs, params: params)
            #expect(got.count == expected.count)
            for (g, e) in zip(got, expected) {
                #expect(g.shape == e.shape)
                worst.interpreter = max(worst.interpreter, maxRelativeDifference(g, e))
            }
            for (g, b) in zip(got, bound) { worst.specialised = max(worst.specialised, maxRelativeDifference(g, b)) }
        }
        return worst
    }

    static let sizes: [[String: Int]] = [["B": 1], ["B": 2], ["B": 3], ["B": 5]]

    /// `parity` within `tolerance` against both references.
    func expectParity(_ m: Module, _ function: String = "f", sizes: [[String: Int]] = Self.sizes) throws {
        let r = try parity(m, function, sizes: sizes)
        #expect(r.interpreter < Self.tolerance)
        #expect(r.specialised < Self.tolerance)
    }

    @Test func elementwise() throws {
        let m = try verified("""
            func @f(%x: f32[B, 7], %y: f32[B, 7], %s: f32[]) {
              %a = add %x, %y
              %b = mul %a, 2.5
              %c = exp %b
              %d = mul %c, %s
              %g = gelu %d
              %m = gt %x, %y
              %sel = select %m, %x, %y
              %i = convert %sel {dtype = i32}
              %back = convert %i {dtype = f64}
              return %g, %sel, %back
            }
            """)
        try expectParity(m)
    }

    @Test func movement() throws {
        let m = try verified("""
            func @f(%x: f32[B, 3, 4], %v: f32[4]) {
              %bv = broadcast %v {shape = [B, 3, 4], dims = [2]}
              %s = add %x, %bv
              %t = transpose %s {perm = [2, 0, 1]}
              %sl = slice %t {axis = 2, start = 1, end = 3}
              %p = pad %x {axis = 1, low = 1, high = 2, interior = 1}
              %c = concat %x, %x {axis = 0}
              %r = reshape %c {shape = [B, 24]}
              return %t, %sl, %p, %r
            }
            """)
        try expectParity(m)
    }

    @Test(arguments: ["sum", "max", "min", "mean"])
    func reductions(kind: String) throws {
        let m = try verified("""
            func @f(%x: f32[B, 6, 7]) {
              %last = reduce_\(kind) %x {axes = [2]}
              %trail = reduce_\(kind) %x {axes = [1, 2]}
              %first = reduce_\(kind) %x {axes = [0]}
              %middle = reduce_\(kind) %x {axes = [1], keep_dims = true}
              %all = reduce_\(kind) %x {axes = [0, 1, 2]}
              return %last, %trail, %first, %middle, %all
            }
            """)
        try expectParity(m)
    }

    @Test func normalisations() throws {
        let m = try verified("""
            param @w: f32[9] = ones
            param @b: f32[9] = zeros
            func @f(%x: f32[B, 4, 9]) {
              %s = softmax %x {axis = -1}
              %l = log_softmax %x {axis = 2}
              %n = layer_norm %x, @w, @b {eps = 1e-6}
              return %s, %l, %n
            }
            """)
        try expectParity(m)
    }

    @Test func products() throws {
        let m = try verified("""
            param @w: f32[5, 8] = trunc_normal(0.5)
            param @bias: f32[5] = trunc_normal(0.5)
            func @f(%x: f32[B, 3, 8], %y: f32[B, 8, 4], %z: f32[B, 6]) {
              %rows = linear %x, @w, @bias
              %batched = matmul %x, %y
              %gram = matmul %z, %z {transpose_a}
              %outer = matmul %z, %z {transpose_b}
              return %rows, %batched, %gram, %outer
            }
            """)
        try expectParity(m)
    }

    /// patchify and the crop-sample ops with the batch (the boxes' count) at run time.
    @Test func vision() throws {
        let m = try verified("""
            func @f(%x: f32[B, 3, 8, 12], %field: f32[12, 12, 5], %b: f32[B, 4], %fl: u8[B], %d: f32[B, 9, 5],
                    %mc: u8[B, 9], %mt: f32[5], %mp: u8[B, 9], %pt: f32[5]) {
              %p = patchify %x {patch = 4}
              %s = crop_sample %field, %b, %fl {grid = 3, source = 2}
              %g = crop_sample_grad %d, %b, %fl {grid = 3, source = 2, field = 12}
              %z = crop_sample_add %d, %field, %b, %fl, %mc, %mt, %mp, %pt {grid = 3, source = 2}
              return %p, %s, %g, %z
            }
            """)
        try expectParity(m)
    }

    /// The encoder block of the micro config: N sequences of T tokens, both at run time.
    @Test func vitBlock() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../IR/vit_block.ir")
        let m = try verified(String(contentsOf: url, encoding: .utf8))
        try expectParity(m, "block", sizes: [["N": 1, "T": 5], ["N": 2, "T": 3], ["N": 3, "T": 1]])
    }

    /// An op whose run-time lowering does not cover its form is refused, and a bound dim
    /// stays compiled in.
    @Test func unsupportedOpsAndBindings() throws {
        let m = try verified("""
            func @f(%x: f32[B, 3]) {
              %t = softmax %x {axis = 0}
              return %t
            }
            """)
        #expect {
            _ = try JITModule(module: m, functions: ["f"], options: CodegenOptions(runtimeDims: true))
        } throws: { "\($0)".contains("softmax with run-time dims: only along the last axis") }
        var options = CodegenOptions(bindings: ["B": 2])
        options.runtimeDims = true
        let jit = try JITModule(module: m, functions: ["f"], options: options)
        #expect(jit.entries[0].dims.isEmpty)
    }
}
