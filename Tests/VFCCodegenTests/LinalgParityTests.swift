import Testing
import VFCCodegen
import VFCIR
import VFCTestSupport

/// `func @f(%a: A, %b: B) { matmul %a, %b {flags} }`.
func matmulModule(_ a: String, _ b: String, _ ta: Bool, _ tb: Bool) throws -> Module {
    let flags = (ta ? ["transpose_a"] : []) + (tb ? ["transpose_b"] : [])
    let attrs = flags.isEmpty ? "" : " {\(flags.joined(separator: ", "))}"
    return try verified("""
        func @f(%a: \(a), %b: \(b)) {
          %c = matmul %a, %b\(attrs)
          return %c
        }
        """)
}

/// JIT (OpenBLAS sgemm/dgemm) vs interpreter on matmul and linear, relative 1e-5.
@Suite struct LinalgParityTests {
    static let tolerance = 1e-5

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func matmulTransposeFlags(ta: Bool, tb: Bool) throws {
        let a = ta ? "f32[7, M]" : "f32[M, 7]"
        let b = tb ? "f32[6, 7]" : "f32[7, 6]"
        let m = try matmulModule(a, b, ta, tb)
        for mv in [1, 5] {
            #expect(try parity(m, "f", bindings: ["M": mv]) < Self.tolerance)
        }
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func batchedMatmul(ta: Bool, tb: Bool) throws {
        let a = ta ? "f32[2, B, 9, 5]" : "f32[2, B, 5, 9]"
        let b = tb ? "f32[2, B, 4, 9]" : "f32[2, B, 9, 4]"
        let m = try matmulModule(a, b, ta, tb)
        for bv in [1, 3] {
            #expect(try parity(m, "f", bindings: ["B": bv]) < Self.tolerance)
        }
    }

    /// Rank-3 (and rank-4) lhs with a shared rank-2 rhs: one product over all rows, or a
    /// loop over the batches when lhs is transposed.
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func rowsTimesMatrix(ta: Bool, tb: Bool) throws {
        let a3 = ta ? "f32[N, 8, 5]" : "f32[N, 5, 8]"
        let a4 = ta ? "f32[2, N, 8, 3]" : "f32[2, N, 3, 8]"
        let b = tb ? "f32[6, 8]" : "f32[8, 6]"
        let flags = (ta ? ["transpose_a"] : []) + (tb ? ["transpose_b"] : [])
        let attrs = flags.isEmpty ? "" : " {\(flags.joined(separator: ", "))}"
        let m = try verified("""
            func @f(%a: \(a3), %a4: \(a4), %b: \(b)) {
              %c = matmul %a, %b\(attrs)
              %d = matmul %a4, %b\(attrs)
              return %c, %d
            }
            """)
        for n in [1, 4] {
            #expect(try parity(m, "f", bindings: ["N": n]) < Self.tolerance)
        }
    }

    @Test func f64MatmulUsesDgemm() throws {
        let m = try verified("""
            func @f(%a: f64[5, 40], %b: f64[40, 3], %c: f64[2, 4, 40], %d: f64[2, 6, 40], %e: f64[3, 40, 5]) {
              %x = matmul %a, %b
              %y = matmul %c, %d {transpose_b}
              %z = matmul %e, %b {transpose_a}
              return %x, %y, %z
            }
            """)
        #expect(try parity(m, "f", bindings: [:]) < 1e-12)
    }

    @Test func emptyContraction() throws {
        let m = try verified("""
            func @f(%a: f32[3, 0], %b: f32[0, 4], %c: f32[0, 5], %w: f32[2, 0], %bias: f32[2]) {
              %x = matmul %a, %b
              %y = matmul %c, %a {transpose_a, transpose_b}
              %z = linear %a, %w, %bias
              return %x, %y, %z
            }
            """)
        #expect(try parity(m, "f", bindings: [:]) == 0)
    }

    @Test func linear() throws {
        let m = try verified("""
            param @fc.weight : f32[24, 16] = normal(0.5)
            param @fc.bias : f32[24] = normal(1.0)

            func @f(%x: f32[N, 16], %y: f32[N, T, 16], %w: f32[10, 16], %b: f32[10], %v: f32[16]) {
              %a = linear %x, @fc.weight, @fc.bias
              %c = linear %y, @fc.weight, @fc.bias
              %d = linear %y, %w, %b
              %e = linear %v, %w, %b
              return %a, %c, %d, %e
            }
            """)
        #expect(try parity(m, "f", bindings: ["N": 3, "T": 7]) < Self.tolerance)
        #expect(try parity(m, "f", bindings: ["N": 1, "T": 1]) < Self.tolerance)
    }

    @Test func f64LinearUsesDgemm() throws {
        let m = try verified("""
            func @f(%x: f64[2, 5, 64], %w: f64[12, 64], %b: f64[12]) {
              %a = linear %x, %w, %b
              return %a
            }
            """)
        #expect(try parity(m, "f", bindings: [:]) < 1e-12)
    }

    /// One ViT encoder block (layer_norm, linear, attention through matmul and softmax).
    @Test func vitBlock() throws {
        let m = try verified(try repoFile("IR/vit_block.ir"), file: "vit_block.ir")
        #expect(try parity(m, "block", bindings: ["N": 2, "T": 65]) < Self.tolerance)
    }
}
