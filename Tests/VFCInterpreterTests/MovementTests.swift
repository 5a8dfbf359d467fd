import Testing
import VFCIR
import VFCTensor
import VFCInterpreter

@Test func broadcastFollowsBroadcastInDim() throws {
    let ir = """
    func @f(%r: f64[3], %c: f64[2, 1], %s: f64[]) {
      %a = broadcast %r {shape = [2, 3], dims = [1]}
      %b = broadcast %c {shape = [2, 3], dims = [0, 1]}
      %d = broadcast %s {shape = [2, 2], dims = []}
      %e = broadcast %r {shape = [3, 2], dims = [0]}
      return %a, %b, %d, %e
    }
    """
    let out = try run(ir, inputs: [T([3], [1, 2, 3]), T([2, 1], [10, 20]), T([], [7])])
    #expect(out[0].shape == [2, 3] && out[0].scalars == [1, 2, 3, 1, 2, 3])
    #expect(out[1].scalars == [10, 10, 10, 20, 20, 20])
    #expect(out[2].shape == [2, 2] && out[2].scalars == [7, 7, 7, 7])
    #expect(out[3].shape == [3, 2] && out[3].scalars == [1, 1, 2, 2, 3, 3])
}

@Test func reshapeAndTranspose() throws {
    let ir = """
    func @f(%x: f64[2, 3]) {
      %r = reshape %x {shape = [3, 2]}
      %t = transpose %x {perm = [1, 0]}
      %c = reshape %x {shape = [1, 2, 3]}
      %u = transpose %c {perm = [2, 0, 1]}
      return %r, %t, %u
    }
    """
    let out = try run(ir, inputs: [T([2, 3], [1, 2, 3, 4, 5, 6])])
    #expect(out[0].shape == [3, 2] && out[0].scalars == [1, 2, 3, 4, 5, 6])
    #expect(out[1].shape == [3, 2] && out[1].scalars == [1, 4, 2, 5, 3, 6])
    #expect(out[2].shape == [3, 1, 2] && out[2].scalars == [1, 4, 2, 5, 3, 6])
}

@Test func sliceWithStep() throws {
    let ir = """
    func @f(%x: f64[2, 5]) {
      %a = slice %x {axis = 1, start = 1, end = 5, step = 2}
      %b = slice %x {axis = -1, start = 0, end = 5, step = 3}
      %c = slice %x {axis = 0, start = 1, end = 2}
      %e = slice %x {axis = 1, start = 2, end = 2}
      return %a, %b, %c, %e
    }
    """
    let out = try run(ir, inputs: [T([2, 5], [0, 1, 2, 3, 4, 10, 11, 12, 13, 14])])
    #expect(out[0].shape == [2, 2] && out[0].scalars == [1, 3, 11, 13])
    #expect(out[1].shape == [2, 2] && out[1].scalars == [0, 3, 10, 13])
    #expect(out[2].shape == [1, 5] && out[2].scalars == [10, 11, 12, 13, 14])
    #expect(out[3].shape == [2, 0] && out[3].count == 0)
}

@Test func concatAlongEachAxis() throws {
    let ir = """
    func @f(%a: f64[2, 2], %b: f64[1, 2], %c: f64[2, 1]) {
      %r = concat %a, %b {axis = 0}
      %k = concat %a, %c, %a {axis = 1}
      return %r, %k
    }
    """
    let out = try run(ir, inputs: [T([2, 2], [1, 2, 3, 4]), T([1, 2], [5, 6]), T([2, 1], [7, 8])])
    #expect(out[0].shape == [3, 2] && out[0].scalars == [1, 2, 3, 4, 5, 6])
    #expect(out[1].shape == [2, 5] && out[1].scalars == [1, 2, 7, 1, 2, 3, 4, 8, 3, 4])
}

@Test func takeGathersAlongAxis() throws {
    let ir = """
    func @f(%x: f64[3, 2], %i: i32[2, 2], %j: i64[3]) {
      %a = take %x, %i {axis = 0}
      %b = take %x, %j {axis = 1}
      return %a, %b
    }
    """
    let x = T([3, 2], [1, 2, 3, 4, 5, 6])
    let out = try run(ir, inputs: [x, T([2, 2], [2, 0, 1, 1], .i32), T([3], [1, 1, 0], .i64)])
    #expect(out[0].shape == [2, 2, 2] && out[0].scalars == [5, 6, 1, 2, 3, 4, 3, 4])
    #expect(out[1].shape == [3, 3] && out[1].scalars == [2, 2, 1, 4, 4, 3, 6, 6, 5])
}

@Test func takeOutOfRangeIsALocatedError() throws {
    let ir = """
    func @f(%x: f64[3, 2], %i: i32[2]) {
      %a = take %x, %i {axis = 0}
      return %a
    }
    """
    for bad in [3.0, -1.0] {
        let msg = interpreterError { _ = try run(ir, inputs: [T([3, 2], [1, 2, 3, 4, 5, 6]), T([2], [0, bad], .i32)]) }
        #expect(msg.hasPrefix("test.ir:2:8: error: take: index \(Int(bad)) at position 1"), "\(msg)")
        #expect(msg.contains("out of range for axis 0 of size 3"), "\(msg)")
    }
}

/// The same failure as a value: the instruction's place and op, and the kernel's case with
/// the index, its position, the axis and its size (nothing to parse out of a message).
@Test func takeOutOfRangeCarriesItsValues() throws {
    let ir = """
    func @f(%x: f64[3, 2], %i: i32[2]) {
      %a = take %x, %i {axis = 0}
      return %a
    }
    """
    do {
        _ = try run(ir, inputs: [T([3, 2], [1, 2, 3, 4, 5, 6]), T([2], [0, 7], .i32)])
        Issue.record("took index 7 of 3 rows")
    } catch let e as InterpreterError {
        guard case let .instruction(loc, op, .indexOutOfRange(index, position, axis, size)) = e else {
            Issue.record("not an index error of an instruction: \(e)")
            return
        }
        #expect(loc.line == 2 && loc.column == 8)
        #expect(op == "take")
        #expect(index == 7 && position == 1 && axis == 0 && size == 3)
    }
}
