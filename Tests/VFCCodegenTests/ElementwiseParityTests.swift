import Testing
import VFCCodegen
import VFCIR

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
        #expect(ir.contains("define internal void @vfc_f.par.0(ptr"))
    }
}
