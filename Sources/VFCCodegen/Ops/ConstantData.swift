import VFCIR

extension Emitter {
    /// The in-memory bytes of `values` stored as `dtype` (little-endian, as the targets the
    /// JIT and `vfc compile` produce code for), each value rounded as `constant` rounds it.
    static func constantBytes(_ values: [Double], _ dtype: DType) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(values.count * dtype.byteSize)
        func append<T: FixedWidthInteger>(_ x: T) {
            withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) }
        }
        for v in values {
            switch dtype {
            case .f32: append(Float(v).bitPattern)
            case .f64: append(v.bitPattern)
            case .i1: out.append(v != 0 && !v.isNaN ? 1 : 0)
            case .u8: out.append(UInt8(integerConstant(v, dtype)))
            case .i32: append(Int32(integerConstant(v, dtype)))
            case .i64: append(integerConstant(v, dtype))
            }
        }
        return out
    }
}
