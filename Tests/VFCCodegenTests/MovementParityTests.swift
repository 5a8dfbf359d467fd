import Testing
import VFCCodegen
import VFCIR
import VFCTensor
import VFCTestSupport

/// JIT vs interpreter on the data-movement family: broadcast, transpose, slice, pad,
/// concat, take, scatter_add. Movement copies values, so most results agree exactly.
@Suite struct MovementParityTests {
    @Test func broadcast() throws {
        let m = try verified("""
            func @f(%x: f32[N, 1, 8], %s: f32[], %v: f32[5], %b: u8[3, 1], %k: i64[1, 1]) {
              %a = broadcast %x {shape = [N, 4, 3, 8], dims = [0, 2, 3]}
              %c = broadcast %s {shape = [2, 3], dims = []}
              %d = broadcast %s {shape = [], dims = []}
              %e = broadcast %v {shape = [5, 7], dims = [0]}
              %g = broadcast %v {shape = [2, 5, 1], dims = [1]}
              %h = broadcast %b {shape = [2, 3, 6], dims = [1, 2]}
              %i = broadcast %k {shape = [4, 9], dims = [0, 1]}
              return %a, %c, %d, %e, %g, %h, %i
            }
            """)
        #expect(try parity(m, "f", bindings: ["N": 3]) == 0)
        #expect(try parity(m, "f", bindings: ["N": 1]) == 0)
    }

    @Test func transpose() throws {
        let m = try verified("""
            func @f(%x: f32[2, 3, 4], %y: f32[N, 5], %z: f32[2, 3, 4, 5], %o: f32[1, 6, 1], %s: f32[], %i: i32[3, 7]) {
              %a = transpose %x {perm = [2, 0, 1]}
              %b = transpose %y {perm = [1, 0]}
              %c = transpose %z {perm = [0, 2, 1, 3]}
              %d = transpose %o {perm = [2, 1, 0]}
              %e = transpose %s {perm = []}
              %g = transpose %i {perm = [1, 0]}
              %h = transpose %z {perm = [3, 2, 1, 0]}
              return %a, %b, %c, %d, %e, %g, %h
            }
            """)
        #expect(try parity(m, "f", bindings: ["N": 17]) == 0)
    }

    @Test func slicesWithSteps() throws {
        let m = try verified("""
            func @f(%x: f32[N, 10, 6], %i: i32[9]) {
              %a = slice %x {axis = 1, start = 0, end = 10, step = 1}
              %b = slice %x {axis = 1, start = 1, end = 10, step = 2}
              %c = slice %x {axis = 1, start = 2, end = 9, step = 3}
              %d = slice %x {axis = -1, start = 5, end = 6, step = 1}
              %e = slice %x {axis = 2, start = 0, end = 6, step = 7}
              %g = slice %i {axis = 0, start = 3, end = 9, step = 2}
              %h = slice %x {axis = 1, start = 4, end = 4, step = 1}
              return %a, %b, %c, %d, %e, %g, %h
            }
            """)
        #expect(try parity(m, "f", bindings: ["N": 3]) == 0)
    }

    @Test func padsWithInterior() throws {
        let m = try verified("""
            func @f(%x: f32[3, 4, N], %i: i32[5], %s: f32[1]) {
              %a = pad %x {axis = 1, low = 1, high = 3, interior = 2}
              %b = pad %x {axis = -3}
              %c = pad %x {axis = 1, high = 5}
              %d = pad %x {axis = 0, low = 2, high = 1, interior = 7}
              %e = pad %i {axis = 0, low = 0, high = 0, interior = 1}
              %g = pad %s {axis = 0, low = 3, high = 2, interior = 4}
              return %a, %b, %c, %d, %e, %g
            }
            """)
        #expect(try parity(m, "f", bindings: ["N": 2]) == 0)
    }

    @Test func sliceThenPadRestoresTheStridedElements() throws {
        // pad(low = start, interior = step - 1) is the transpose of a strided slice.
        let m = try verified("""
            func @f(%x: f32[3, 11]) {
              %s = slice %x {axis = 1, start = 1, end = 11, step = 3}
              %p = pad %s {axis = 1, low = 1, high = 0, interior = 2}
              return %p
            }
            """)
        #expect(try parity(m, "f", bindings: [:]) == 0)
    }

