import Testing
import VFCIR
import VFCTensor
import VFCInterpreter

// The transposes that reverse-mode autodiff emits: pad (of slice), scatter_add (of take),
// crop_sample_grad (of crop_sample w.r.t. the field), and value_and_grad, which must be
// expanded by the autodiff pass before it can run.

// MARK: - pad

@Test func padInsertsLowHighAndInteriorZeros() throws {
    let ir = """
    func @f(%x: f64[2, 3], %e: f64[2, 0]) {
      %a = pad %x {axis = 1, low = 1, high = 2, interior = 1}
      %b = pad %x {axis = 0, low = 0, high = 1, interior = 0}
      %c = pad %x {axis = -1, low = 0, high = 0, interior = 2}
      %d = pad %x {axis = 0, low = 2, high = 0, interior = 1}
      %z = pad %e {axis = 1, low = 1, high = 1, interior = 3}
      return %a, %b, %c, %d, %z
    }
    """
    let out = try run(ir, inputs: [T([2, 3], [1, 2, 3, 4, 5, 6]), T([2, 0], [])])
    #expect(out[0].shape == [2, 8])
    #expect(out[0].scalars == [0, 1, 0, 2, 0, 3, 0, 0, 0, 4, 0, 5, 0, 6, 0, 0])
    #expect(out[1].shape == [3, 3] && out[1].scalars == [1, 2, 3, 4, 5, 6, 0, 0, 0])
    #expect(out[2].shape == [2, 7])
    #expect(out[2].scalars == [1, 0, 0, 2, 0, 0, 3, 4, 0, 0, 5, 0, 0, 6])
    #expect(out[3].shape == [5, 3])
    #expect(out[3].scalars == [0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 4, 5, 6])
    // An empty axis pads to low + high zeros (no interior gaps between no elements).
    #expect(out[4].shape == [2, 2] && out[4].scalars == [0, 0, 0, 0])
}

@Test func padKeepsIntegerAndF32Values() throws {
    let ir = """
    func @f(%x: i32[3], %y: f32[2]) {
      %a = pad %x {axis = 0, low = 1, high = 0, interior = 1}
      %b = pad %y {axis = 0, low = 0, high = 1, interior = 0}
      return %a, %b
    }
    """
    let out = try run(ir, inputs: [T([3], [7, -8, 9], .i32), T([2], [0.1, 0.2], .f32)])
    #expect(out[0].dtype == .i32 && out[0].scalars == [0, 7, 0, -8, 0, 9])
    #expect(out[1].dtype == .f32 && out[1].scalars == [Double(Float(0.1)), Double(Float(0.2)), 0])
}

// MARK: - scatter_add

