import VFCIR

/// The element buffer behind a `Tensor`.
///
/// Elements are `Double` whatever the dtype: the reference interpreter computes in
/// `Double` and rounds to the dtype after each op, and every i32/u8/i1 value (and every
/// i64 up to 2^53) is exact as a `Double`. The buffer is 64-byte aligned so that the
/// interpreter's loops and future SIMD kernels can assume cache-line alignment.
final class TensorStorage: @unchecked Sendable {
    // @unchecked: the pointer is only written through `Tensor`, which copies before
    // writing whenever the storage is shared, so no two threads ever write one buffer.

    static let alignment = Tensor.alignment

    let pointer: UnsafeMutablePointer<Double>
    let count: Int

    /// A zero-filled buffer of `count` elements.
    init(count: Int) {
        precondition(count >= 0, "negative element count")
        // Zero-size tensors still get a real (aligned) allocation, so the pointer is never
        // dangling and `isAligned` holds for every tensor.
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: Swift.max(count, 1) * MemoryLayout<Double>.stride,
            alignment: TensorStorage.alignment)
        pointer = raw.bindMemory(to: Double.self, capacity: Swift.max(count, 1))
        pointer.initialize(repeating: 0, count: Swift.max(count, 1))
        self.count = count
    }

    /// A fresh buffer holding the same elements, for copy-on-write.
    func copy() -> TensorStorage {
        let out = TensorStorage(count: count)
        out.pointer.update(from: pointer, count: count)
        return out
    }

    deinit {
        UnsafeMutableRawPointer(pointer).deallocate()
    }
}

/// A host tensor: the values the reference interpreter reads, computes and writes.
///
/// A value type with copy-on-write storage, so passing tensors around never copies
/// elements and mutating one never affects another.
public struct Tensor: Sendable {
    /// The interpreter's allocation budget, in elements (2 GiB of `Double`s): larger
    /// tensors are an error before anything is allocated.
    public static let maxElements = 1 << 28

    /// The alignment of every element buffer, in bytes (one cache line).
    public static let alignment = 64

    public private(set) var dtype: DType
    public private(set) var shape: [Int]
    var storage: TensorStorage

    /// A zero-filled tensor. The shape must pass `checkedElementCount`.
    public init(dtype: DType, shape: [Int]) {
        guard let n = Tensor.checkedElementCount(shape) else {
            preconditionFailure("invalid tensor shape \(shape) (negative, overflowing or over the element budget)")
        }
        self.dtype = dtype
        self.shape = shape
        storage = TensorStorage(count: n)
    }

    /// A tensor with the given row-major elements, rounded to `dtype`.
    ///
    /// The element count must match the shape: this is for internal callers that built the
    /// array themselves, not for data from files.
    public init(dtype: DType, shape: [Int], scalars: [Double]) {
        self.init(dtype: dtype, shape: shape)
        precondition(scalars.count == storage.count,
                     "\(scalars.count) scalars for shape \(shape) (\(storage.count) elements)")
        for i in 0..<scalars.count {
            storage.pointer[i] = Tensor.round(scalars[i], to: dtype)
        }
    }

    /// A rank-0 tensor holding `scalar` rounded to `dtype`.
    public init(scalar: Double, dtype: DType) {
        self.init(dtype: dtype, shape: [], scalars: [scalar])
    }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }

    /// Row-major strides in elements (the last dimension is contiguous).
    public var strides: [Int] { Tensor.rowMajorStrides(shape) }

    /// Row-major strides of any shape, for kernels that index shapes other than their own.
    public static func rowMajorStrides(_ shape: [Int]) -> [Int] { VFCIR.rowMajorStrides(shape) }

    /// True when the element buffer is 64-byte aligned (always, by construction; for tests).
    public var isAligned: Bool {
        UInt(bitPattern: storage.pointer) % UInt(TensorStorage.alignment) == 0
    }

    /// The element at a row-major index. Setting stores the value as given: the
    /// interpreter rounds to the dtype itself, once per op, not per element write.
    public subscript(flat index: Int) -> Double {
        get {
            precondition(index >= 0 && index < storage.count, "flat index \(index) out of range 0..<\(storage.count)")
            return storage.pointer[index]
        }
        set {
            precondition(index >= 0 && index < storage.count, "flat index \(index) out of range 0..<\(storage.count)")
            makeUnique()
            storage.pointer[index] = newValue
        }
    }

    /// All elements in row-major order.
    public var scalars: [Double] {
        withUnsafeBufferPointer { Array($0) }
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Gives write access to the elements, copying them first if the storage is shared.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Double>) throws -> R
    ) rethrows -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// The same elements under another shape with the same element count.
    public func reshaped(to newShape: [Int]) -> Tensor? {
        guard Tensor.checkedElementCount(newShape) == count else { return nil }
        var out = self
        out.shape = newShape
        return out
    }

    /// True when both tensors share one buffer (for copy-on-write tests).
    public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }

    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy()
        }
    }

    /// The element count of `shape`, or nil when a dimension is negative, the product
    /// overflows, or it exceeds `maxElements`. Check this before building a tensor from
    /// untrusted dims.
    public static func checkedElementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow else { return nil }
            n = p
        }
        // Checked after the loop: a zero dim makes the product zero even if a prefix was
        // over the budget, and such a tensor is legitimately empty.
        return n <= maxElements ? n : nil
    }
}

