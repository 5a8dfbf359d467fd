/// Element types of vfc tensors.
///
/// `f64` exists for the reference interpreter and gradient checks; `i1` and `u8` carry
/// masks and flips; `i32`/`i64` carry indices and counters (`opt.step`).
public enum DType: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case f32, f64, i32, i64, i1, u8

    public var description: String { rawValue }

    /// True for the floating-point types, the only ones gradients flow through.
    public var isFloat: Bool { self == .f32 || self == .f64 }

    /// True for the integer and boolean types.
    public var isInteger: Bool { !isFloat }

    /// True for the types used as booleans by `select` (masks).
    public var isBoolLike: Bool { self == .i1 || self == .u8 }

    /// Bytes per element in memory and in safetensors files (`i1` is stored as one byte).
    public var byteSize: Int {
        switch self {
        case .f32, .i32: return 4
        case .f64, .i64: return 8
        case .i1, .u8: return 1
        }
    }
}
