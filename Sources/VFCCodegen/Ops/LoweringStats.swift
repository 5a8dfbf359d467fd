import VFCIR

/// What lowering one function emitted, counted as it is emitted (`vfc compile --stats`).
///
/// - `kernels`: loop nests that write a buffer: one per lowered op (a fused kernel is one),
///   plus the copies of results into their output buffers. Matrix products are not kernels
///   (they are `gemmCalls`), except small batched f32 ones (vfc's own loop nest, one
///   kernel each); the bias pass of `linear` is one. Ops that share their
///   operand's buffer (reshape, stop_gradient) emit nothing.
/// - `gemmCalls`: `vfc_sgemm`/`vfc_dgemm` calls at run time (a batched product loops;
///   small batched f32 products run vfc's own loop nest instead: one kernel, no call).
/// - `flops`: analytic: 2mnk per matrix product (+ mn for linear's bias); one per element of
///   the largest operand or result for each elementwise op, reduction and normalisation
///   (softmax, log_softmax, layer_norm, l2_normalize: one per element, though they do more);
///   eight per sampled element for the crop-sample family (four multiply-adds), one more for
///   crop_sample_add's add; zero for data movement. Fusion does not change it.
/// - `bytesMoved`: per kernel and matrix product, the bytes of every tensor operand it reads
///   (once, even when a kernel reads it again) plus the bytes of what it writes.
/// - `peakMemoryBytes`: the temporary buffers of the memory plan (`Lowering+Memory.swift`),
///   all held until the function returns: the most it holds at once. Inputs, params and
///   outputs are the caller's (`ioBytes`).
/// - `unplannedMemoryBytes`: what the same temporaries take with one buffer each.
/// - `livePeakBytes`: the most bytes the temporaries hold at one point of the function:
///   what a perfect placement of the same buffers would need (`peakMemoryBytes` minus this
///   is what the plan loses to fragmentation).
public struct LoweringStats: Sendable, Hashable {
    public var kernels = 0
    public var gemmCalls = 0
    public var flops = 0
    public var bytesMoved = 0
    public var peakMemoryBytes = 0
    public var unplannedMemoryBytes = 0
    public var livePeakBytes = 0
    public var ioBytes = 0

    public init() {}

    /// `name: value` lines, in a fixed order (what `vfc compile --stats` prints).
    public var lines: [String] {
        ["kernels: \(kernels)", "sgemm_calls: \(gemmCalls)", "flops: \(flops)", "bytes_moved: \(bytesMoved)",
         "peak_memory_bytes: \(peakMemoryBytes)", "unplanned_memory_bytes: \(unplannedMemoryBytes)",
         "live_peak_bytes: \(livePeakBytes)", "io_bytes: \(ioBytes)"]
    }
}

extension FunctionLowering {
    /// Bytes of a lowered tensor (0 for a literal).
    func bytes(_ o: Lowered) -> Int {
        guard case .buffer(_, let d, let s) = o else { return 0 }
        return s.reduce(1, *) * d.byteSize
    }

    /// Counts one lowered instruction (not a buffer-sharing reshape): see `LoweringStats`.
    mutating func count(_ op: Op, _ ops: [Lowered], _ dtype: DType, _ shape: [Int]) {
        let outCount = shape.reduce(1, *)
        let written = outCount * dtype.byteSize
        let read = ops.map(bytes).reduce(0, +)
        let largest = ([outCount] + ops.map { $0.shape.reduce(1, *) }).max() ?? 0
        switch op {
        case .unary, .binary, .compare, .select, .convert, .reduce, .softmax, .logSoftmax, .layerNorm, .l2Normalize:
            kernel(read: read, written: written, flops: largest)
        case .constant, .broadcast, .reshape, .stopGradient, .transpose, .slice, .pad, .concat, .take, .scatterAdd, .nonzero, .patchify:
            kernel(read: read, written: written, flops: 0)
        case .cropSample:
            kernel(read: read, written: written, flops: 8 * outCount)
        case .cropSampleAdd:
            kernel(read: read, written: written, flops: 9 * outCount)
        case .cropSampleGrad:
            kernel(read: read, written: written, flops: 8 * (ops.first?.shape.reduce(1, *) ?? 0))
        case .matmul(let ta, let tb):
            guard let (calls, flops) = gemmWork(op, ops, outCount) else { return }
            if isSmallGemm(ta, tb, ops) {
                kernel(read: read, written: written, flops: flops)  // vfc's own loop nest
            } else {
                gemm(calls: calls, read: read, written: written, flops: flops)
            }
        case .linear:
            guard let (calls, flops) = gemmWork(op, ops, outCount) else { return }
            gemm(calls: calls, read: bytes(ops[0]) + bytes(ops[1]), written: written, flops: flops)
            // The bias pass reads the product and the bias, and writes the result.
            kernel(read: written + bytes(ops[2]), written: written, flops: outCount)
        case .call, .valueAndGrad:
            break
        }
    }

    /// The BLAS calls and flops (2mnk) of a matmul or linear with `outCount` result
    /// elements; nil for other ops.
    func gemmWork(_ op: Op, _ ops: [Lowered], _ outCount: Int) -> (calls: Int, flops: Int)? {
        switch op {
        case .matmul(let ta, let tb):
            let a = ops[0].shape, b = ops[1].shape
            guard a.count >= 2, b.count >= 2 else { return nil }
            let k = ta ? a[a.count - 2] : a[a.count - 1]
            let batches = a.dropLast(2).reduce(1, *)
            if isSmallGemm(ta, tb, ops) { return (0, 2 * outCount * k) }  // no BLAS call
            return (outCount == 0 || k == 0 ? 0 : (b.count == 2 && !ta ? 1 : batches), 2 * outCount * k)
        case .linear:
            let k = ops[0].shape.last ?? 0
            return (outCount == 0 || k == 0 ? 0 : 1, 2 * outCount * k)
        default:
            return nil
        }
    }

    /// Whether a matmul of these operands runs as `smallBatchedGemm` (a kernel, no sgemm).
    func isSmallGemm(_ ta: Bool, _ tb: Bool, _ ops: [Lowered]) -> Bool {
        guard ops.count == 2, case .buffer(_, let d, let a) = ops[0], a.count >= 2, ops[1].shape.count >= 2 else { return false }
        let b = ops[1].shape
        let m = ta ? a[a.count - 1] : a[a.count - 2], k = ta ? a[a.count - 2] : a[a.count - 1]
        let n = tb ? b[b.count - 2] : b[b.count - 1]
        return Self.usesSmallGemm(d, ta: ta, tb: tb, m: m, n: n, k: k, batches: a.dropLast(2).reduce(1, *), bRank: b.count)
    }

    /// One loop nest that reads `read` bytes and writes `written`.
    mutating func kernel(read: Int, written: Int, flops: Int) {
        stats.kernels += 1
        stats.bytesMoved += read + written
        stats.flops += flops
    }

    /// `calls` matrix products that together read `read` bytes and write `written`.
    mutating func gemm(calls: Int, read: Int, written: Int, flops: Int) {
        stats.gemmCalls += calls
        stats.bytesMoved += read + written
        stats.flops += flops
    }
}
