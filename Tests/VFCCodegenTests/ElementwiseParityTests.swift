import Foundation
import Testing
import VFCCodegen
import VFCIR
import VFCTensor

@Suite struct ElementwiseParityTests {
    @Test func elementwiseChain() throws {
        let m = try verified("""
            func @f(%x: f32[N, 8], %y: f32[N, 8], %s: f32[], %m: u8[N, 8]) {
              %a = mul %x, %y
              %b = add %a, %s
              %c = exp %b
              %d = tanh %c
              %e = gelu %x
              %g = erf %y
              %h = max %e, %g
              %k = select %m, %h, 0.5
              %l = gt %k, %x
              %n = convert %l {dtype = f32}
              %o = sub %k, %n
              %p = abs %o
              %q = sqrt %p
              %r = rsqrt %c
              %t = div %q, %r
              %u = pow %p, 1.5
              %w = neg %u
              %lg = log %c
              %z = constant {value = 2} : f32[N, 8]
              %zz = add %z, %lg
              return %t, %w, %zz, %l
            }
            """)
        #expect(try parity(m, "f", bindings: ["N": 3]) < 1e-5)
    }

    @Test func integerAndMaskOps() throws {
        let m = try verified("""
            func @f(%a: i32[6], %b: i32[6], %m: u8[6], %n: u8[6]) {
              %s = add %a, %b
              %d = div %s, %b
              %x = max %d, %a
              %y = neg %x
              %z = abs %y
              %o = or %m, %n
              %q = and %o, %m
              %t = not %q
              %f = convert %z {dtype = f64}
              %h = convert %f {dtype = i64}
              return %z, %t, %f, %h
            }
            """)
        #expect(try parity(m, "f", bindings: [:]) == 0)
    }
}

@Suite struct ParallelLoopTests {
    /// Large enough to split across threads: the outlined bodies agree with the interpreter.
    @Test func largeElementwiseRunsThroughTheThreadPool() throws {
        let m = try verified("""
            func @f(%x: f32[N, 1024], %y: f32[N, 1024]) {
              %a = mul %x, %y
              %b = add %a, 1
              %c = gelu %b
              return %c
            }
            """)
        #expect(try parity(m, "f", bindings: ["N": 64]) < 1e-5)
        let ir = try LoweredModule(module: m, functions: ["f"], options: CodegenOptions(bindings: ["N": 64])).llvmIR
        #expect(ir.contains("call void @vfc_parallel_for"))
        // The kernel function f.k.0 holds the loop; its body is outlined for the pool.
        #expect(ir.contains("define internal void @f.k.0.par.0(ptr"))
    }
}

@Suite struct MathFunctionTests {
    /// The vectorisable exp against libm over its whole range, edges included.
    @Test func expMatchesLibmToTheLastDigits() throws {
        let xs: [Double] = [-800, -745.2, -744, -720, -700, -20, -1, -1e-10, 0, 1e-10, 0.5, 0.6931471805599453, 1, 10,
                            88.7, 300, 709, 709.78, 710, .infinity, -.infinity, .nan]
        let m = try verified("""
            func @f(%x: f64[\(xs.count)]) {
              %y = exp %x
              return %y
            }
            """)
        let jit = try JITModule(module: m, functions: ["f"])
        let y = try jit.run(function: "f", inputs: [VFCTensor.Tensor(dtype: .f64, shape: [xs.count], scalars: xs)], params: [:])[0]
        for (i, x) in xs.enumerated() {
            let want = Foundation.exp(x), got = y[flat: i]
            if want.isNaN {
                #expect(got.isNaN)
            } else if want == 0 || want.isInfinite {
                #expect(got == want, "exp(\(x)) = \(got), libm \(want)")
            } else if want < 2.3e-308 {
                #expect(Swift.abs(got - want) <= 1e-16 * 1e-300, "exp(\(x)) = \(got), libm \(want)")  // subnormal: absolute
            } else {
                #expect(Swift.abs(got - want) / want < 1e-14, "exp(\(x)) = \(got), libm \(want)")
            }
        }
    }

    /// f32 gelu and tanh (double-precision approximations, vectorisable) stay within a few
    /// f32 ulps of the exact functions over the whole useful range.
    @Test func f32GeluAndTanhAreAccurate() throws {
        let xs = stride(from: -12.0, through: 12.0, by: 0.0371).map { Double(Float($0)) } + [0, 1e-9, -3e-5, 20, -20]
        let m = try verified("""
            func @f(%x: f32[\(xs.count)]) {
              %g = gelu %x
              %t = tanh %x
              return %g, %t
            }
            """)
        let out = try JITModule(module: m, functions: ["f"]).run(function: "f", inputs: [VFCTensor.Tensor(dtype: .f32, shape: [xs.count], scalars: xs)], params: [:])
        for (i, x) in xs.enumerated() {
            let gelu = x * 0.5 * Foundation.erfc(-x / 2.0.squareRoot()), tanh = Foundation.tanh(x)
            #expect(Swift.abs(out[0][flat: i] - gelu) <= 4e-7 * Swift.abs(gelu) + 1e-37, "gelu(\(x)) = \(out[0][flat: i]), exact \(gelu)")
            #expect(Swift.abs(out[1][flat: i] - tanh) <= 2.5e-7 * Swift.abs(tanh) + 1e-37, "tanh(\(x)) = \(out[1][flat: i]), exact \(tanh)")
        }
    }

    /// f32 erf (arithmetic in double, vectorisable) against libm's double erf: within one
    /// f32 ulp over both branches (series below |x| = 1, 1 - erfc above), at the branch
    /// point, for tiny and subnormal inputs (the series keeps relative accuracy there) and
    /// at the edges (+-inf, NaN, saturation to +-1).
    @Test func f32ErfIsAccurate() throws {
        let grid = stride(from: -7.0, through: 7.0, by: 0.00173).map { Double(Float($0)) }
        let edges: [Double] = [0, 1e-30, -1e-38, 1e-44, 3e-5, -0.99999994, 1, -1, 1.0000001, 3.9, 10, -10, 1e30]
        let xs = grid + edges.map { Double(Float($0)) }
        let m = try verified("""
            func @f(%x: f32[\(xs.count + 3)]) {
              %e = erf %x
              return %e
            }
            """)
        let inputs = xs + [.infinity, -.infinity, .nan]
        let out = try JITModule(module: m, functions: ["f"]).run(function: "f", inputs: [VFCTensor.Tensor(dtype: .f32, shape: [inputs.count], scalars: inputs)], params: [:])[0]
        for (i, x) in xs.enumerated() {
            let want = Foundation.erf(x), got = out[flat: i]
            // One f32 ulp of |want| (2^-23 relative), or the smallest subnormal.
            #expect(Swift.abs(got - want) <= 1.2e-7 * Swift.abs(want) + 1.5e-45, "erf(\(x)) = \(got), libm \(want)")
        }
        #expect(out[flat: xs.count] == 1 && out[flat: xs.count + 1] == -1 && out[flat: xs.count + 2].isNaN)
    }
}