// MARK: - Rounding to element types

extension Tensor {
    /// The largest `Double` that fits in an `Int64`: 2^63 itself does not, so saturating
    /// to it would make the later `Int64(x)` conversion trap.
    @usableFromInline static let int64MaxAsDouble = Double(Int64.max).nextDown

    /// `x` as the nearest value of `dtype`, the way a store to that type behaves.
    ///
    /// Floats round to nearest (f32 overflows to infinity); integers truncate toward
    /// zero and saturate at the type's range, with NaN becoming 0, so converting a float
    /// never traps; i1 is "nonzero" (NaN counts as nonzero, as in C).
    @inlinable
    public static func round(_ x: Double, to dtype: DType) -> Double {
        switch dtype {
        case .f64: return x
        case .f32: return Double(Float(x))
        case .i1: return x != 0 ? 1 : 0
        case .i32: return saturate(x, lo: Double(Int32.min), hi: Double(Int32.max))
        case .i64: return saturate(x, lo: Double(Int64.min), hi: int64MaxAsDouble)
        case .u8: return saturate(x, lo: 0, hi: 255)
        }
    }

    @usableFromInline
    static func saturate(_ x: Double, lo: Double, hi: Double) -> Double {
        if x.isNaN { return 0 }
        // `+ 0` turns -0.0 (from truncating e.g. -0.5) into +0.0: integers have no sign
        // of zero, and a -0.0 would make equal tensors compare unequal bitwise.
        return Swift.min(Swift.max(x.rounded(.towardZero), lo), hi) + 0
    }

    /// The tensor with its elements converted to `dtype` (see `round(_:to:)`).
    public func converted(to dtype: DType) -> Tensor {
        var out = self
        out.dtype = dtype
        out.withUnsafeMutableBufferPointer { buf in
            for i in buf.indices { buf[i] = Tensor.round(buf[i], to: dtype) }
        }
        return out
    }

    /// The tensor with every element rounded to its own dtype, after raw writes.
    public func rounded() -> Tensor { converted(to: dtype) }
}

// MARK: - Equality and printing

extension Tensor: Equatable {
    /// Same dtype, shape and element bit patterns: bitwise so that equality is reflexive
    /// even with NaNs, which is what round-trip and determinism checks need.
    public static func == (a: Tensor, b: Tensor) -> Bool {
        guard a.dtype == b.dtype, a.shape == b.shape else { return false }
        if a.storage === b.storage { return true }
        for i in 0..<a.count where a.storage.pointer[i].bitPattern != b.storage.pointer[i].bitPattern {
            return false
        }
        return true
    }
}

extension Tensor: CustomStringConvertible {
    /// `f32[2, 3] [1.0, 2.0, ...]`, with at most 8 elements shown.
    public var description: String {
        let head = "\(dtype)[\(shape.map(String.init).joined(separator: ", "))]"
        let shown = (0..<Swift.min(count, 8)).map { i -> String in
            let v = storage.pointer[i]
            return dtype.isFloat ? "\(v)" : "\(Int64(Tensor.round(v, to: .i64)))"
        }
        return "\(head) [\(shown.joined(separator: ", "))\(count > 8 ? ", ..." : "")]"
    }
}
