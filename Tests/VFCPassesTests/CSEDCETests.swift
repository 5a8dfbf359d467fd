import Testing
import VFCIR
@testable import VFCPasses
import VFCTestSupport

@Test func cseAndDCETogether() throws {
    let out = try optimize("cse,dce", """
        func @g(%a: f32[4]) -> f32[4] {
          %b = tanh %a
          return %b
        }
        func @f(%x: f32[4], %y: f32[4]) -> (f32[4], f32[4], f32[2]) {
          %a = exp %x
          %b = exp %x
          %c = add %a, %y
          %d = add %b, %y
          %z1 = constant {value = 0} : f32[4]
          %z2 = constant {value = 0} : f32[4]
          %z3 = constant {value = 0} : f32[2]
          %z4 = constant {value = 0.5} : f32[2]
          %e = mul %c, %z1
          %f = mul %d, %z2
          %unused = tanh %x
          %l1 = mul %x, 2
          %l2 = mul %x, 3
          %k1 = call @g(%e)
          %k2 = call @g(%f)
          %s = sub %k1, %k2
          %u = sub %s, %l1
          %v = sub %u, %l2
          return %v, %d, %z4
        }
        """)
    // Duplicates of duplicates go in one walk (%d after %b, %f after %d, %k2 after %f);
    // constants differing in type or value, and literals differing in value, stay apart.
    #expect(out.hasSuffix(ir("""

        func @f(%x: f32[4], %y: f32[4]) -> (f32[4], f32[4], f32[2]) {
          %a = exp %x : f32[4]
          %c = add %a, %y : f32[4]
          %z1 = constant {value = 0} : f32[4]
          %z4 = constant {value = 0.5} : f32[2]
          %e = mul %c, %z1 : f32[4]
          %l1 = mul %x, 2 : f32[4]
          %l2 = mul %x, 3 : f32[4]
          %k1 = call @g(%e) : f32[4]
          %s = sub %k1, %k1 : f32[4]
          %u = sub %s, %l1 : f32[4]
          %v = sub %u, %l2 : f32[4]
          return %v, %c, %z4
        }

        """)))
}

@Test func cseKeepsOpsWithDifferentAttributesOrTypes() throws {
    let out = try optimize("cse", """
        func @f(%x: f32[2, 2]) -> (f32[2, 2], f32[2, 2], f32[2], f32[2]) {
          %a = transpose %x {perm = [1, 0]}
          %b = transpose %x {perm = [0, 1]}
          %c = reduce_sum %x {axes = [0]}
          %d = reduce_sum %x {axes = [1]}
          return %a, %b, %c, %d
        }
        """)
    #expect(out.components(separatedBy: "\n").count == 8)
}

@Test func cseTellsNegativeZeroConstantsApart() throws {
    // -0.0 cannot be written in the text format, so build it: 1 / -0.0 is -inf, not +inf.
    var f = Function(name: "f")
    let t = TensorType(.f32, [2])
    let p = f.append(.constant(.splat(0)), [], resultNames: ["p"], types: [t])[0]
    let n = f.append(.constant(.splat(-0.0)), [], resultNames: ["n"], types: [t])[0]
    let p2 = f.append(.constant(.splat(0)), [], resultNames: ["p2"], types: [t])[0]
    f.returns = [.value(p), .value(n), .value(p2)]
    var m = Module(functions: [f])
    try Verifier.run(&m)
    try CSEPass().run(&m)
    #expect(m.functions[0].returns == [.value(p), .value(n), .value(p)])
}

@Test func dceRemovesTransitivelyDeadCode() throws {
    let out = try optimize("dce", """
        func @f(%x: f32[4]) -> f32[4] {
          %a = exp %x
          %b = neg %a
          %c = tanh %b
          %d = log %x
          return %d
        }
        """)
    #expect(out == ir("""

        func @f(%x: f32[4]) -> f32[4] {
          %d = log %x : f32[4]
          return %d
        }

        """))
}

@Test func shapeInferTypesAnUnverified() throws {
    var m = try Parser.parse("""
        func @f(%x: f32[N, 8]) {
          %m = reduce_mean %x {axes = [1], keep_dims = true}
          %b = broadcast %m {shape = [N, 8], dims = [0, 1]}
          %y = sub %x, %b
          return %y
        }
        """, file: "test.ir")
    try ShapeInferencePass().run(&m)
    #expect(Printer.print(m) == ir("""

        func @f(%x: f32[N, 8]) -> f32[N, 8] {
          %m = reduce_mean %x {axes = [1], keep_dims = true} : f32[N, 1]
          %b = broadcast %m {shape = [N, 8], dims = [0, 1]} : f32[N, 8]
          %y = sub %x, %b : f32[N, 8]
          return %y
        }

        """))
}
