import Testing
import VFCIR
import VFCTensor
import VFCInterpreter

/// A = [[1, 2, 3], [4, 5, 6]], B = [[7, 8], [9, 10], [11, 12]]: A B = [[58, 64], [139, 154]].
private let a = T([2, 3], [1, 2, 3, 4, 5, 6])
private let aT = T([3, 2], [1, 4, 2, 5, 3, 6])
private let b = T([3, 2], [7, 8, 9, 10, 11, 12])
private let bT = T([2, 3], [7, 9, 11, 8, 10, 12])
private let ab: [Double] = [58, 64, 139, 154]

@Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
func matmulTwoByThreeTimesThreeByTwo(ta: Bool, tb: Bool) throws {
    let sa = ta ? "f64[3, 2]" : "f64[2, 3]", sb = tb ? "f64[2, 3]" : "f64[3, 2]"
    let flags = [ta ? "transpose_a" : nil, tb ? "transpose_b" : nil].compactMap { $0 }.joined(separator: ", ")
    let ir = "func @f(%a: \(sa), %b: \(sb)) { %c = matmul %a, %b {\(flags)}\n return %c }"
    let c = try run1(ir, inputs: [ta ? aT : a, tb ? bT : b])
    #expect(c.shape == [2, 2])
    #expect(c.scalars == ab)
}

@Test func batchedMatmul() throws {
    let ir = "func @f(%a: f64[2, 2, 2], %b: f64[2, 2, 2]) { %c = matmul %a, %b\n return %c }"
    let c = try run1(ir, inputs: [T([2, 2, 2], [1, 2, 3, 4, 1, 0, 0, 1]), T([2, 2, 2], [5, 6, 7, 8, 1, 2, 3, 4])])
    #expect(c.shape == [2, 2, 2])
    #expect(c.scalars == [19, 22, 43, 50, 1, 2, 3, 4])
    // Batched with transpose_b: batch 0 is A B^T = [[17, 23], [39, 53]].
    let irT = "func @f(%a: f64[2, 2, 2], %b: f64[2, 2, 2]) { %c = matmul %a, %b {transpose_b}\n return %c }"
    let cT = try run1(irT, inputs: [T([2, 2, 2], [1, 2, 3, 4, 1, 0, 0, 1]), T([2, 2, 2], [5, 6, 7, 8, 1, 2, 3, 4])])
    #expect(cT.scalars == [17, 23, 39, 53, 1, 3, 2, 4])
}

@Test func matmulWithRankTwoRhsAppliesToAllLeadingRows() throws {
    let ir = "func @f(%a: f64[2, 1, 3], %b: f64[3, 2]) { %c = matmul %a, %b\n return %c }"
    let c = try run1(ir, inputs: [T([2, 1, 3], [1, 2, 3, 4, 5, 6]), b])
    #expect(c.shape == [2, 1, 2] && c.scalars == ab)
    // transpose_a on a batched lhs transposes each batch's last two axes.
    let irT = "func @f(%a: f64[1, 3, 2], %b: f64[3, 2]) { %c = matmul %a, %b {transpose_a}\n return %c }"
    let cT = try run1(irT, inputs: [T([1, 3, 2], aT.scalars), b])
    #expect(cT.shape == [1, 2, 2] && cT.scalars == ab)
}

@Test func linearIsXWTransposePlusBias() throws {
    let ir = """
    func @f(%x: f64[2, 3], %w: f64[2, 3], %b: f64[2]) {
      %y = linear %x, %w, %b
      return %y
    }
    """
    let y = try run1(ir, inputs: [a, T([2, 3], [1, 0, 0, 0, 1, 1]), T([2], [0.5, -1])])
    #expect(y.shape == [2, 2] && y.scalars == [1.5, 4, 4.5, 10])
}
