import Testing
import VFCCodegen
import VFCIR
import VFCInterpreter
import VFCTensor
import VFCTestSupport

/// JIT vs interpreter on reduce_{sum,max,min,mean}, softmax, log_softmax, l2_normalize and
/// layer_norm (relative 1e-5; integer results exactly).
@Suite struct ReductionParityTests {
    static let tolerance = 1e-5

    @Test(arguments: ["sum", "max", "min", "mean"])
    func reduceOverAxes(kind: String) throws {
        let m = try verified("""
            func @f(%x: f32[N, 6, 7], %y: f32[4, N, 3, 5]) {
              %last = reduce_\(kind) %x {axes = [2]}
              %neg = reduce_\(kind) %x {axes = [-1]}
              %first = reduce_\(kind) %x {axes = [0]}
              %middle = reduce_\(kind) %x {axes = [1]}
              %ends = reduce_\(kind) %x {axes = [0, 2]}
              %lead = reduce_\(kind) %x {axes = [0, 1]}
              %all = reduce_\(kind) %x {axes = [0, 1, 2]}
              %keep = reduce_\(kind) %x {axes = [1], keep_dims = true}
              %keepall = reduce_\(kind) %x {axes = [0, 1, 2], keep_dims = true}
              %none = reduce_\(kind) %x {axes = []}
              %alt = reduce_\(kind) %y {axes = [1, 3]}
              %alt2 = reduce_\(kind) %y {axes = [0, 2]}
              %mid2 = reduce_\(kind) %y {axes = [1, 2], keep_dims = true}
              return %last, %neg, %first, %middle, %ends, %lead, %all, %keep, %keepall, %none, %alt, %alt2, %mid2
            }
            """)
        for n in [1, 3] {
            #expect(try parity(m, "f", bindings: ["N": n]) < Self.tolerance)
        }
    }

    @Test(arguments: ["sum", "max", "min", "mean"])
    func reduceF64AndUnitAxes(kind: String) throws {
        let m = try verified("""
            func @f(%x: f64[5, 1, 9], %s: f32[], %u: f32[1, 8, 1]) {
              %a = reduce_\(kind) %x {axes = [2]}
              %b = reduce_\(kind) %x {axes = [0, 1]}
              %c = reduce_\(kind) %x {axes = [1]}
              %d = reduce_\(kind) %s {axes = []}
              %e = reduce_\(kind) %u {axes = [0, 2]}
              %g = reduce_\(kind) %u {axes = [1], keep_dims = true}
              return %a, %b, %c, %d, %e, %g
            }
            """)
        #expect(try parity(m, "f", bindings: [:]) < Self.tolerance)
    }

    /// Long f32 sums: a float accumulator would drift past the tolerance (and results that
    /// cancel towards 0 are compared absolutely at 1e-8).
    @Test func longSums() throws {
        let m = try verified("""
            func @f(%x: f32[3, 20000], %y: f32[20000, 3], %z: f32[64, 96, 5]) {
              %a = reduce_sum %x {axes = [1]}
              %b = reduce_mean %x {axes = [-1]}
              %c = reduce_sum %y {axes = [0]}
              %d = reduce_mean %y {axes = [0]}
              %e = reduce_sum %z {axes = [0, 1, 2]}
              %g = reduce_sum %z {axes = [0, 2]}
              %h = reduce_max %x {axes = [1]}
              return %a, %b, %c, %d, %e, %g, %h
            }
            """)
        for seed: UInt64 in [0, 1, 2] {
            #expect(try parity(m, "f", bindings: [:], seed: seed) < Self.tolerance)
        }
    }

    @Test func integerReductionsAreExact() throws {
        let m = try verified("""
            func @f(%i: i32[N, 5, 3], %l: i64[7, N], %u: u8[4, 300], %b: i1[6, 4]) {
              %s0 = reduce_sum %i {axes = [2]}
              %s1 = reduce_sum %i {axes = [0]}
              %s2 = reduce_sum %i {axes = [0, 2]}
              %m0 = reduce_max %i {axes = [1]}
              %m1 = reduce_min %i {axes = [0, 1, 2]}
              %l0 = reduce_sum %l {axes = [1]}
              %l1 = reduce_max %l {axes = [0]}
              %l2 = reduce_min %l {axes = [1], keep_dims = true}
              %u0 = reduce_sum %u {axes = [1]}
              %u1 = reduce_max %u {axes = [0]}
              %u2 = reduce_min %u {axes = [1]}
              %b0 = reduce_max %b {axes = [1]}
              %b1 = reduce_min %b {axes = [0]}
              return %s0, %s1, %s2, %m0, %m1, %l0, %l1, %l2, %u0, %u1, %u2, %b0, %b1
            }
            """)
        // %u0 sums 300 values of 0 or 1: over 255, saturated like the interpreter.
        #expect(try parity(m, "f", bindings: ["N": 4]) == 0)
    }

