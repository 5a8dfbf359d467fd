import Testing
import VFCIR
import VFCPasses
import VFCTestSupport

/// Parses, verifies and runs the autodiff pass; returns the error text or nil.
func autodiffError(_ text: String) -> String? {
    do {
        var m = try Parser.parse(text, file: "g.ir")
        try Verifier.run(&m)
        try AutodiffPass().run(&m)
        return nil
    } catch {
        return error.description
    }
}

@Suite struct AutodiffErrorTests {
    @Test func integerTargetIsAnErrorAtTheValueAndGradOp() {
        let e = autodiffError("""
            func @f(%x: f32[4], %i: i32[4]) -> f32[] {
              %s = reduce_sum %x {axes = [0]}
              return %s
            }
            func @main(%x: f32[4], %i: i32[4]) {
              %l, %g = value_and_grad @f(%x, %i) {wrt = [1]}
              return %l, %g
            }
            """)
        #expect(e == "g.ir:6:12: error: value_and_grad: cannot differentiate with respect to argument 1 of type i32[4]: not a float type")
    }

    @Test func nonDifferentiablePathPointsAtTheForwardOp() {
        let e = autodiffError(nonDifferentiableModule)
        #expect(e == "g.ir:2:8: error: gt: no gradient flows through this op from %x to the differentiated result")
    }

    @Test func stopGradientGivesZerosWithoutError() throws {
        var m = try Parser.parse("""
            func @f(%x: f32[4]) -> f32[] {
              %c = stop_gradient %x
              %s = reduce_sum %c {axes = [0]}
              return %s
            }
            func @main(%x: f32[4]) {
              %l, %g = value_and_grad @f(%x) {wrt = [0]}
              return %l, %g
            }
            """, file: "g.ir")
        try Verifier.run(&m)
        try AutodiffPass().run(&m)
        let grad = try #require(m.function(named: "f.grad"))
        let last = try #require(grad.returns.last)
        guard case .value(let v) = last, let inst = grad.body.first(where: { $0.results.contains(v) }) else {
            Issue.record("gradient is not an instruction result")
            return
        }
        #expect(inst.op == .constant(.splat(0)))
    }

    @Test func lossMustBeAScalar() {
        let e = autodiffError("""
            func @f(%x: f32[4]) -> f32[4] {
              %y = exp %x
              return %y
            }
            func @main(%x: f32[4]) {
              %l, %g = value_and_grad @f(%x) {wrt = [0]}
              return %l, %g
            }
            """)
        #expect(e == "g.ir:6:12: error: value_and_grad: the first result of '@f' must be a float scalar (the loss), got f32[4]")
    }

    @Test func paramsExpandsToEveryFloatParamTheLossReads() throws {
        var m = try Parser.parse("""
            param @a : f32[4] = ones
            param @unused : f32[2]
            param @b : f32[4] = zeros
            func @f(%x: f32[4]) -> f32[] {
              %y = mul %x, @a
              %z = add %y, @b
              %s = reduce_sum %z {axes = [0]}
              return %s
            }
            func @main(%x: f32[4]) {
              %l, %ga, %gb = value_and_grad @f(%x) {wrt = [params]}
              return %l, %ga, %gb
            }
            """, file: "g.ir")
        try Verifier.run(&m)
        try AutodiffPass().run(&m)
        #expect(m.function(named: "main")?.resultTypes?.count == 3)
        let printed = Printer.print(m)
        #expect(printed.contains("%l, %ga, %gb = call @f.grad(%x) : (f32[], f32[4], f32[4])"))
        #expect(printed.contains("value_and_grad") == false)
    }
}