    @Test func concatOfThree() throws {
        let m = try verified("""
            func @f(%a: f32[N, 2, 5], %b: f32[N, 3, 5], %c: f32[N, 1, 5], %u: u8[2, 3], %v: u8[2, 4], %w: u8[2, 1], %s: f32[1], %t: f32[3]) {
              %x = concat %a, %b, %c {axis = 1}
              %y = concat %a, %a, %a {axis = 0}
              %z = concat %u, %v, %w {axis = -1}
              %q = concat %s, %t, %s {axis = 0}
              %r = concat %a, %b, %c {axis = -2}
              return %x, %y, %z, %q, %r
            }
            """)
        #expect(try parity(m, "f", bindings: ["N": 3]) == 0)
        #expect(try parity(m, "f", bindings: ["N": 1]) == 0)
    }

    @Test func takeWithRepeatedIndices() throws {
        let m = try verified("""
            func @f(%x: f32[6, N], %y: f32[2, 5, 3], %v: f32[7], %e: i32[4, 3]) {
              %i = constant {value = [5, 0, 5, 5, 2, 0]} : i32[6]
              %a = take %x, %i {axis = 0}
              %j = constant {value = [4, 4, 0, 1, 3, 4]} : i64[2, 3]
              %b = take %y, %j {axis = 1}
              %k = constant {value = 3} : i32[]
              %c = take %v, %k {axis = 0}
              %k2 = constant {value = 2} : i64[]
              %d = take %y, %k2 {axis = -1}
              %l = constant {value = [2, 2, 0, 1, 2]} : i32[5]
              %g = take %e, %l {axis = 1}
              %h = take %y, %l {axis = 2}
              return %a, %b, %c, %d, %g, %h
            }
            """)
        #expect(try parity(m, "f", bindings: ["N": 9]) == 0)
    }

    @Test func scatterAdd() throws {
        let m = try verified("""
            func @f(%u: f32[2, 6, N], %w: f32[3, 2, 4], %d: f64[5, 3], %k: i32[2, 4]) {
              %i = constant {value = [3, 0, 3, 3, 1, 0]} : i32[6]
              %a = scatter_add %u, %i {axis = 1, size = 5}
              %j = constant {value = [1, 1, 0, 1, 1, 1]} : i64[3, 2]
              %b = scatter_add %w, %j {axis = 0, size = 2}
              %l = constant {value = [2, 0, 2, 2, 4]} : i32[5]
              %c = scatter_add %d, %l {axis = 0, size = 6}
              %m = constant {value = [1, 1, 3, 0]} : i32[4]
              %e = scatter_add %k, %m {axis = 1, size = 4}
              return %a, %b, %c, %e
            }
            """)
        #expect(try parity(m, "f", bindings: ["N": 7]) < 1e-5)
    }

    @Test func takeAndScatterAddAreTransposes() throws {
        // scatter_add(take(x)) sums each row of x times its multiplicity among the indices.
        let m = try verified("""
            func @f(%x: f32[N, 4, 3]) {
              %i = constant {value = [3, 1, 3, 3, 0]} : i32[5]
              %t = take %x, %i {axis = 1}
              %s = scatter_add %t, %i {axis = 1, size = 4}
              return %t, %s
            }
            """)
        #expect(try parity(m, "f", bindings: ["N": 2]) < 1e-6)
    }

    @Test func indicesAreBoundsChecked() throws {
        // Generated code cannot throw: an index out of range calls the runtime, which prints
        // the interpreter's located message and exits 1 (Tests/lit/codegen/index_errors.test
        // runs that); here, the check is in the code and in-range indices pass it.
        let m = try verified("""
            func @f(%x: f32[3, 2], %i: i32[4], %j: i32[4]) {
              %t = take %x, %i {axis = 0}
              %s = scatter_add %t, %j {axis = 0, size = 3}
              return %t, %s
            }
            """, file: "idx.ir")
        let ir = try LoweredModule(module: m, functions: ["f"], options: CodegenOptions()).llvmIR
        #expect(ir.contains("call void @vfc_index_error"))
        #expect(ir.contains("idx.ir:2:8: error: take: index %lld at position %lld of the indices is out of range for axis 0 of size 3"))
        #expect(ir.contains("idx.ir:3:8: error: scatter_add: index %lld"))
        let out = try JITModule(module: m, functions: ["f"]).run(
            function: "f", inputs: [Tensor(dtype: .f32, shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6]),
                                    Tensor(dtype: .i32, shape: [4], scalars: [2, 1, 2, 0]), Tensor(dtype: .i32, shape: [4], scalars: [2, 1, 2, 0])],
            params: [:])
        #expect(out[0].scalars == [5, 6, 3, 4, 5, 6, 1, 2])
        #expect(out[1].scalars == [1, 2, 3, 4, 10, 12])
    }
}
