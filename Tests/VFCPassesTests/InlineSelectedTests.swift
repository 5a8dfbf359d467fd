import Testing
import VFCIR
import VFCPasses
import VFCTestSupport

/// `InlinePass.inlineCalls(in:of:where:)`: only the calls the predicate picks are inlined
/// (their dims bound), the others stay calls, and a picked callee's own calls are offered
/// to the predicate once they are in the caller.
@Test func inlineSelectedCallsOnly() throws {
    var m = try verified("""
        func @leaf(%a: f32[K]) -> f32[K] {
          %n = neg %a
          return %n
        }
        func @wrap(%a: f32[K]) -> f32[K] {
          %l = call @leaf(%a)
          %e = exp %l
          return %e
        }
        func @keep(%a: f32[K]) -> f32[K] {
          %t = tanh %a
          return %t
        }
        func @main(%x: f32[2*N]) -> f32[2*N] {
          %w = call @wrap(%x)
          %k = call @keep(%w)
          return %k
        }
        """)
    var offered: [String] = []
    let inlined = try InlinePass.inlineCalls(in: "main", of: &m) { call, _, callee in
        offered.append(callee.name)
        return callee.name != "keep"
    }
    #expect(inlined == 2)
    #expect(offered.filter { $0 == "leaf" }.count == 1)
    let main = try #require(m.function(named: "main"))
    #expect(main.body.map(\.op.name) == ["neg", "exp", "call"])
    #expect(main.body.compactMap { $0.results.first.flatMap { main[$0].type } }.allSatisfy { "\($0)" == "f32[2*N]" })
    try Verifier.run(&m)
}
