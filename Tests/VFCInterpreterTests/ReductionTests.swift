import Foundation
import Testing
import VFCIR
import VFCTensor
import VFCInterpreter

@Test func reductionsOverAxesWithAndWithoutKeepDims() throws {
    let ir = """
    func @f(%x: f64[2, 3]) {
      %s = reduce_sum %x {axes = [1]}
      %k = reduce_sum %x {axes = [0], keep_dims = true}
      %mx = reduce_max %x {axes = [1], keep_dims = true}
      %mn = reduce_min %x {axes = [0]}
      %me = reduce_mean %x {axes = [0, 1]}
      %no = reduce_sum %x {axes = []}
      return %s, %k, %mx, %mn, %me, %no
    }
    """
    let out = try run(ir, inputs: [T([2, 3], [1, 5, 3, 4, 2, 6])])
    #expect(out[0].shape == [2] && out[0].scalars == [9, 12])
    #expect(out[1].shape == [1, 3] && out[1].scalars == [5, 7, 9])
    #expect(out[2].shape == [2, 1] && out[2].scalars == [5, 6])
    #expect(out[3].shape == [3] && out[3].scalars == [1, 2, 3])
    #expect(out[4].shape == [] && out[4].scalars == [3.5])
    #expect(out[5].shape == [2, 3] && out[5].scalars == [1, 5, 3, 4, 2, 6])
}

@Test func reduceOverNonAdjacentAxes() throws {
    let ir = """
    func @f(%x: f64[2, 2, 2]) {
      %s = reduce_sum %x {axes = [0, 2], keep_dims = true}
      %m = reduce_max %x {axes = [-1]}
      return %s, %m
    }
    """
    let out = try run(ir, inputs: [T([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8])])
    #expect(out[0].shape == [1, 2, 1] && out[0].scalars == [14, 22])  // 1 + 2 + 5 + 6, 3 + 4 + 7 + 8
    #expect(out[1].shape == [2, 2] && out[1].scalars == [2, 4, 6, 8])
}

@Test func softmaxAndLogSoftmaxOfOneTwoThree() throws {
    let ir = """
    func @f(%x: f64[3]) {
      %s = softmax %x
      %l = log_softmax %x {axis = 0}
      return %s, %l
    }
    """
    let out = try run(ir, inputs: [T([3], [1, 2, 3])])
    // e^k / (e + e^2 + e^3); log of the sum is 3.40760596444438.
    #expect(close(out[0], [0.09003057317038046, 0.24472847105479764, 0.6652409557748219], tol: 1e-15))
    #expect(close(out[1], [-2.40760596444438, -1.40760596444438, -0.40760596444438], tol: 1e-13))
    // Stability: huge logits must not overflow (max subtraction).
    let big = try run(ir, inputs: [T([3], [1000, 1001, 1002])])
    #expect(close(big[0], out[0].scalars, tol: 1e-15))
    #expect(close(big[1], out[1].scalars, tol: 1e-12))
}

@Test func softmaxAlongAFirstAxis() throws {
    let ir = "func @f(%x: f64[2, 2]) { %s = softmax %x {axis = 0}\n return %s }"
    let s = try run1(ir, inputs: [T([2, 2], [0, 5, 0, 5])])
    #expect(s.scalars == [0.5, 0.5, 0.5, 0.5])
}

@Test func l2NormalizeUsesEpsAsFloor() throws {
    let ir = "func @f(%x: f64[2, 2]) { %n = l2_normalize %x {axis = -1, eps = 0.5}\n return %n }"
    let n = try run1(ir, inputs: [T([2, 2], [3, 4, 0.1, 0])])
    // ||(3, 4)|| = 5; ||(0.1, 0)|| = 0.1 is below eps, so it is divided by 0.5.
    #expect(close(n, [0.6, 0.8, 0.2, 0], tol: 1e-15))
}

@Test func layerNormTwoByThree() throws {
    // Row 1: mean 2, biased var 2/3; row 2: mean 2, var 26/3. With eps = 1/3 the
    // denominators are sqrt(1) = 1 and sqrt(9) = 3.
    let ir = """
    func @f(%x: f64[2, 3], %w: f64[3], %b: f64[3]) {
      %y = layer_norm %x, %w, %b {eps = 0.3333333333333333}
      return %y
    }
    """
    let y = try run1(ir, inputs: [T([2, 3], [1, 2, 3, 5, 3, -2]), T([3], [1, 2, 3]), T([3], [0, 1, -1])])
    // Normalised rows (-1, 0, 1) and (1, 1/3, -4/3), times w plus b.
    #expect(close(y, [-1, 1, 2, 1, 2.0 / 3 + 1, -5], tol: 1e-12))
}
