import Foundation
import Testing
@testable import VFCCodegen
import VFCIR
import VFCTestSupport

/// Attention's views read in place with the batch at run time (`ViewFolding.runtime`,
/// Lowering+RuntimeFolding.swift): the build compiled once for every B against the f64
/// interpreter and the build specialised to each B.
@Suite struct RuntimeViewFoldingTests {
    /// `StridedBatchedGemmTests.attention` with its batch the run-time dim B.
    static func attention(t: Int, heads: Int, dh: Int) throws -> Module {
        try verified("""
            func @f(%x: f32[B, \(t), \(3 * heads * dh)], %g: f32[B, \(t), \(heads * dh)]) {
              %qkv = mul %x, 2.0
              %qkv5 = reshape %qkv {shape = [B, \(t), 3, \(heads), \(dh)]}
              %heads = transpose %qkv5 {perm = [2, 0, 3, 1, 4]}
              %q1 = slice %heads {axis = 0, start = 0, end = 1}
              %q = reshape %q1 {shape = [B, \(heads), \(t), \(dh)]}
              %k1 = slice %heads {axis = 0, start = 1, end = 2}
              %k = reshape %k1 {shape = [B, \(heads), \(t), \(dh)]}
              %v1 = slice %heads {axis = 0, start = 2, end = 3}
              %v = reshape %v1 {shape = [B, \(heads), \(t), \(dh)]}
              %s = matmul %q, %k {transpose_b}
              %o = matmul %s, %v
              %ot = transpose %o {perm = [0, 2, 1, 3]}
              %oc = reshape %ot {shape = [B, \(t), \(heads * dh)]}
              %g2 = mul %g, 1.5
              %g4 = reshape %g2 {shape = [B, \(t), \(heads), \(dh)]}
              %gh = transpose %g4 {perm = [0, 2, 1, 3]}
              %ds = matmul %gh, %v {transpose_b}
              %dv = matmul %s, %gh {transpose_a}
              %kv = matmul %v, %k {transpose_a}
              return %oc, %ds, %dv, %kv
            }
            """)
    }

    /// Token counts below and above the loop nest's sgemm threshold, head dims on and off
    /// the vector width.
    @Test(arguments: [(5, 2, 32), (17, 4, 8), (65, 4, 32), (33, 2, 7)])
    func matchesTheInterpreterAndTheSpecialisedBuild(t: Int, heads: Int, dh: Int) throws {
        let m = try Self.attention(t: t, heads: heads, dh: dh)
        let f = try #require(m.function(named: "f"))
        // The three views of the qkv rows, the transpose between them and the output
        // gradient's transpose are read in place by all five products.
        let folding = ViewFolding.runtime(f, module: m, bindings: [:], dims: ["B"])
        #expect(folding.views.count == 8, "\(folding.views.count) views")
        #expect(folding.products.count == 5, "\(folding.products.count) products")
        let r = try RuntimeDimsTests().parity(m, "f", sizes: [["B": 1], ["B": 2], ["B": 3]])
        #expect(r.interpreter < RuntimeDimsTests.tolerance)
        #expect(r.specialised < RuntimeDimsTests.tolerance)
    }

    /// With T at run time too the views' strides depend on it: nothing is folded (the
    /// products read copies), and the results are still right.
    @Test func runTimeStridesAreNotFolded() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../IR/vit_block.ir")
        let m = try verified(String(contentsOf: url, encoding: .utf8))
        let f = try #require(m.function(named: "block"))
        let folding = ViewFolding.runtime(f, module: m, bindings: [:], dims: ["N", "T"])
        #expect(folding.views.isEmpty)
        #expect(ViewFolding.runtime(f, module: m, bindings: ["T": 5], dims: ["N"]).products.count >= 2)
        let r = try RuntimeDimsTests().parity(m, "block", sizes: [["N": 1, "T": 5], ["N": 2, "T": 3], ["N": 3, "T": 1]])
        #expect(r.interpreter < RuntimeDimsTests.tolerance)
        #expect(r.specialised < RuntimeDimsTests.tolerance)
    }
}
