import Testing
@testable import VFCCodegen
import VFCIR
import VFCPasses
import VFCTestSupport

/// Attention's per-head products on views of one qkv buffer (ViewFolding,
/// StridedBatchedGemm.swift): the JIT, reading q, k, v in place and writing the heads'
/// outputs into [N, T, heads * dh], against the interpreter, which materialises every
/// transpose and slice.
@Suite struct StridedBatchedGemmTests {
    /// q k^T, (q k^T) v written through the output transpose, and the backward pass's
    /// products with a transposed operand (s^T q, v^T k), all on views of `%qkv`.
    static func attention(n: Int, t: Int, heads: Int, dh: Int) throws -> Module {
        try verified("""
            func @f(%x: f32[\(n), \(t), \(3 * heads * dh)], %g: f32[\(n), \(t), \(heads * dh)]) {
              %qkv = mul %x, 2.0
              %qkv5 = reshape %qkv {shape = [\(n), \(t), 3, \(heads), \(dh)]}
              %heads = transpose %qkv5 {perm = [2, 0, 3, 1, 4]}
              %q1 = slice %heads {axis = 0, start = 0, end = 1}
              %q = reshape %q1 {shape = [\(n), \(heads), \(t), \(dh)]}
              %k1 = slice %heads {axis = 0, start = 1, end = 2}
              %k = reshape %k1 {shape = [\(n), \(heads), \(t), \(dh)]}
              %v1 = slice %heads {axis = 0, start = 2, end = 3}
              %v = reshape %v1 {shape = [\(n), \(heads), \(t), \(dh)]}
              %s = matmul %q, %k {transpose_b}
              %o = matmul %s, %v
              %ot = transpose %o {perm = [0, 2, 1, 3]}
              %oc = reshape %ot {shape = [\(n), \(t), \(heads * dh)]}
              %g2 = mul %g, 1.5
              %g4 = reshape %g2 {shape = [\(n), \(t), \(heads), \(dh)]}
              %gh = transpose %g4 {perm = [0, 2, 1, 3]}
              %ds = matmul %gh, %v {transpose_b}
              %dv = matmul %s, %gh {transpose_a}
              %kv = matmul %v, %k {transpose_a}
              return %oc, %ds, %dv, %kv
            }
            """)
    }

    /// Head dims on and off the vector width (8 and 16 floats), token counts below and
    /// above the loop nest's row tile and its sgemm threshold (65 x 65 x 64 per head and
    /// up run as sgemm calls with the views' leading dimensions).
    @Test(arguments: [(1, 5, 2, 32), (2, 17, 4, 32), (2, 65, 4, 32), (1, 40, 3, 20), (2, 33, 2, 7), (1, 70, 2, 64), (1, 130, 2, 24)])
    func matchesTheInterpreter(n: Int, t: Int, heads: Int, dh: Int) throws {
        let m = try Self.attention(n: n, t: t, heads: heads, dh: dh)
        #expect(try parity(m, "f", bindings: [:]) < LinalgParityTests.tolerance)
    }

    /// No transpose or slice is a kernel: what is left is the two muls, the five products
    /// (at 65 x 65 x 32 each is one loop-nest kernel), and the copy of the returned reshape
    /// of the folded output transpose into the output buffer.
    @Test func noDataMovementKernels() throws {
        let m = try Self.attention(n: 2, t: 65, heads: 4, dh: 32)
        let stats = try LoweredModule(module: m, functions: ["f"], options: CodegenOptions()).stats[0]
        #expect(stats.kernels == 2 + 5 + 1, "\(stats.kernels) kernels")
        #expect(stats.gemmCalls == 0)
    }

    /// A view read by something other than a product (here also returned) is copied as
    /// before, and the products still read their own views correctly.
    @Test func viewAlsoReadElsewhereIsMaterialised() throws {
        let m = try verified("""
            func @f(%x: f32[2, 9, 24]) {
              %y = mul %x, 2.0
              %y5 = reshape %y {shape = [2, 9, 3, 2, 4]}
              %h = transpose %y5 {perm = [2, 0, 3, 1, 4]}
              %q1 = slice %h {axis = 0, start = 0, end = 1}
              %q = reshape %q1 {shape = [2, 2, 9, 4]}
              %k1 = slice %h {axis = 0, start = 1, end = 2}
              %k = reshape %k1 {shape = [2, 2, 9, 4]}
              %s = matmul %q, %k {transpose_b}
              %e = exp %k1
              return %s, %e
            }
            """)
        #expect(try parity(m, "f", bindings: [:]) < LinalgParityTests.tolerance)
    }

    /// The backward pass's gradient of the qkv split: the three products' results padded
    /// along the q/k/v axis, summed and transposed back. Each product writes its range of
    /// the transposed buffer; the pads, the sum and the transpose are no code.
    static func splitGradient(n: Int, t: Int, heads: Int, dh: Int) throws -> Module {
        try splitGradient(batch: "\(n)", t: t, heads: heads, dh: dh)
    }

