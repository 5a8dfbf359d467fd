import Foundation
import Testing
import VFCCodegen
import VFCIR
import VFCTensor
import VFCTestSupport

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
}
