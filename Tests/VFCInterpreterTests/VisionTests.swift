import Testing
import VFCIR
import VFCTensor
import VFCInterpreter

@Test func patchifyOrdersRowsRowMajorAndColumnsChannelPyPx() throws {
    // x[c, y, x] = 100 c + 10 y + x on a 1 x 2 x 4 x 4 image, P = 2.
    var values: [Double] = []
    for c in 0..<2 { for y in 0..<4 { for x in 0..<4 { values.append(Double(100 * c + 10 * y + x)) } } }
    let ir = "func @f(%v: f64[N, 2, 4, 4]) { %p = patchify %v {patch = 2}\n return %p }"
    let p = try run1(ir, inputs: [T([1, 2, 4, 4], values)])
    #expect(p.shape == [1, 4, 8])
    #expect(p.scalars == [
        0, 1, 10, 11, 100, 101, 110, 111,
        2, 3, 12, 13, 102, 103, 112, 113,
        20, 21, 30, 31, 120, 121, 130, 131,
        22, 23, 32, 33, 122, 123, 132, 133,
    ])
}

/// A 4 x 4 x 2 field: channel 0 is 10 y + x (bilinear reproduces it exactly), channel 1
/// is x^2 (bilinear gives the chord, e.g. 0.5 at x = 0.5, which checks the weights).
private let field: Tensor = {
    var v: [Double] = []
    for y in 0..<4 { for x in 0..<4 { v += [Double(10 * y + x), Double(x * x)] } }
    return T([4, 4, 2], v)
}()

/// Source side 8, field side 4: field coordinate = u / 2 - 0.5. Box 0 is the whole image
/// (points 0.5 and 2.5), box 1 the same box flipped, box 2 sticks out of the top-right
/// corner: fx = 2.5, 3.5 -> 3 (clamped); fy = -0.5 -> 0 (clamped), 1.5.
private let boxes = T([3, 4], [0, 0, 8, 8, 0, 0, 8, 8, 5, -2, 4, 8])
private let flips = T([3], [0, 1, 0], .u8)

@Test func cropSampleBilinearWithFlipAndClamping() throws {
    let ir = """
    func @f(%field: f64[4, 4, 2], %boxes: f64[N, 4], %flips: u8[N]) {
      %pe = crop_sample %field, %boxes, %flips {grid = 2, source = 8}
      return %pe
    }
    """
    let pe = try run1(ir, inputs: [field, boxes, flips])
    #expect(pe.shape == [3, 4, 2])
    #expect(pe.scalars == [
        5.5, 0.5, 7.5, 6.5, 25.5, 0.5, 27.5, 6.5,
        7.5, 6.5, 5.5, 0.5, 27.5, 6.5, 25.5, 0.5,
        2.5, 6.5, 3, 9, 17.5, 6.5, 18, 9,
    ])
}

@Test func cropSampleAddAppliesBothMasks() throws {
    let ir = """
    func @f(%x: f64[N, 4, 2], %field: f64[4, 4, 2], %boxes: f64[N, 4], %flips: u8[N],
            %mc: u8[N, 4], %mt: f64[2], %mp: i1[N, 4], %pmt: f64[2]) {
      %z = crop_sample_add %x, %field, %boxes, %flips, %mc, %mt, %mp, %pmt {grid = 2, source = 8}
      return %z
    }
    """
    // x[n, t, d] = 1000 n + 100 t + d.
    var xv: [Double] = []
    for n in 0..<2 { for t in 0..<4 { for d in 0..<2 { xv.append(Double(1000 * n + 100 * t + d)) } } }
    let z = try run1(ir, inputs: [
        T([2, 4, 2], xv), field, T([2, 4], Array(boxes.scalars[0..<8])), T([2], [0, 1], .u8),
        T([2, 4], [1, 0, 0, 0, 0, 0, 1, 0], .u8), T([2], [-1000, -2000]),
        T([2, 4], [0, 1, 0, 0, 0, 0, 1, 1], .i1), T([2], [7, 8]),
    ])
    #expect(z.shape == [2, 4, 2])
    #expect(z.scalars == [
        -994.5, -1999.5, 107, 109, 225.5, 201.5, 327.5, 307.5,
        1007.5, 1007.5, 1105.5, 1101.5, -993, -1992, 1307, 1309,
    ])
}

@Test func cropSampleRejectsNaNBoxes() throws {
    let ir = """
    func @f(%field: f64[4, 4, 2], %boxes: f64[1, 4], %flips: u8[1]) {
      %pe = crop_sample %field, %boxes, %flips {grid = 2, source = 8}
      return %pe
    }
    """
    let msg = interpreterError { _ = try run(ir, inputs: [field, T([1, 4], [.nan, 0, 8, 8]), T([1], [0], .u8)]) }
    #expect(msg.contains("error: crop_sample: box 0 (nan, 0, 8, 8) gives a NaN sample point"), "\(msg)")
    // An infinite x0 clamps to the right border: token 0 samples (fx, fy) = (3, 0.5).
    let inf = try run1(ir, inputs: [field, T([1, 4], [.infinity, 0, 8, 8]), T([1], [0], .u8)])
    #expect(Array(inf.scalars[0..<2]) == [8, 9])
}
