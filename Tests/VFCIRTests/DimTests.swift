import Testing
@testable import VFCIR

@Suite struct DimTests {
    @Test func monomialArithmetic() {
        let n = Dim(symbol: "N"), b = Dim(symbol: "B")
        #expect(n.multiplied(by: Dim(2))?.description == "2*N")
        #expect(n.multiplied(by: b)?.description == "B*N")
        #expect(b.multiplied(by: n) == n.multiplied(by: b))
        #expect(Dim(3).multiplied(by: n)?.adding(n)?.description == "4*N")
        #expect(n.adding(Dim(1)) == nil)
        #expect(Dim(Int.max).multiplied(by: Dim(2)) == nil)
        #expect(Dim(coefficient: 2, symbols: ["N", "B"]).evaluate(["N": 3, "B": 5]) == 30)
        #expect(n.evaluate([:]) == nil)
        #expect(n.substituting(["N": Dim(coefficient: 2, symbols: ["B"])])?.description == "2*B")
        #expect(product([Dim(2), n, Dim(3)])?.description == "6*N")
    }

    @Test func typeDescriptions() {
        #expect(TensorType(.f32, [Dim(symbol: "N"), 64]).description == "f32[N, 64]")
        #expect(TensorType(.i64, []).description == "i64[]")
    }
}