@Test func scatterAddSumsRepeatedIndices() throws {
    let ir = """
    func @f(%u: f64[2, 4], %i: i32[4], %v: f64[2, 2, 3], %j: i64[2, 2], %s: f64[2, 3], %k: i32[]) {
      %a = scatter_add %u, %i {axis = 1, size = 3}
      %b = scatter_add %v, %j {axis = 0, size = 4}
      %c = scatter_add %s, %k {axis = 1, size = 2}
      return %a, %b, %c
    }
    """
    let out = try run(ir, inputs: [
        T([2, 4], [1, 2, 3, 4, 10, 20, 30, 40]), T([4], [2, 0, 2, 2], .i32),
        T([2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), T([2, 2], [1, 1, 0, 3], .i64),
        T([2, 3], [1, 2, 3, 4, 5, 6]), T([], [1], .i32),
    ])
    // Row 0: index 0 gets 2, index 2 gets 1 + 3 + 4, index 1 nothing.
    #expect(out[0].shape == [2, 3] && out[0].scalars == [2, 0, 8, 20, 0, 80])
    // Rows (0,0) and (0,1) of the updates both land in result row 1.
    #expect(out[1].shape == [4, 3] && out[1].scalars == [7, 8, 9, 5, 7, 9, 0, 0, 0, 10, 11, 12])
    // Rank-0 indices: updates [2, 3] become [2, size = 2, 3] with the row at index 1.
    #expect(out[2].shape == [2, 2, 3] && out[2].scalars == [0, 0, 0, 1, 2, 3, 0, 0, 0, 4, 5, 6])
}

@Test func scatterAddWithSymbolicSize() throws {
    let ir = """
    func @f(%u: f64[3, 2], %i: i32[3], %z: f64[N]) {
      %a = scatter_add %u, %i {axis = 0, size = N}
      return %a
    }
    """
    let a = try run1(ir, inputs: [T([3, 2], [1, 2, 3, 4, 5, 6]), T([3], [4, 0, 4], .i32), T([5], [0, 0, 0, 0, 0])])
    #expect(a.shape == [5, 2] && a.scalars == [3, 4, 0, 0, 0, 0, 0, 0, 6, 8])
}

@Test func scatterAddRoundsTheSumToF32() throws {
    let ir = """
    func @f(%u: f32[3], %i: i32[3]) {
      %a = scatter_add %u, %i {axis = 0, size = 1}
      return %a
    }
    """
    let u = T([3], [0.1, 0.2, 0.3], .f32)
    let a = try run1(ir, inputs: [u, T([3], [0, 0, 0], .i32)])
    let exact = u.scalars.reduce(0, +)
    #expect(a.dtype == .f32 && a.scalars == [Double(Float(exact))])
}

@Test func scatterAddOutOfRangeIsALocatedError() throws {
    let ir = """
    func @f(%u: f64[2, 2], %i: i32[2]) {
      %a = scatter_add %u, %i {axis = 0, size = 3}
      return %a
    }
    """
    for bad in [3.0, -1.0] {
        let msg = interpreterError { _ = try run(ir, inputs: [T([2, 2], [1, 2, 3, 4]), T([2], [0, bad], .i32)]) }
        #expect(msg.hasPrefix("test.ir:2:8: error: scatter_add: index \(Int(bad)) at position 1"), "\(msg)")
        #expect(msg.contains("out of range for axis 0 of size 3"), "\(msg)")
    }
}

// MARK: - crop_sample_grad

@Test func cropSampleGradScattersBilinearWeights() throws {
    // Source 8, field 4, grid 2, the whole image: sample points (0.5, 2.5) in x and y, all
    // four weights 1/4, each token's value spread over its own 2 x 2 block.
    let ir = """
    func @f(%d: f64[N, 4, 1], %boxes: f64[N, 4], %flips: u8[N]) {
      %g = crop_sample_grad %d, %boxes, %flips {grid = 2, source = 8, field = 4}
      return %g
    }
    """
    let g = try run1(ir, inputs: [T([1, 4, 1], [1, 2, 3, 4]), T([1, 4], [0, 0, 8, 8]), T([1], [0], .u8)])
    #expect(g.shape == [4, 4, 1])
    #expect(g.scalars == [
        0.25, 0.25, 0.5, 0.5,
        0.25, 0.25, 0.5, 0.5,
        0.75, 0.75, 1, 1,
        0.75, 0.75, 1, 1,
    ])
}

@Test func cropSampleGradClampedAndFlipped() throws {
    // Box (5, -2, 4, 8) sticks out of the top-right corner: fx = 2.5, 3.5 -> 3 (x1 == x0,
    // both contributions in one cell), fy = -0.5 -> 0 (ay = 0), 1.5. Box 1 is the same box
    // flipped (columns swapped), with d ten times larger; the two boxes add up.
    let ir = """
    func @f(%d: f64[N, 4, 1], %boxes: f64[N, 4], %flips: u8[N]) {
      %g = crop_sample_grad %d, %boxes, %flips {grid = 2, source = 8, field = 4}
      return %g
    }
    """
    let g = try run1(ir, inputs: [
        T([2, 4, 1], [1, 2, 3, 4, 10, 20, 30, 40]), T([2, 4], [5, -2, 4, 8, 5, -2, 4, 8]), T([2], [0, 1], .u8),
    ])
    #expect(g.shape == [4, 4, 1])
    #expect(g.scalars == [
        0, 0, 10.5, 22.5,
        0, 0, 10.75, 27.75,
        0, 0, 10.75, 27.75,
        0, 0, 0, 0,
    ])
}

@Test func cropSampleGradRejectsNaNBoxes() throws {
    let ir = """
    func @f(%d: f64[1, 4, 2], %boxes: f64[1, 4], %flips: u8[1]) {
      %g = crop_sample_grad %d, %boxes, %flips {grid = 2, source = 8, field = 4}
      return %g
    }
    """
    let msg = interpreterError {
        _ = try run(ir, inputs: [T([1, 4, 2], [1, 2, 3, 4, 5, 6, 7, 8]), T([1, 4], [0, .nan, 8, 8]), T([1], [0], .u8)])
    }
    #expect(msg.hasPrefix("test.ir:2:8: error: crop_sample_grad: box 0"), "\(msg)")
    #expect(msg.contains("NaN sample point"), "\(msg)")
}

