import Testing
@testable import VFCCodegen
import VFCIR
import VFCTestSupport

/// Products writing straight into a later buffer with the batch at run time
/// (`ViewFolding.runtime`): into the transpose reading them (attention's heads' outputs),
/// and into their ranges of a pad-sum (the gradient of the qkv split), against the f64
/// interpreter and the build specialised to each B.
extension RuntimeViewFoldingTests {
    /// The three products write their ranges of the transposed buffer: the pads, the sum
    /// and the transpose are absorbed (no code), at every B.
    @Test(arguments: [(17, 4, 32), (9, 2, 7), (40, 3, 20)])
    func padSumIsWrittenInPlace(t: Int, heads: Int, dh: Int) throws {
        let m = try StridedBatchedGemmTests.splitGradient(batch: "B", t: t, heads: heads, dh: dh)
        let f = try #require(m.function(named: "f"))
        let folding = ViewFolding.runtime(f, module: m, bindings: [:], dims: ["B"])
        #expect(folding.results.count == 3, "\(folding.results.count) products into the sum")
        #expect(Set(folding.absorbed.values).count == 1)
        let names = Set(folding.absorbed.keys.map { f[$0].name })
        #expect(["pq", "pk", "pv", "sum1", "sum", "g5"].allSatisfy(names.contains), "\(names.sorted())")
        let r = try RuntimeDimsTests().parity(m, "f", sizes: [["B": 1], ["B": 2], ["B": 3]])
        #expect(r.interpreter < RuntimeDimsTests.tolerance)
        #expect(r.specialised < RuntimeDimsTests.tolerance)
    }

    /// Attention's heads' outputs are written into the transpose's buffer: that transpose
    /// is absorbed, the others are folded views.
    @Test func productIntoTranspose() throws {
        let m = try Self.attention(t: 17, heads: 4, dh: 8)
        let f = try #require(m.function(named: "f"))
        let folding = ViewFolding.runtime(f, module: m, bindings: [:], dims: ["B"])
        #expect(folding.results.keys.map { f[$0].name } == ["o"])
        #expect(folding.absorbed.keys.map { f[$0].name } == ["ot"])
        let r = try RuntimeDimsTests().parity(m, "f", sizes: [["B": 2], ["B": 1], ["B": 4]])
        #expect(r.interpreter < RuntimeDimsTests.tolerance)
        #expect(r.specialised < RuntimeDimsTests.tolerance)
    }

    /// With T at run time too the result layouts depend on it: nothing is written in place.
    @Test func runTimeStridesKeepResultsDense() throws {
        let m = try verified("""
            func @f(%s: f32[B, 2, T, T], %x: f32[B, 2, T, 8]) {
              %o = matmul %s, %x
              %ot = transpose %o {perm = [0, 2, 1, 3]}
              %e = exp %ot
              return %e
            }
            """)
        let f = try #require(m.function(named: "f"))
        let folding = ViewFolding.runtime(f, module: m, bindings: [:], dims: ["B", "T"])
        #expect(folding.results.isEmpty && folding.absorbed.isEmpty)
        let r = try RuntimeDimsTests().parity(m, "f", sizes: [["B": 1, "T": 3], ["B": 2, "T": 5]])
        #expect(r.interpreter < RuntimeDimsTests.tolerance)
        #expect(r.specialised < RuntimeDimsTests.tolerance)
    }
}
