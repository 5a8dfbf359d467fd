import VFCIR
import VFCTensor

/// A 64-byte aligned buffer in a dtype's machine representation (float, double, int32,
/// int64, byte), for passing tensors to compiled code.
final class NativeBuffer {
    let pointer: UnsafeMutableRawPointer
    let dtype: DType
    let shape: [Int]
    var count: Int { shape.reduce(1, *) }
    /// False for a view into memory that something else owns and frees.
    private let owned: Bool

    init(dtype: DType, shape: [Int]) throws {
        guard let n = Tensor.checkedElementCount(shape) else { throw CodegenError.bufferTooLarge(BufferType(dtype, shape)) }
        self.dtype = dtype
        self.shape = shape
        let bytes = Swift.max(n * dtype.byteSize, 64)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: (bytes + 63) & ~63, alignment: 64)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: (bytes + 63) & ~63)
        owned = true
    }

    /// A view of `count` elements at `pointer`, which the caller keeps alive and frees.
    init(view pointer: UnsafeMutableRawPointer, dtype: DType, shape: [Int]) {
        self.pointer = pointer
        self.dtype = dtype
        self.shape = shape
        owned = false
    }

    convenience init(_ t: Tensor, as dtype: DType) throws {
        try self.init(dtype: dtype, shape: t.shape)
        let src = t.dtype == dtype ? t : t.converted(to: dtype)
        src.withUnsafeBufferPointer { b in
            for i in 0..<b.count { store(b[i], at: i) }
        }
    }

    deinit { if owned { pointer.deallocate() } }

    private func store(_ x: Double, at i: Int) {
        switch dtype {
        case .f32: pointer.storeBytes(of: Float(x), toByteOffset: i * 4, as: Float.self)
        case .f64: pointer.storeBytes(of: x, toByteOffset: i * 8, as: Double.self)
        case .i32: pointer.storeBytes(of: Int32(x), toByteOffset: i * 4, as: Int32.self)
        case .i64: pointer.storeBytes(of: Int64(x), toByteOffset: i * 8, as: Int64.self)
        case .u8, .i1: pointer.storeBytes(of: UInt8(x), toByteOffset: i, as: UInt8.self)
        }
    }

    private func load(_ i: Int) -> Double {
        switch dtype {
        case .f32: return Double(pointer.load(fromByteOffset: i * 4, as: Float.self))
        case .f64: return pointer.load(fromByteOffset: i * 8, as: Double.self)
        case .i32: return Double(pointer.load(fromByteOffset: i * 4, as: Int32.self))
        case .i64: return Double(pointer.load(fromByteOffset: i * 8, as: Int64.self))
        case .u8, .i1: return Double(pointer.load(fromByteOffset: i, as: UInt8.self))
        }
    }

    /// The buffer as a host tensor.
    func tensor() -> Tensor {
        Tensor(dtype: dtype, shape: shape, scalars: (0..<count).map(load))
    }
}
