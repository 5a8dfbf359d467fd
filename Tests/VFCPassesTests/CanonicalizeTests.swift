import Testing
import VFCIR
@testable import VFCPasses
import VFCTestSupport

@Test func foldsElementwiseOpsAndLiteralArithmetic() throws {
    let out = try optimize("canonicalize,dce", """
        func @f() -> (f32[N, 3], f32[2], i1[2], i32[2], i32[2]) {
          %a = constant {value = 2} : f32[N, 3]
          %b = mul %a, 8
          %c = sqrt %b
          %d = constant {value = [1, 2]} : f32[2]
          %e = add %d, 0.5
          %g = lt %d, 1.5
          %h = convert %e {dtype = i32}
          %m = constant {value = [7, -7]} : i32[2]
          %n = select %g, %m, 0
          return %c, %e, %g, %h, %n
        }
        """)
    #expect(out == ir("""

        func @f() -> (f32[N, 3], f32[2], i1[2], i32[2], i32[2]) {
          %c = constant {value = 4} : f32[N, 3]
          %e = constant {value = [1.5, 2.5]} : f32[2]
          %g = constant {value = [1, 0]} : i1[2]
          %h = constant {value = [1, 2]} : i32[2]
          %n = constant {value = [7, 0]} : i32[2]
          return %c, %e, %g, %h, %n
        }

        """))
}

@Test func foldsDataMovementWithinTheDenseLimit() throws {
    let out = try optimize("canonicalize,dce", """
        func @f() -> (f32[3, 2], f32[2, 3], f32[6], f32[N, 4096], f32[1024, 2]) {
          %a = constant {value = [1, 2, 3, 4, 5, 6]} : f32[2, 3]
          %t = transpose %a {perm = [1, 0]}
          %v = constant {value = [1, 2, 3]} : f32[3]
          %b = broadcast %v {shape = [2, 3], dims = [1]}
          %r = reshape %a {shape = [6]}
          %s = constant {value = 0.25} : f32[]
          %big = broadcast %s {shape = [N, 4096], dims = []}
          %w = constant {value = [1, 2]} : f32[2]
          %huge = broadcast %w {shape = [1024, 2], dims = [1]}
          return %t, %b, %r, %big, %huge
        }
        """)
    // The splat broadcasts at any size; the dense one would have 2048 elements: kept.
    #expect(out == ir("""

        func @f() -> (f32[3, 2], f32[2, 3], f32[6], f32[N, 4096], f32[1024, 2]) {
          %t = constant {value = [1, 4, 2, 5, 3, 6]} : f32[3, 2]
          %b = constant {value = [1, 2, 3, 1, 2, 3]} : f32[2, 3]
          %r = constant {value = [1, 2, 3, 4, 5, 6]} : f32[6]
          %big = constant {value = 0.25} : f32[N, 4096]
          %w = constant {value = [1, 2]} : f32[2]
          %huge = broadcast %w {shape = [1024, 2], dims = [1]} : f32[1024, 2]
          return %t, %b, %r, %big, %huge
        }

        """))
}

@Test func foldingRoundsToTheElementTypeAndStopsAtUncertainResults() throws {
    let out = try optimize("canonicalize,dce", """
        func @f(%x: f32[2]) -> (f32[], f64[], f32[2], i32[], f32[], i32[], u8[], i32[2], i1[2]) {
          %t = constant {value = 0.1} : f32[]
          %a = add %t, 0.2
          %t64 = constant {value = 0.1} : f64[]
          %b = add %t64, 0.2
          %c = mul %x, 0
          %i = constant {value = 7} : i32[]
          %d = div %i, 2
          %z = constant {value = 0} : f32[]
          %e = log %z
          %big = constant {value = 2147483647} : i32[]
          %o = add %big, 1
          %u = constant {value = 1} : u8[]
          %w = sub %u, 2
          %h = constant {value = [2.7, -2.7]} : f32[2]
          %hi = convert %h {dtype = i32}
          %hb = convert %h {dtype = i1}
          return %a, %b, %c, %d, %e, %o, %w, %hi, %hb
        }
        """)
    // f32 0.1 + 0.2 in f32 arithmetic; mul x, 0 is kept (NaN and infinities); integer
    // division, log 0 = -inf and integer overflow are left to run time.
    #expect(out.contains("  %a = constant {value = 0.30000001192092896} : f32[]\n"))
    #expect(out.contains("  %b = constant {value = 0.30000000000000004} : f64[]\n"))
    #expect(out.contains("  %c = mul %x, 0 : f32[2]\n"))
    #expect(out.contains("  %d = div %i, 2 : i32[]\n"))
    #expect(out.contains("  %e = log %z : f32[]\n"))
    #expect(out.contains("  %o = add %big, 1 : i32[]\n"))
    #expect(out.contains("  %w = sub %u, 2 : u8[]\n"))
    // float to integer truncates toward zero; to i1 only 0 and 1 are certain.
    #expect(out.contains("  %hi = constant {value = [2, -2]} : i32[2]\n"))
    #expect(out.contains("  %hb = convert %h {dtype = i1} : i1[2]\n"))
}

@Test func removesArithmeticIdentities() throws {
    let out = try optimize("canonicalize,dce", """
        func @f(%x: f32[2, 3], %s: f32[], %i: i32[4]) -> (f32[2, 3], f32[2, 3], i32[4]) {
          %z = constant {value = 0} : f32[2, 3]
          %one = constant {value = 1} : f32[]
          %a = add %x, 0
          %b = add %z, %a
          %c = sub %b, 0
          %d = mul %c, %one
          %e = mul 1, %d
          %f = div %e, 1
          %k = add %s, %z
          %j = add %i, 0
          %j2 = mul %j, 1
          return %f, %k, %j2
        }
        """)
    // add %s, %z is f32[2, 3], not the type of %s: it stays.
    #expect(out == ir("""

        func @f(%x: f32[2, 3], %s: f32[], %i: i32[4]) -> (f32[2, 3], f32[2, 3], i32[4]) {
          %z = constant {value = 0} : f32[2, 3]
          %k = add %s, %z : f32[2, 3]
          return %x, %k, %i
        }

        """))
}

@Test func removesIdentityOpsAndCollapsesPairs() throws {
    let out = try optimize("canonicalize,dce", """
        param @p : f32[2, 3] = zeros
        func @f(%x: f32[2, 3]) -> (f32[2, 3], f32[2, 3], f32[2, 3]) {
          %g = neg %x
          %h = neg %g
          %t = transpose %h {perm = [0, 1]}
          %r = reshape %t {shape = [2, 3]}
          %bc = broadcast %r {shape = [2, 3], dims = [0, 1]}
          %cv = convert %bc {dtype = f32}
          %sg = stop_gradient %cv
          %sg2 = stop_gradient %sg
          %pc = convert @p {dtype = f32}
          %wide = broadcast %x {shape = [2, 3], dims = [0, 1]}
          %keep = convert %wide {dtype = f64}
          %back = convert %keep {dtype = f32}
          return %sg2, %pc, %back
        }
        """)
    // convert to f64 and back is not an identity rewrite (it need not be exact in general).
    #expect(out.hasSuffix(ir("""

        func @f(%x: f32[2, 3]) -> (f32[2, 3], f32[2, 3], f32[2, 3]) {
          %sg = stop_gradient %x : f32[2, 3]
          %keep = convert %x {dtype = f64} : f64[2, 3]
          %back = convert %keep {dtype = f32} : f32[2, 3]
          return %sg, @p, %back
        }

        """)))
}

@Test func combinesTransposeAndReshapeChains() throws {
    let out = try optimize("canonicalize,dce", """
        func @f(%x: f32[2, 3, 4]) -> (f32[4, 2, 3], f32[2, 3, 4], f32[6, 4], f32[2, 3, 4]) {
          %t1 = transpose %x {perm = [1, 2, 0]}
          %t2 = transpose %t1 {perm = [1, 2, 0]}
          %t3 = transpose %t2 {perm = [1, 2, 0]}
          %r1 = reshape %x {shape = [24]}
          %r2 = reshape %r1 {shape = [6, 4]}
          %r3 = reshape %r2 {shape = [2, 3, 4]}
          return %t2, %t3, %r2, %r3
        }
        """)
    #expect(out == ir("""

        func @f(%x: f32[2, 3, 4]) -> (f32[4, 2, 3], f32[2, 3, 4], f32[6, 4], f32[2, 3, 4]) {
          %t2 = transpose %x {perm = [2, 0, 1]} : f32[4, 2, 3]
          %r2 = reshape %x {shape = [6, 4]} : f32[6, 4]
          return %t2, %x, %r2, %x
        }

        """))
}

@Test func canonicalizeLeavesDeadProducersForDCE() throws {
    let out = try optimize("canonicalize", """
        func @f(%x: f32[4]) -> f32[4] {
          %a = neg %x
          %b = neg %a
          %c = constant {value = 3} : f32[4]
          %d = add %c, 1
          %e = mul %b, %d
          return %e
        }
        """)
    #expect(out == ir("""

        func @f(%x: f32[4]) -> f32[4] {
          %a = neg %x : f32[4]
          %b = neg %a : f32[4]
          %c = constant {value = 3} : f32[4]
          %d = constant {value = 4} : f32[4]
          %e = mul %x, %d : f32[4]
          return %e
        }

        """))
}

@Test func canonicalizeReachesItsFixedPoint() throws {
    var m = try verified("""
        func @f(%x: f32[4, 2]) -> f32[4, 2] {
          %a = neg %x
          %b = neg %a
          %c = neg %b
          %d = neg %c
          %t = transpose %d {perm = [1, 0]}
          %u = transpose %t {perm = [1, 0]}
          %s = add %u, 0
          return %s
        }
        """)
    var f = m.functions[0]
    #expect(CanonicalizePass.sweep(&f, m))
    // Everything was found in one walk; dead `neg (neg x)` left behind is not a change.
    #expect(!CanonicalizePass.sweep(&f, m))
    #expect(f.returns == [.value(f.arguments[0])])
    try CanonicalizePass().run(&m)
    #expect(m.functions[0].returns == [.value(f.arguments[0])])
}
