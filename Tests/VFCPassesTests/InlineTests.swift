import Testing
import VFCIR
@testable import VFCPasses
import VFCTestSupport

@Test func inlineSubstitutesTheCalleesSymbols() throws {
    // M binds to 2*N: in types, in the reshape shape and in the broadcast shape.
    let out = try optimize("inline", """
        func @f(%a: f32[M, 4], %bias: f32[4]) -> f32[M, 4] {
          %r = reshape %a {shape = [M, 2, 2]}
          %n = neg %r
          %b = reshape %n {shape = [M, 4]}
          %c = broadcast %bias {shape = [M, 4], dims = [1]}
          %s = add %b, %c
          return %s
        }
        func @main(%x: f32[2*N, 4], %bias: f32[4]) -> f32[2*N, 4] {
          %y = call @f(%x, %bias)
          %z = exp %y
          return %z
        }
        """)
    #expect(out == ir("""

        func @f(%a: f32[M, 4], %bias: f32[4]) -> f32[M, 4] {
          %r = reshape %a {shape = [M, 2, 2]} : f32[M, 2, 2]
          %n = neg %r : f32[M, 2, 2]
          %b = reshape %n {shape = [M, 4]} : f32[M, 4]
          %c = broadcast %bias {shape = [M, 4], dims = [1]} : f32[M, 4]
          %s = add %b, %c : f32[M, 4]
          return %s
        }

        func @main(%x: f32[2*N, 4], %bias: f32[4]) -> f32[2*N, 4] {
          %r = reshape %x {shape = [2*N, 2, 2]} : f32[2*N, 2, 2]
          %n = neg %r : f32[2*N, 2, 2]
          %b = reshape %n {shape = [2*N, 4]} : f32[2*N, 4]
          %c = broadcast %bias {shape = [2*N, 4], dims = [1]} : f32[2*N, 4]
          %y = add %b, %c : f32[2*N, 4]
          %z = exp %y : f32[2*N, 4]
          return %z
        }

        """))
}

@Test func inlinedInstructionsCarryTheCallLocation() throws {
    var m = try verified("""
        func @f(%a: f32[M]) -> f32[M] {
          %b = neg %a
          return %b
        }
        func @main(%x: f32[3]) -> f32[3] {
          %y = call @f(%x)
          return %y
        }
        """)
    try InlinePass().run(&m)
    let main = m.functions[1]
    #expect(main.body.count == 1)
    #expect(main.body[0].loc == SourceLoc(file: "test.ir", line: 6, column: 8))
    #expect(main[main.body[0].results[0]].loc == main.body[0].loc)
}

@Test func inlineFlattensANestedCallChain() throws {
    let out = try optimize("inline", """
        param @w : f32[4, 4] = zeros
        func @leaf(%a: f32[K, 4]) -> f32[K, 4] {
          %m = matmul %a, @w
          return %m
        }
        func @mid(%a: f32[B, 4]) -> (f32[B, 4], f32[B, 4]) {
          %l = call @leaf(%a)
          %t = tanh %l
          return %t, %a
        }
        func @top(%x: f32[2*T, 4]) -> f32[2*T, 4] {
          %p, %q = call @mid(%x)
          %s = add %p, %q
          return %s
        }
        """)
    #expect(out.hasSuffix(ir("""

        func @top(%x: f32[2*T, 4]) -> f32[2*T, 4] {
          %l = matmul %x, @w : f32[2*T, 4]
          %p = tanh %l : f32[2*T, 4]
          %s = add %p, %x : f32[2*T, 4]
          return %s
        }

        """)))
    #expect(out.contains(ir("""

        func @mid(%a: f32[B, 4]) -> (f32[B, 4], f32[B, 4]) {
          %l = matmul %a, @w : f32[B, 4]
          %t = tanh %l : f32[B, 4]
          return %t, %a
        }

        """)))
    #expect(!out.contains("call"))
}

@Test func inlineForwardsReturnedArgumentsAndParams() throws {
    let out = try optimize("inline", """
        param @p : f32[2] = ones
        func @pass(%a: f32[2]) -> (f32[2], f32[2]) {
          return @p, %a
        }
        func @main(%x: f32[2]) -> f32[2] {
          %u, %v = call @pass(%x)
          %w, %w2 = call @pass(%u)
          %s = sub %w2, %v
          return %s
        }
        """)
    #expect(out.hasSuffix(ir("""

        func @main(%x: f32[2]) -> f32[2] {
          %s = sub @p, %x : f32[2]
          return %s
        }

        """)))
}

@Test func inlineReportsRecursion() throws {
    // Unverified on purpose: the pass must not rely on the verifier to stop recursion.
    var m = try Parser.parse("""
        func @f(%a: f32[2]) -> f32[2] {
          %b = call @f(%a)
          return %b
        }
        """, file: "rec.ir")
    let error = #expect(throws: DiagnosticError.self) { try InlinePass().run(&m) }
    #expect(error?.description == "rec.ir:2:8: error: inline: recursive call to '@f' cannot be inlined")
    #expect(error?.diagnostics.first?.body == .inline(.recursiveCall("f")))
}

@Test func inlineRefusesDeepChainsOfAnUnverifiedModule() throws {
    // Unverified on purpose: 2,000 nested calls must be an error, not a stack overflow.
    var text = ""
    for i in 0..<2000 { text += "func @f\(i)(%a: f32[2]) -> f32[2] {\n  %b = call @f\(i + 1)(%a)\n  return %b\n}\n" }
    text += "func @f2000(%a: f32[2]) -> f32[2] {\n  %b = neg %a\n  return %b\n}\n"
    var m = try Parser.parse(text, file: "deep.ir")
    let error = #expect(throws: DiagnosticError.self) { try InlinePass().run(&m) }
    #expect(error?.description.contains("error: inline: calls nest deeper than 64 levels at the call of '@f65'") == true)
    #expect(error?.diagnostics.first?.body == .inline(.callsTooDeep(callee: "f65", maxDepth: 64)))
}
