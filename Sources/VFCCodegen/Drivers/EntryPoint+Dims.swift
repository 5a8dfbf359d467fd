import VFCIR

extension EntryPoint.Buffer {
    /// The buffer's extents with the run-time dims `values` (its fixed shape when it has
    /// no run-time dim).
    public func extents(_ values: [String: Int]) -> [Int] {
        runtimeShape.map { $0.map { $0.evaluate(values) ?? 0 } } ?? shape
    }
}

extension EntryPoint {
    /// The values of the run-time dims that the shapes of the inputs imply, checked
    /// against every input: an extent written as one dim (`B`) or a multiple of one
    /// (`2*B`) gives that dim.
    public func dimValues(inputShapes: [[Int]]) throws -> [String: Int] {
        guard !dims.isEmpty else { return [:] }
        var values: [String: Int] = [:]
        for (b, s) in zip(inputs, inputShapes) {
            guard let rs = b.runtimeShape, rs.count == s.count else { continue }
            for (d, n) in zip(rs, s) where d.symbols.count == 1 && d.coefficient > 0 && values[d.symbols[0]] == nil {
                if n % d.coefficient == 0 { values[d.symbols[0]] = n / d.coefficient }
            }
        }
        for d in dims where values[d] == nil {
            throw CodegenError.dimNotGiven(function: function, dim: d)
        }
        for (b, s) in zip(inputs, inputShapes) where b.extents(values) != s {
            throw CodegenError.inputDims(b.name, expected: BufferType(b.dtype, b.extents(values)), dims: dims.map { ($0, values[$0]!) }, got: s)
        }
        return values
    }
}
