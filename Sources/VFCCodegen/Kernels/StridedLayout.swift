/// Where the elements of a tensor lie in a dense row-major buffer of another: element
/// (i0, i1, ...) at `offset + sum(i_d * strides[d])`, in elements. The view ops that only
/// move data (transpose, slice, and reshape where the strides allow it) map a layout to a
/// layout, so a product can read their result in place instead of a copy
/// (`ViewFolding`).
struct StridedLayout: Hashable, CustomStringConvertible {
    var offset: Int
    var shape: [Int]
    var strides: [Int]

    /// A dense row-major tensor of `shape`.
    static func dense(_ shape: [Int]) -> StridedLayout {
        var strides = Array(repeating: 1, count: shape.count)
        var s = 1
        for d in shape.indices.reversed() {
            strides[d] = s
            s *= shape[d]
        }
        return StridedLayout(offset: 0, shape: shape, strides: strides)
    }

    var count: Int { shape.reduce(1, *) }

    /// Whether this is the dense row-major layout of its shape (extent-1 axes' strides are
    /// irrelevant).
    var isDense: Bool {
        let d = Self.dense(shape)
        return offset == 0 && shape.indices.allSatisfy { shape[$0] == 1 || strides[$0] == d.strides[$0] }
    }

    /// The layout of `transpose {perm}`: result axis i is axis perm[i].
    func transposed(_ perm: [Int]) -> StridedLayout? {
        guard perm.count == shape.count, Set(perm) == Set(shape.indices) else { return nil }
        return StridedLayout(offset: offset, shape: perm.map { shape[$0] }, strides: perm.map { strides[$0] })
    }

    /// The layout of `slice {axis, start, step}` keeping `count` elements of the axis.
    func sliced(axis: Int, start: Int, step: Int, count: Int) -> StridedLayout? {
        guard shape.indices.contains(axis), step >= 1, start >= 0, count >= 0,
              count == 0 || start + (count - 1) * step < shape[axis] else { return nil }
        var r = self
        r.offset += start * strides[axis]
        r.shape[axis] = count
        r.strides[axis] *= step
        return r
    }

    /// The layout of `reshape` to `newShape`, or nil where the elements of a new axis are
    /// not equally spaced (then only a copy has that shape). Groups of old axes that merge
    /// into new ones must be contiguous with each other; axes of extent 1 are free.
    func reshaped(_ newShape: [Int]) -> StridedLayout? {
        guard newShape.reduce(1, *) == count, count > 0 else { return nil }
        let old = shape.indices.filter { shape[$0] != 1 }.map { (shape[$0], strides[$0]) }
        var newStrides = Array(repeating: 0, count: newShape.count)
        var oi = 0, ni = 0
        while ni < newShape.count || oi < old.count {
            if ni < newShape.count, newShape[ni] == 1 {
                ni += 1
                continue
            }
            guard oi < old.count, ni < newShape.count else { return nil }
            var op = old[oi].0, np = newShape[ni]
            var oj = oi + 1, nj = ni + 1
            while op != np {
                if op < np {
                    guard oj < old.count else { return nil }
                    op *= old[oj].0
                    oj += 1
                } else {
                    guard nj < newShape.count else { return nil }
                    np *= newShape[nj]
                    nj += 1
                }
            }
            for t in oi..<(oj - 1) where old[t].1 != old[t + 1].1 * old[t + 1].0 { return nil }
            var s = old[oj - 1].1
            for t in (ni..<nj).reversed() {
                newStrides[t] = s
                s *= newShape[t]
            }
            oi = oj
            ni = nj
        }
        return StridedLayout(offset: offset, shape: newShape, strides: newStrides)
    }

    var description: String { "+\(offset)\(shape)/\(strides)" }
}
