import Testing
import VFCIR
@testable import VFCPasses
import VFCTestSupport

/// Donated results (`aliases`) survive the passes that rewrite a function; the gradient
/// functions autodiff generates donate nothing.
@Suite struct AliasesPassTests {
    static let train = """
        param @w : f32[4] = ones
        func @loss(%x: f32[4], %s: f32[4]) -> (f32[], f32[4] aliases %s) {
          %y = mul %x, @w
          %l = reduce_sum %y {axes = [0]}
          %t = add %s, 1
          return %l, %t
        }
        func @train(%x: f32[4]) -> (f32[], f32[4] aliases @w) {
          %s = constant {value = 0} : f32[4]
          %l, %t, %g = value_and_grad @loss(%x, %s) {wrt = [@w]}
          %u = mul %g, 0.1
          %n = sub @w, %u
          %n2 = add %n, 0
          return %l, %n2
        }
        """

    @Test func passesKeepAliasesAndGradientsHaveNone() throws {
        let printed = try optimize("autodiff,inline,canonicalize,cse,dce", Self.train)
        let m = try verified(printed)
        #expect(m.function(named: "train")?.resultAliases == [1: .param("w")])
        #expect(m.function(named: "loss")?.resultAliases == [1: .argument(1)])
        #expect(m.function(named: "loss.grad")?.resultAliases == [:])
        #expect(printed.contains("func @train(%x: f32[4]) -> (f32[], f32[4] aliases @w) {"))
        #expect(printed.contains("func @loss.grad(%x: f32[4], %s: f32[4]) -> (f32[], f32[4], f32[4]) {"))
    }
}
