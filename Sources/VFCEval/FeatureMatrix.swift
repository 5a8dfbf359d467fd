/// Rows of float features (or targets), row-major: `rows` x `dim`.
public struct FeatureMatrix: Sendable, Equatable {
    public var rows: Int
    public var dim: Int
    public var values: [Float]

    public init(rows: Int, dim: Int, values: [Float]) {
        precondition(values.count == rows * dim, "a \(rows) x \(dim) matrix needs \(rows * dim) values")
        self.rows = rows
        self.dim = dim
        self.values = values
    }

    /// The rows at `indices`, in that order.
    public func selecting(_ indices: [Int]) -> FeatureMatrix {
        var out = [Float]()
        out.reserveCapacity(indices.count * dim)
        for i in indices { out.append(contentsOf: values[i * dim ..< (i + 1) * dim]) }
        return FeatureMatrix(rows: indices.count, dim: dim, values: out)
    }

    /// Row `i` as a slice.
    public func row(_ i: Int) -> ArraySlice<Float> { values[i * dim ..< (i + 1) * dim] }
}
