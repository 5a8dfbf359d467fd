import Testing
import VFCCodegen
import VFCIR
import VFCInterpreter
import VFCPasses
import VFCTensor
import VFCTestSupport

/// `nonzero` and the gather around it (take, scatter_add) compiled with fixed and with
/// run-time extents, against the interpreter; the overflow check in the generated code
/// (Tests/lit/codegen/nonzero_errors.test runs it to the exit).
@Suite struct NonzeroParityTests {
    /// Masks from comparisons of random inputs (about half nonzero), sizes that leave
    /// padding: indices, gathered rows, their scatter back and a weighted gather.
    static let gather = """
        func @f(%x: f32[B, 4, 3], %y: f32[B, 4]) {
          %m = gt %y, 0.0
          %i = nonzero %m {size = 5*B}
          %at = max %i, 0
          %real = ge %i, 0
          %keep = convert %real {dtype = f32}
          %rows = reshape %x {shape = [4*B, 3]}
          %g = take %rows, %at {axis = 0}
          %k2 = broadcast %keep {shape = [5*B, 3], dims = [0]}
          %w = mul %g, %k2
          %s = scatter_add %w, %at {axis = 0, size = 4*B}
          %u = convert %m {dtype = u8}
          %j = nonzero %u {size = 4*B, fill = 7}
          %h = convert %i {dtype = f32}
          return %h, %g, %s, %j
        }
        """

    @Test func fixedExtents() throws {
        let m = try verified(Self.gather)
        for b in [1, 2, 3] { #expect(try parity(m, "f", bindings: ["B": b]) == 0) }
    }

    @Test func runtimeExtents() throws {
        let m = try verified(Self.gather)
        let r = try RuntimeDimsTests().parity(m, "f", sizes: RuntimeDimsTests.sizes)
        #expect(r.interpreter == 0)
        #expect(r.specialised == 0)
    }

    /// The check is in the code, with the interpreter's text, for both forms.
    @Test func overflowCheckIsLocated() throws {
        let m = try verified("""
            func @f(%m: u8[B, 4], %x: f32[4*B, 2]) {
              %i = nonzero %m {size = 3*B}
              %t = take %x, %i {axis = 0}
              return %i, %t
            }
            """, file: "nz.ir")
        let fixed = try LoweredModule(module: m, functions: ["f"], options: CodegenOptions(bindings: ["B": 2])).llvmIR
        #expect(fixed.contains("nz.ir:2:8: error: nonzero: the mask has %lld nonzero elements, more than size %lld"))
        let runtime = try LoweredModule(module: m, functions: ["f"], options: CodegenOptions(runtimeDims: true)).llvmIR
        #expect(runtime.contains("nz.ir:2:8: error: nonzero: the mask has %lld nonzero elements, more than size %lld"))
        #expect(runtime.contains("nz.ir:3:8: error: take: index %lld at position %lld of the indices is out of range for axis 0 of size %lld"))
    }

    /// The gather the SSL step does: rows of x at the mask's nonzero positions, padding
    /// clamped to row 0 and weighted 0. The loss is the sum of the kept rows, so its
    /// gradient is the mask broadcast over the columns: row 0 gets nothing from the
    /// padding rows that read it. Hand values on the interpreter, then the JIT.
    @Test func gradientOfAMaskedGatherIsTheMask() throws {
        var module = try verified("""
            func @loss(%x: f64[4, 2], %m: u8[4]) -> f64[] {
              %i = nonzero %m {size = 3}
              %at = max %i, 0
              %real = ge %i, 0
              %keep = convert %real {dtype = f64}
              %rows = take %x, %at {axis = 0}
              %k2 = broadcast %keep {shape = [3, 2], dims = [0]}
              %w = mul %rows, %k2
              %s = reduce_sum %w {axes = [0, 1]}
              return %s
            }
            func @f(%x: f64[4, 2], %m: u8[4]) {
              %l, %g = value_and_grad @loss(%x, %m) {wrt = [0]}
              return %l, %g
            }
            """)
        try AutodiffPass().run(&module)
        let inputs = [Tensor(dtype: .f64, shape: [4, 2], scalars: [1, 2, 3, 4, 5, 6, 7, 8]),
                      Tensor(dtype: .u8, shape: [4], scalars: [0, 1, 0, 1])]
        let out = try Interpreter(module: module).run(function: "f", inputs: inputs, params: [:])
        #expect(out[0].scalars == [3 + 4 + 7 + 8])
        #expect(out[1].scalars == [0, 0, 1, 1, 0, 0, 1, 1])
        let jit = try JITModule(module: module, functions: ["f"]).run(function: "f", inputs: inputs, params: [:])
        #expect(jit[0].scalars == out[0].scalars)
        #expect(jit[1].scalars == out[1].scalars)
    }
}