    /// `splitGradient` with the batch extent `batch` (a number, or a symbolic dim).
    static func splitGradient(batch n: String, t: Int, heads: Int, dh: Int) throws -> Module {
        let part = "[1, \(n), \(heads), \(t), \(dh)]"
        return try verified("""
            func @f(%s: f32[\(n), \(heads), \(t), \(t)], %x: f32[\(n), \(heads), \(t), \(dh)], %y: f32[\(n), \(heads), \(t), \(dh)]) {
              %a = mul %x, 1.5
              %dq = matmul %s, %a
              %dk = matmul %s, %y {transpose_a}
              %dv = matmul %s, %a {transpose_a}
              %dq1 = reshape %dq {shape = \(part)}
              %pq = pad %dq1 {axis = 0, low = 0, high = 2}
              %dk1 = reshape %dk {shape = \(part)}
              %pk = pad %dk1 {axis = 0, low = 1, high = 1}
              %dv1 = reshape %dv {shape = \(part)}
              %pv = pad %dv1 {axis = 0, low = 2, high = 0}
              %sum1 = add %pv, %pk
              %sum = add %sum1, %pq
              %g5 = transpose %sum {perm = [1, 3, 0, 2, 4]}
              %g = reshape %g5 {shape = [\(n), \(t), \(3 * heads * dh)]}
              %e = exp %g
              return %e
            }
            """)
    }

    @Test(arguments: [(2, 17, 4, 32), (1, 40, 3, 20), (2, 9, 2, 7), (1, 70, 2, 64)])
    func splitGradientMatchesTheInterpreter(n: Int, t: Int, heads: Int, dh: Int) throws {
        let m = try Self.splitGradient(n: n, t: t, heads: heads, dh: dh)
        #expect(try parity(m, "f", bindings: [:]) < LinalgParityTests.tolerance)
        // Unfused, the sum is two adds rather than one kernel: the same folding.
        let plain = try LoweredModule(module: m, functions: ["f"], options: CodegenOptions(), passManager: Self.unfused)
        let fused = try LoweredModule(module: m, functions: ["f"], options: CodegenOptions())
        // Left: the mul, the three products (loop nest or sgemm calls), the exp.
        let products = 3 - (fused.stats[0].gemmCalls > 0 ? fused.stats[0].gemmCalls / (n * heads) : 0)
        #expect(fused.stats[0].kernels == 2 + products, "\(fused.stats[0].kernels) kernels")
        #expect(plain.stats[0].kernels == fused.stats[0].kernels)
    }

    static var unfused: PassManager {
        let pipeline = (try? PassRegistry.standard.parsePipeline(PassRegistry.codegenPipeline)) ?? []
        let fusion = PassRegistry.codegenPipeline.split(separator: ",").map(String.init).filter { $0.hasPrefix("fuse-") }
        return PassManager(passes: (try? PassRegistry.standard.removing(fusion, from: pipeline)) ?? [])
    }

    @Test func layoutsOfViews() throws {
        let dense = StridedLayout.dense([2, 3, 4])
        #expect(dense.strides == [12, 4, 1])
        let t = try #require(dense.transposed([2, 0, 1]))
        #expect(t.shape == [4, 2, 3] && t.strides == [1, 12, 4])
        let s = try #require(dense.sliced(axis: 2, start: 1, step: 2, count: 2))
        #expect(s.offset == 1 && s.shape == [2, 3, 2] && s.strides == [12, 4, 2])
        // Merging the two leading axes of a dense layout, splitting them again.
        #expect(dense.reshaped([6, 4])?.strides == [4, 1])
        #expect(dense.reshaped([6, 4])?.reshaped([2, 3, 4]) == dense)
        // Transposed axes cannot merge; extent-1 axes come and go freely.
        #expect(t.reshaped([8, 3]) == nil)
        #expect(s.reshaped([1, 2, 3, 2])?.strides.suffix(3) == [12, 4, 2])
        #expect(s.reshaped([6, 2]) == StridedLayout(offset: 1, shape: [6, 2], strides: [4, 2]))
    }

    @Test func blasForms() {
        #expect(StridedProduct.blas(rows: 5, cols: 32, row: 384, col: 1)! == (false, 384))
        #expect(StridedProduct.blas(rows: 5, cols: 32, row: 1, col: 384)! == (true, 384))
        #expect(StridedProduct.blas(rows: 5, cols: 32, row: 2, col: 384) == nil)
        // Overlapping rows are no BLAS matrix.
        #expect(StridedProduct.blas(rows: 5, cols: 32, row: 16, col: 1) == nil)
        // One row: any row stride; the op's flag decides the form where both fit.
        #expect(StridedProduct.blas(rows: 1, cols: 1, row: 7, col: 9, preferTrans: true)! == (true, 1))
    }
}