    @Test func negativeIntegers() throws {
        let m = try verified("""
            func @f(%i: i32[6, 5]) {
              %n = sub %i, 2
              %a = reduce_max %n {axes = [1]}
              %b = reduce_min %n {axes = [0]}
              %c = reduce_sum %n {axes = [0, 1]}
              return %a, %b, %c
            }
            """)
        #expect(try parity(m, "f", bindings: [:]) == 0)
    }

    @Test func nanPropagatesThroughMaxAndMin() throws {
        // log of a negative number is NaN: rows of %y hold NaNs where %x < 0.
        let m = try verified("""
            func @f(%x: f32[6, 5]) {
              %y = log %x
              %a = reduce_max %y {axes = [1]}
              %b = reduce_min %y {axes = [0]}
              %c = reduce_max %y {axes = [0, 1]}
              %d = reduce_sum %y {axes = [1]}
              return %a, %b, %c, %d
            }
            """)
        #expect(try parity(m, "f", bindings: [:]) < Self.tolerance)
    }

    @Test func emptyReductions() throws {
        let m = try verified("""
            func @f(%x: f32[0, 3], %i: i32[4, 0]) {
              %a = reduce_sum %x {axes = [0]}
              %b = reduce_max %x {axes = [0]}
              %c = reduce_min %x {axes = [0]}
              %d = reduce_mean %x {axes = [0]}
              %e = reduce_max %i {axes = [1]}
              %g = reduce_min %i {axes = [1]}
              %h = reduce_sum %x {axes = [1]}
              return %a, %b, %c, %d, %e, %g, %h
            }
            """)
        #expect(try parity(m, "f", bindings: [:]) == 0)
    }

    @Test func softmaxAndLogSoftmax() throws {
        let m = try verified("""
            func @f(%x: f32[N, 7], %y: f32[2, 3, 5], %w: f32[2, 3000], %d: f64[4, 6]) {
              %a = softmax %x {axis = -1}
              %b = log_softmax %x {axis = -1}
              %c = softmax %x {axis = 0}
              %e = log_softmax %x {axis = 0}
              %g = softmax %y {axis = 1}
              %h = log_softmax %y {axis = 1}
              %i = softmax %w {axis = 1}
              %j = log_softmax %w {axis = 1}
              %k = softmax %d {axis = -1}
              %l = log_softmax %d {axis = 0}
              %s = mul %x, 30
              %n = log_softmax %s {axis = 1}
              return %a, %b, %c, %e, %g, %h, %i, %j, %k, %l, %n
            }
            """)
        for n in [1, 5] {
            #expect(try parity(m, "f", bindings: ["N": n]) < Self.tolerance)
        }
    }

    /// Rows with -inf (log 0), all -inf (NaN like the interpreter) and +inf (1 / 0).
    @Test func softmaxOfInfiniteRows() throws {
        let m = try verified("""
            func @f() {
              %c = constant {value = [0, 0, 0, 1, 0, 2, 3, 1, 0.5]} : f32[3, 3]
              %l = log %c
              %a = softmax %l {axis = -1}
              %b = log_softmax %l {axis = -1}
              %p = div 1, %c
              %d = softmax %p {axis = -1}
              %e = log_softmax %p {axis = 0}
              return %a, %b, %d, %e
            }
            """)
        #expect(try parity(m, "f", bindings: [:]) < Self.tolerance)
    }

    @Test func l2Normalize() throws {
        let m = try verified("""
            func @f(%x: f32[N, 9], %y: f32[3, 4, 5], %d: f64[6, 7]) {
              %a = l2_normalize %x {axis = -1, eps = 1e-12}
              %b = l2_normalize %x {axis = 0, eps = 1e-12}
              %c = l2_normalize %y {axis = 1, eps = 1e-6}
              %e = l2_normalize %x {axis = -1, eps = 100}
              %g = l2_normalize %d {axis = 1, eps = 1e-12}
              %z = mul %x, 0
              %h = l2_normalize %z {axis = -1, eps = 1e-12}
              return %a, %b, %c, %e, %g, %h
            }
            """)
        #expect(try parity(m, "f", bindings: ["N": 4]) < Self.tolerance)
    }

    @Test func layerNorm() throws {
        let m = try verified("""
            param @ln.weight : f32[768] = normal(1.0)
            param @ln.bias : f32[768] = normal(1.0)

            func @f(%x: f32[N, T, 32], %w: f32[32], %b: f32[32], %v: f32[5], %d: f64[3, 16], %dw: f64[16], %db: f64[16], %big: f32[N, 768]) {
              %a = layer_norm %x, %w, %b {eps = 1e-6}
              %c = layer_norm %v, %v, %v {eps = 1e-5}
              %e = layer_norm %d, %dw, %db {eps = 1e-6}
              %s = add %x, 1000
              %g = layer_norm %s, %w, %b {eps = 1e-6}
              %h = layer_norm %big, @ln.weight, @ln.bias {eps = 1e-6}
              return %a, %c, %e, %g, %h
            }
            """)
        #expect(try parity(m, "f", bindings: ["N": 2, "T": 5]) < Self.tolerance)
    }
}


