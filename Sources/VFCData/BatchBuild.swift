import Foundation
import VFCTensor

/// A batch being assembled: its view tensors, written row by row by any number of
/// threads (each row by one thread, into disjoint ranges), and which image each row got.
final class BatchBuild: @unchecked Sendable {
    let index: Int
    let rows: Range<Int>
    let planned: [Int]
    private(set) var viewTensors: [String: Tensor]
    let outputs: ViewOutputs
    private let lock = NSLock()
    private var chosen: [Int], classes: [Int]

    init(index: Int, rows: Range<Int>, planned: [Int], config c: BatchConfig) {
        self.index = index
        self.rows = rows
        self.planned = planned
        let R = rows.count, V = c.globalViews + c.localViews
        var t: [String: Tensor] = [
            "global_views": Tensor(dtype: .f32, shape: [R, c.globalViews, 3, c.globalSize, c.globalSize]),
            "local_views": Tensor(dtype: .f32, shape: [R, c.localViews, 3, c.localSize, c.localSize]),
            "boxes": Tensor(dtype: .f32, shape: [R, V, 4]),
            "flips": Tensor(dtype: .u8, shape: [R, V]),
        ]
        // The tensors are uniquely owned by `viewTensors` and never copied while rows are
        // written, so their storage (a stable heap allocation) is what the pointers address.
        func base(_ name: String) -> UnsafeMutablePointer<Double> {
            t[name]!.withUnsafeMutableBufferPointer { $0.baseAddress ?? UnsafeMutablePointer<Double>.allocate(capacity: 0) }
        }
        outputs = ViewOutputs(g: base("global_views"), l: base("local_views"), boxes: base("boxes"), flips: base("flips"))
        viewTensors = t
        chosen = planned
        classes = Array(repeating: -1, count: R)
    }

    func setImage(_ r: Int, index: Int, label: Int) {
        lock.withLock { chosen[r] = index; classes[r] = label }
    }

    var indices: [Int] { lock.withLock { chosen } }
    var labels: [Int] { lock.withLock { classes } }
}

/// Where a batch's rows are written; each worker writes only its own rows' ranges.
struct ViewOutputs: @unchecked Sendable {
    let g: UnsafeMutablePointer<Double>
    let l: UnsafeMutablePointer<Double>
    let boxes: UnsafeMutablePointer<Double>
    let flips: UnsafeMutablePointer<Double>
}

/// The first error any worker reported.
final class ErrorSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Error?
    func set(_ e: Error) { lock.withLock { if first == nil { first = e } } }
    var error: Error? { lock.withLock { first } }
}

/// A value computed on first use and shared by copies (of a `Sendable` struct).
final class Lazy<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T?
    func value(_ make: () -> T) -> T {
        lock.withLock {
            if let stored { return stored }
            let v = make()
            stored = v
            return v
        }
    }
}

extension Tensor {
    /// Rows `rows` of the first dimension.
    func rows(_ rows: Range<Int>) -> Tensor {
        if rows == 0..<shape[0] { return self }
        let inner = shape.dropFirst().reduce(1, *)
        var out = Tensor(dtype: dtype, shape: [rows.count] + shape.dropFirst())
        withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<(rows.count * inner) { dst[i] = src[rows.lowerBound * inner + i] }
            }
        }
        return out
    }
}
