import Testing
import VFCIR
import VFCTensor

@Test func storageIsAlignedForEverySize() {
    for n in [0, 1, 3, 7, 8, 63, 64, 1000] {
        let t = Tensor(dtype: .f32, shape: [n])
        #expect(t.isAligned, "size \(n)")
        #expect(t.count == n)
        #expect(t.scalars.allSatisfy { $0 == 0 })
    }
    #expect(Tensor(scalar: 1, dtype: .f64).isAligned)
}

@Test func copyOnWriteKeepsCopiesIndependent() {
    var a = Tensor(dtype: .f64, shape: [2, 2], scalars: [1, 2, 3, 4])
    let b = a
    #expect(a.sharesStorage(with: b))
    a[flat: 0] = 10
    #expect(!a.sharesStorage(with: b))
    #expect(a.scalars == [10, 2, 3, 4])
    #expect(b.scalars == [1, 2, 3, 4])
    #expect(a.isAligned)

    var c = Tensor(dtype: .f64, shape: [3])
    c.withUnsafeMutableBufferPointer { $0[1] = 5 }
    let d = c
    c.withUnsafeMutableBufferPointer { $0[2] = 7 }
    #expect(c.scalars == [0, 5, 7])
    #expect(d.scalars == [0, 5, 0])
}

@Test func shapesStridesAndScalars() {
    let t = Tensor(dtype: .i32, shape: [2, 3, 4])
    #expect(t.count == 24)
    #expect(t.strides == [12, 4, 1])
    #expect(t.rank == 3)
    let s = Tensor(scalar: 2.5, dtype: .f64)
    #expect(s.shape == [])
    #expect(s.strides == [])
    #expect(s.count == 1)
    #expect(s[flat: 0] == 2.5)
    #expect(Tensor(dtype: .f32, shape: [4, 0]).count == 0)
    #expect(t.reshaped(to: [6, 4])?.shape == [6, 4])
    #expect(t.reshaped(to: [5, 5]) == nil)
}

@Test func checkedElementCountRejectsBadShapes() {
    #expect(Tensor.checkedElementCount([]) == 1)
    #expect(Tensor.checkedElementCount([2, 3]) == 6)
    #expect(Tensor.checkedElementCount([0, 5]) == 0)
    #expect(Tensor.checkedElementCount([-1, 5]) == nil)
    #expect(Tensor.checkedElementCount([Int.max, 2]) == nil)
    #expect(Tensor.checkedElementCount([1 << 40, 1 << 40]) == nil)
    #expect(Tensor.checkedElementCount([1 << 28]) == 1 << 28)
    #expect(Tensor.checkedElementCount([(1 << 28) + 1]) == nil)
    // An empty dim makes the tensor empty even after an over-budget prefix.
    #expect(Tensor.checkedElementCount([1 << 30, 0]) == 0)
}

@Test func f32RoundingMatchesFloat() {
    let x = 0.1
    #expect(Tensor.round(x, to: .f32) == Double(Float(0.1)))
    #expect(Tensor.round(x, to: .f32) != 0.1)
    #expect(Tensor.round(x, to: .f64) == 0.1)
    #expect(Tensor.round(1e300, to: .f32) == .infinity)
    #expect(Tensor.round(-1e300, to: .f32) == -.infinity)
    #expect(Tensor.round(.nan, to: .f32).isNaN)
    let t = Tensor(dtype: .f32, shape: [2], scalars: [1.0 / 3.0, 16_777_217])
    #expect(t.scalars == [Double(Float(1.0 / 3.0)), 16_777_216])
}

@Test func integerRoundingTruncatesAndSaturates() {
    #expect(Tensor.round(2.9, to: .i32) == 2)
    #expect(Tensor.round(-2.9, to: .i32) == -2)
    #expect(Tensor.round(3e9, to: .i32) == 2_147_483_647)
    #expect(Tensor.round(-3e9, to: .i32) == -2_147_483_648)
    #expect(Tensor.round(.infinity, to: .i32) == 2_147_483_647)
    #expect(Tensor.round(.nan, to: .i32) == 0)
    #expect(Tensor.round(.nan, to: .i64) == 0)
    #expect(Tensor.round(1e30, to: .i64) == Double(Int64.max).nextDown)
    #expect(Int64(exactly: Tensor.round(1e30, to: .i64)) != nil)
    #expect(Tensor.round(-1e30, to: .i64) == -9_223_372_036_854_775_808)
    #expect(Tensor.round(300, to: .u8) == 255)
    #expect(Tensor.round(-5, to: .u8) == 0)
    #expect(Tensor.round(7.99, to: .u8) == 7)
    // Truncating -0.5 gives -0.0; integers have no signed zero.
    #expect(Tensor.round(-0.5, to: .i32).sign == .plus)
    #expect(Tensor.round(-0.5, to: .u8).sign == .plus)
}

@Test func boolRoundingIsNonzero() {
    #expect(Tensor.round(0, to: .i1) == 0)
    #expect(Tensor.round(-0.0, to: .i1) == 0)
    #expect(Tensor.round(0.25, to: .i1) == 1)
    #expect(Tensor.round(-3, to: .i1) == 1)
    #expect(Tensor.round(.nan, to: .i1) == 1)
}

@Test func convertedRoundsEveryElement() {
    let t = Tensor(dtype: .f64, shape: [5], scalars: [1.5, -1.5, 256, 0, 0.1])
    #expect(t.converted(to: .u8).scalars == [1, 0, 255, 0, 0])
    #expect(t.converted(to: .i1).scalars == [1, 1, 1, 0, 1])
    #expect(t.converted(to: .i32).dtype == .i32)
    #expect(t.scalars == [1.5, -1.5, 256, 0, 0.1], "the source is unchanged")
    var raw = Tensor(dtype: .i32, shape: [1])
    raw[flat: 0] = 4.7
    #expect(raw.rounded().scalars == [4])
}

@Test func equalityIsBitwise() {
    let a = Tensor(dtype: .f64, shape: [2], scalars: [.nan, 1])
    #expect(a == Tensor(dtype: .f64, shape: [2], scalars: [.nan, 1]))
    #expect(a != Tensor(dtype: .f32, shape: [2], scalars: [.nan, 1]))
    #expect(a != Tensor(dtype: .f64, shape: [1, 2], scalars: [.nan, 1]))
    #expect(Tensor(scalar: 0, dtype: .f64) != Tensor(scalar: -0.0, dtype: .f64))
    #expect("\(Tensor(dtype: .i32, shape: [2], scalars: [1, 2]))" == "i32[2] [1, 2]")
}
