import Testing
@testable import VFCCodegen
import VFCIR
import VFCTestSupport

/// `PartitionMemo` answers `MultiTensorKernel.partition` once per kernel, whatever the
/// number of donated results that ask about it.
@Suite struct PartitionMemoTests {
    static let source = """
        // Two independent chains: a multi-tensor kernel of two parts.
        func @two(%a: f32[4], %b: f32[4]) -> (f32[4], f32[4]) {
          %x = mul %a, 2.0
          %y = add %b, 1.0
          return %x, %y
        }
        // One chain: not a multi-tensor kernel.
        func @one(%a: f32[4]) -> f32[4] {
          %x = mul %a, 2.0
          %y = add %x, 1.0
          return %y
        }
        """

    @Test func computesEachKernelOnceAndAgreesWithPartition() throws {
        let m = try verified(Self.source)
        let two = try #require(m.function(named: "two"))
        let one = try #require(m.function(named: "one"))
        var memo = PartitionMemo()
        for _ in 0..<3 {
            let asked = memo.partition(of: two)
            let p = try #require(asked)
            let direct = try #require(MultiTensorKernel.partition(two))
            #expect(p.members == direct.members)
            #expect(p.partOf == direct.partOf)
            #expect(p.members.count == 2)
            // A kernel that is no multi-tensor kernel is remembered as such too.
            let none = memo.partition(of: one)
            #expect(none == nil)
        }
        #expect(memo.computed == 2)
    }
}
