/// The type of an SSA value: an element type and a shape (`f32[N, 65, 128]`, `f32[]`).
public struct TensorType: Hashable, Sendable, CustomStringConvertible {
    public var dtype: DType
    public var shape: [Dim]

    public init(_ dtype: DType, _ shape: [Dim]) {
        self.dtype = dtype
        self.shape = shape
    }

    public var rank: Int { shape.count }

    /// True when no dimension is symbolic.
    public var isStatic: Bool { shape.allSatisfy { $0.staticValue != nil } }

    /// The static dims, or nil when some dim is symbolic.
    public var staticShape: [Int]? {
        var out: [Int] = []
        for d in shape {
            guard let v = d.staticValue else { return nil }
            out.append(v)
        }
        return out
    }

    /// The shape with every symbol bound, or nil when one is unbound or it overflows.
    public func evaluate(_ bindings: [String: Int]) -> [Int]? {
        var out: [Int] = []
        for d in shape {
            guard let v = d.evaluate(bindings) else { return nil }
            out.append(v)
        }
        return out
    }

    /// The type with symbols replaced by other dims, or nil on overflow.
    public func substituting(_ map: [String: Dim]) -> TensorType? {
        var dims: [Dim] = []
        for d in shape {
            guard let s = d.substituting(map) else { return nil }
            dims.append(s)
        }
        return TensorType(dtype, dims)
    }

    public func with(dtype: DType) -> TensorType { TensorType(dtype, shape) }
    public func with(shape: [Dim]) -> TensorType { TensorType(dtype, shape) }

    /// `f32[N, 64, 128]`.
    public var description: String {
        "\(dtype)[\(shape.map(\.description).joined(separator: ", "))]"
    }
}

/// Row-major strides, in elements, of a dense tensor of `shape` (the last axis contiguous).
public func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var out = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        out[i] = acc
        acc &*= shape[i]
    }
    return out
}

/// Limits that keep absurd inputs from becoming allocations (a declared
/// `f32[100000000000]` is an error, not 400 GB of memory).
public enum Limits {
    /// The largest element count of one tensor with static shape.
    public static let maxElements = 1 << 31
    /// The largest rank.
    public static let maxRank = 16
}
