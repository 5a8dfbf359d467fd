import Testing
import VFCIR
import VFCInterpreter
import VFCTensor
import VFCTestSupport

// `nonzero` against hand values: flat row-major indices in increasing order, padding with
// `fill`, a symbolic size and the overflow error (the gather's gradient and the compiled
// forms: Tests/VFCCodegenTests/NonzeroParityTests.swift).

@Test func nonzeroListsFlatIndicesThenFill() throws {
    let ir = """
    func @f(%m: f64[2, 3], %u: u8[4]) {
      %a = nonzero %m {size = 5}
      %b = nonzero %u {size = 3, fill = 9}
      %c = nonzero %u {size = 0}
      return %a, %b, %c
    }
    """
    let out = try run(ir, inputs: [T([2, 3], [0, 1.5, 0, -2, 0, .nan]), T([4], [0, 0, 0, 0], .u8)])
    #expect(out[0].dtype == .i64 && out[0].shape == [5])
    // -2 and NaN are nonzero (x != 0); two fills of -1 pad the result.
    #expect(out[0].scalars == [1, 3, 5, -1, -1])
    #expect(out[1].scalars == [9, 9, 9])
    #expect(out[2].shape == [0])
}

@Test func nonzeroSizeIsASymbolicDim() throws {
    let ir = """
    func @f(%m: u8[N, 4]) {
      %i = nonzero %m {size = 3*N}
      return %i
    }
    """
    let m = try verified(ir)
    let f = try #require(m.function(named: "f"))
    let result = try #require(f.body.first?.results.first)
    #expect(f[result].type == TensorType(.i64, [Dim(coefficient: 3, symbols: ["N"])]))
    let out = try run1(ir, inputs: [T([2, 4], [1, 0, 0, 1, 0, 1, 1, 0], .u8)])
    #expect(out.shape == [6] && out.scalars == [0, 3, 5, 6, -1, -1])
}

@Test func nonzeroOverflowIsALocatedError() throws {
    let ir = """
    func @f(%m: u8[5]) {
      %i = nonzero %m {size = 2}
      return %i
    }
    """
    let msg = interpreterError { _ = try run(ir, inputs: [T([5], [1, 1, 0, 1, 0], .u8)]) }
    #expect(msg == "test.ir:2:8: error: nonzero: the mask has 3 nonzero elements, more than size 2", "\(msg)")
    // Exactly `size` nonzero elements fit.
    #expect(try run1(ir, inputs: [T([5], [0, 1, 0, 1, 0], .u8)]).scalars == [1, 3])
}

@Test func nonzeroRejectsANegativeSize() throws {
    #expect(throws: DiagnosticError.self) {
        _ = try verified("func @f(%m: u8[5]) {\n  %i = nonzero %m {size = -1}\n  return %i\n}")
    }
}