// MARK: - Adjoint identities: <A x, y> == <x, A^T y> in f64

private func randomTensor(_ shape: [Int], _ rng: inout RNG) -> Tensor {
    let n = shape.reduce(1, *)
    return T(shape, (0..<n).map { _ in rng.uniform(lo: -1, hi: 1) })
}

private func dot(_ a: Tensor, _ b: Tensor) -> Double {
    precondition(a.shape == b.shape, "\(a.shape) vs \(b.shape)")
    var s = 0.0
    for (x, y) in zip(a.scalars, b.scalars) { s += x * y }
    return s
}

private func dims(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

@Test(arguments: [
    // (shape, axis, start, end, step)
    ([4, 11, 3], 1, 1, 10, 3),
    ([4, 11, 3], 1, 2, 11, 4),     // the last element taken: high = 0
    ([4, 11, 3], 1, 0, 11, 1),     // the identity
    ([4, 11, 3], 1, 0, 11, 20),    // one element, step past the end
    ([4, 11, 3], 1, 5, 5, 1),      // empty slice: pad of nothing is all zeros
    ([6, 2, 3], 0, 1, 6, 2),
    ([6, 2, 7], -1, 3, 7, 1),
    ([6, 2, 7], 2, 6, 7, 3),
])
func sliceAndPadAreTransposes(shape: [Int], axis: Int, start: Int, end: Int, step: Int) throws {
    let a = axis < 0 ? axis + shape.count : axis
    let length = shape[a]
    let k = end > start ? (end - start + step - 1) / step : 0
    // pad(low = start, interior = step - 1, high = L - start - 1 - (k - 1) step), i.e.
    // whatever brings the padded axis back to L (also for k = 0).
    let interior = step - 1
    let high = length - start - k - interior * max(k - 1, 0)
    var yShape = shape
    yShape[a] = k
    let ir = """
    func @f(%x: f64\(dims(shape)), %y: f64\(dims(yShape))) {
      %s = slice %x {axis = \(axis), start = \(start), end = \(end), step = \(step)}
      %p = pad %y {axis = \(axis), low = \(start), high = \(high), interior = \(interior)}
      return %s, %p
    }
    """
    var rng = RNG(seed: UInt64(100 + start * 7 + step))
    let x = randomTensor(shape, &rng), y = randomTensor(yShape, &rng)
    let out = try run(ir, inputs: [x, y])
    #expect(out[0].shape == yShape && out[1].shape == shape)
    let lhs = dot(out[0], y), rhs = dot(x, out[1])
    #expect(Swift.abs(lhs - rhs) <= 1e-12, "<slice x, y> = \(lhs), <x, pad y> = \(rhs)")
}

@Test(arguments: [
    // (x shape, axis, index shape)
    ([3, 7, 2], 1, [2, 5]),
    ([7, 4], 0, [9]),
    ([2, 3, 5], 2, [4, 2]),
    ([5, 3], 0, []),
])
func takeAndScatterAddAreTransposes(xShape: [Int], axis: Int, idxShape: [Int]) throws {
    var rng = RNG(seed: UInt64(7 * axis + idxShape.count))
    let size = xShape[axis]
    let m = idxShape.reduce(1, *)
    // More indices than rows in most cases, so repeats are certain.
    let idx = T(idxShape, (0..<m).map { _ in Double(rng.nextInt(below: size)) }, .i32)
    let yShape = Array(xShape[..<axis]) + idxShape + Array(xShape[(axis + 1)...])
    let ir = """
    func @f(%x: f64\(dims(xShape)), %i: i32\(dims(idxShape)), %y: f64\(dims(yShape))) {
      %t = take %x, %i {axis = \(axis)}
      %s = scatter_add %y, %i {axis = \(axis), size = \(size)}
      return %t, %s
    }
    """
    let x = randomTensor(xShape, &rng), y = randomTensor(yShape, &rng)
    let out = try run(ir, inputs: [x, idx, y])
    #expect(out[0].shape == yShape && out[1].shape == xShape)
    let lhs = dot(out[0], y), rhs = dot(x, out[1])
    #expect(Swift.abs(lhs - rhs) <= 1e-12, "<take x, y> = \(lhs), <x, scatter_add y> = \(rhs)")
}

/// Boxes on a 16-pixel source: an ordinary box, the same box flipped, one touching the
/// right and bottom borders, one sticking out past them (x1 == x0 == Fs - 1 at the clamp),
/// a tiny box whose first sample points clamp at 0, one sticking out at the top-left, and
/// one flipped box that is neither square nor grid-aligned.
private let adjointBoxes: [Double] = [
    2, 3, 8, 6,
    2, 3, 8, 6,
    8, 8, 8, 8,
    11, 12.25, 9, 7,
    0, 12.5, 3, 3.5,
    -3, -2.5, 6, 5,
    0.3, 1.7, 13.1, 9.9,
]
private let adjointFlips: [Double] = [0, 1, 0, 1, 0, 0, 1]

@Test(arguments: [(16, 16, 4, 3), (8, 16, 4, 3), (16, 16, 3, 2), (5, 16, 2, 1), (32, 16, 4, 2)])
func cropSampleAndCropSampleGradAreTransposes(field: Int, source: Int, grid: Int, depth: Int) throws {
    let n = adjointFlips.count, tokens = grid * grid
    let ir = """
    func @f(%field: f64[\(field), \(field), \(depth)], %boxes: f64[N, 4], %flips: u8[N], %y: f64[N, \(tokens), \(depth)]) {
      %pe = crop_sample %field, %boxes, %flips {grid = \(grid), source = \(source)}
      %g = crop_sample_grad %y, %boxes, %flips {grid = \(grid), source = \(source), field = \(field)}
      return %pe, %g
    }
    """
    var rng = RNG(seed: UInt64(field * 1000 + grid * 10 + depth))
    let f = randomTensor([field, field, depth], &rng), y = randomTensor([n, tokens, depth], &rng)
    let out = try run(ir, inputs: [f, T([n, 4], adjointBoxes), T([n], adjointFlips, .u8), y])
    #expect(out[0].shape == [n, tokens, depth] && out[1].shape == [field, field, depth])
    let lhs = dot(out[0], y), rhs = dot(f, out[1])
    #expect(Swift.abs(lhs - rhs) <= 1e-12, "<crop_sample F, y> = \(lhs), <F, crop_sample_grad y> = \(rhs)")
}

@Test func cropSampleGradIsTheTransposeColumnByColumn() throws {
    // The exact matrix check on a small case: crop_sample of the unit field e_c gives
    // column c of A; crop_sample_grad of the unit sample e_r gives row r of A. Every entry
    // must agree exactly (both come from the same sample points and weights).
    let (fs, grid, source) = (4, 2, 8)
    let boxes = T([2, 4], [5, -2, 4, 8, 0, 0.5, 7.5, 8])
    let flips = T([2], [1, 0], .u8)
    let ir = """
    func @f(%field: f64[\(fs), \(fs), 1], %boxes: f64[2, 4], %flips: u8[2], %y: f64[2, \(grid * grid), 1]) {
      %pe = crop_sample %field, %boxes, %flips {grid = \(grid), source = \(source)}
      %g = crop_sample_grad %y, %boxes, %flips {grid = \(grid), source = \(source), field = \(fs)}
      return %pe, %g
    }
    """
    let cells = fs * fs, rows = 2 * grid * grid
    var a = [[Double]](repeating: [Double](repeating: 0, count: cells), count: rows)
    var at = a
    for c in 0..<cells {
        var e = [Double](repeating: 0, count: cells)
        e[c] = 1
        let out = try run(ir, inputs: [T([fs, fs, 1], e), boxes, flips, T([2, grid * grid, 1], [Double](repeating: 0, count: rows))])
        for r in 0..<rows { a[r][c] = out[0].scalars[r] }
    }
    for r in 0..<rows {
        var e = [Double](repeating: 0, count: rows)
        e[r] = 1
        let out = try run(ir, inputs: [T([fs, fs, 1], [Double](repeating: 0, count: cells)), boxes, flips, T([2, grid * grid, 1], e)])
        at[r] = out[1].scalars
    }
    #expect(a == at)
}

// MARK: - value_and_grad

@Test func valueAndGradNeedsTheAutodiffPass() throws {
    let ir = """
    func @loss(%x: f64[3]) {
      %s = reduce_sum %x {axes = [0]}
      return %s
    }
    func @f(%x: f64[3]) {
      %l, %g = value_and_grad @loss(%x) {wrt = [0]}
      return %l, %g
    }
    """
    let msg = interpreterError { _ = try run(ir, inputs: [T([3], [1, 2, 3])]) }
    #expect(msg == "test.ir:6:12: error: value_and_grad: run the autodiff pass first (vfc run does this)", "\(msg)")
}
