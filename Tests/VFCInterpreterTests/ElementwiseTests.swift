import Foundation
import Testing
import VFCIR
import VFCTensor
import VFCInterpreter

@Test func unaryOpsMatchHandValues() throws {
    let x = T([3], [-1, 0, 4])
    func u(_ op: String) throws -> [Double] {
        try run1("func @f(%x: f64[3]) { %y = \(op) %x\n return %y }", inputs: [x]).scalars
    }
    #expect(try u("neg") == [1, 0, -4])
    #expect(try u("abs") == [1, 0, 4])
    #expect(try u("exp") == [exp(-1), 1, exp(4)])
    #expect(try u("tanh") == [tanh(-1), 0, tanh(4)])
    #expect(try u("erf") == [erf(-1), 0, erf(4)])
    let pos = T([3], [0.25, 1, 4])
    let sq = try run1("func @f(%x: f64[3]) { %y = sqrt %x\n return %y }", inputs: [pos])
    #expect(sq.scalars == [0.5, 1, 2])
    let rs = try run1("func @f(%x: f64[3]) { %y = rsqrt %x\n return %y }", inputs: [pos])
    #expect(rs.scalars == [2, 1, 0.5])
    let lg = try run1("func @f(%x: f64[3]) { %y = log %x\n return %y }", inputs: [pos])
    #expect(close(lg, [-log(4), 0, log(4)]))
    // GELU, erf form: x * Phi(x); Phi(1) = 0.8413447460685429.
    let g = try run1("func @f(%x: f64[3]) { %y = gelu %x\n return %y }", inputs: [T([3], [-1, 0, 1])])
    #expect(close(g, [-(1 - 0.8413447460685429), 0, 0.8413447460685429], tol: 1e-15))
    let n = try run1("func @f(%m: i1[3]) { %y = not %m\n return %y }", inputs: [T([3], [1, 0, 1], .i1)])
    #expect(n.dtype == .i1 && n.scalars == [0, 1, 0])
}

@Test func binaryOpsWithRankZeroAndLiterals() throws {
    let ir = """
    func @f(%a: f64[2, 2], %b: f64[2, 2], %s: f64[]) {
      %add = add %a, %b
      %sub = sub %a, %b
      %mul = mul %a, %s
      %div = div 1, %a
      %max = max %a, 2.5
      %min = min %b, %a
      %pow = pow %a, 2
      return %add, %sub, %mul, %div, %max, %min, %pow
    }
    """
    let a = T([2, 2], [1, 2, 3, 4]), b = T([2, 2], [10, 0, -1, 5])
    let out = try run(ir, inputs: [a, b, T([], [3])])
    #expect(out[0].scalars == [11, 2, 2, 9])
    #expect(out[1].scalars == [-9, 2, 4, -1])
    #expect(out[2].scalars == [3, 6, 9, 12])
    #expect(out[3].scalars == [1, 0.5, 1.0 / 3, 0.25])
    #expect(out[4].scalars == [2.5, 2.5, 3, 4])
    #expect(out[5].scalars == [1, 0, -1, 4])
    #expect(out[6].scalars == [1, 4, 9, 16])
    #expect(out.allSatisfy { $0.shape == [2, 2] && $0.dtype == .f64 })
}

@Test func integerAndMaskOps() throws {
    let ir = """
    func @f(%a: i32[4], %m: u8[4], %n: u8[4]) {
      %q = div %a, 2
      %s = add %a, 2147483647
      %and = and %m, %n
      %or = or %m, %n
      return %q, %s, %and, %or
    }
    """
    let out = try run(ir, inputs: [T([4], [7, -7, 0, 1], .i32), T([4], [0, 0, 1, 1], .u8), T([4], [0, 1, 0, 1], .u8)])
    // Integer division truncates toward zero; overflow wraps (two's complement), as the
    // compiled code's does.
    #expect(out[0].scalars == [3, -3, 0, 0])
    #expect(out[1].scalars == [-2147483642, 2147483640, 2147483647, -2147483648])
    #expect(out[2].scalars == [0, 0, 0, 1] && out[2].dtype == .u8)
    #expect(out[3].scalars == [0, 1, 1, 1])
}

@Test func compareGivesI1AndSelectBroadcastsLiterals() throws {
    let ir = """
    func @f(%x: f64[4], %y: f64[4]) {
      %lt = lt %x, %y
      %ge = ge %x, 2
      %eq = eq %x, %y
      %r = select %lt, %x, -1
      return %lt, %ge, %eq, %r
    }
    """
    let out = try run(ir, inputs: [T([4], [1, 2, 3, 4]), T([4], [2, 2, 2, 5])])
    #expect(out[0].dtype == .i1 && out[0].scalars == [1, 0, 0, 1])
    #expect(out[1].scalars == [0, 1, 1, 1])
    #expect(out[2].scalars == [0, 1, 0, 0])
    #expect(out[3].dtype == .f64 && out[3].scalars == [1, -1, -1, 4])
}

@Test func convertConstantAndStopGradient() throws {
    let ir = """
    func @f(%x: f64[4]) {
      %i = convert %x {dtype = i32}
      %h = convert %x {dtype = f32}
      %b = convert %x {dtype = i1}
      %c = constant {value = [1, 2, 3, 4.5]} : f64[2, 2]
      %k = constant {value = 0.1} : f32[3]
      %s = stop_gradient %x
      return %i, %h, %b, %c, %k, %s
    }
    """
    let x = T([4], [1.7, -1.7, 3e10, 0.1])
    let out = try run(ir, inputs: [x])
    #expect(out[0].dtype == .i32 && out[0].scalars == [1, -1, 2147483647, 0])
    #expect(out[1].dtype == .f32 && out[1].scalars == [1.7, -1.7, 3e10, 0.1].map { Double(Float($0)) })
    #expect(out[2].scalars == [1, 1, 1, 1])
    #expect(out[3].shape == [2, 2] && out[3].scalars == [1, 2, 3, 4.5])
    #expect(out[4].scalars == [Double](repeating: Double(Float(0.1)), count: 3))
    #expect(out[5] == x)
}

@Test func f32RoundsAfterEveryOpAndF64ModeDoesNot() throws {
    // 1 + 1e-8 is 1 in f32, so (x + 1e-8) - x is 0 in f32 and 1e-8 (up to rounding) in f64.
    let ir = """
    func @f(%x: f32[1]) {
      %a = add %x, 0.00000001
      %d = sub %a, %x
      return %d
    }
    """
    let x = T([1], [1], .f32)
    let f32 = try run1(ir, inputs: [x])
    #expect(f32.dtype == .f32 && f32.scalars == [0])
    let f64 = try run1(ir, inputs: [x], floatType: .f64)
    #expect(f64.dtype == .f64)
    #expect(Swift.abs(f64.scalars[0] - 1e-8) < 1e-15)
    // An f32 literal adopts f32: 0.1 is rounded to Float before the add.
    let lit = try run1("func @f(%x: f32[1]) { %y = add %x, 0.1\n return %y }", inputs: [T([1], [0], .f32)])
    #expect(lit.scalars == [Double(Float(0.1))])
    // In f32 mode an f64 input for an f32 argument is rounded on entry.
    let conv = try run1("func @f(%x: f32[1]) { %y = neg %x\n return %y }", inputs: [T([1], [0.1])])
    #expect(conv.dtype == .f32 && conv.scalars == [-Double(Float(0.1))])
}
