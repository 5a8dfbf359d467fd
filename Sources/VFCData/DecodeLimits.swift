import Foundation

/// Bounds on what decoding one image may cost, checked from the file's header before any
/// pixel buffer is allocated, so a small file that claims a huge picture (a decompression
/// bomb) is refused instead of exhausting memory.
public struct DecodeLimits: Sendable, Equatable {
    /// The most pixels (width x height) an image may have: PIL's default
    /// `Image.MAX_IMAGE_PIXELS` (89,478,485, about 9459 x 9459), so every file a
    /// torchvision loader reads without a DecompressionBombWarning is accepted. An 8-bit
    /// RGB decode of the largest allowed image takes 256 MiB.
    public var maxPixels: Int
    /// The most bytes all decoders together may hold at once (the decoded pixel buffers of
    /// the images being decoded on all worker threads). A worker waits until its image
    /// fits; an image larger than the whole budget is decoded alone.
    public var maxDecodeBytes: Int

    public static let standard = DecodeLimits(maxPixels: 89_478_485, maxDecodeBytes: 1 << 30)

    public init(maxPixels: Int, maxDecodeBytes: Int) {
        self.maxPixels = maxPixels
        self.maxDecodeBytes = maxDecodeBytes
    }

    /// Throws when a `width` x `height` image exceeds `maxPixels` (or has no pixels).
    func check(width: Int, height: Int, format: String, path: String) throws {
        guard width > 0, height > 0 else {
            throw ImageCodecError(path: path, .noPixels(format: format, width: width, height: height))
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > maxPixels {
            throw ImageCodecError(path: path, .overPixelLimit(format: format, width: width, height: height, limit: maxPixels))
        }
    }
}

/// The decoders' shared memory budget: `acquire(bytes)` blocks while other decodes hold
/// so much that `bytes` more would exceed the limit (unless nothing is held, so one
/// oversized request still proceeds alone); `release` returns the bytes.
public final class DecodeBudget: @unchecked Sendable {
    public let limit: Int
    private let condition = NSCondition()
    private var held = 0
    private var peak = 0

    public init(limit: Int) { self.limit = limit }

    public func acquire(_ bytes: Int) {
        condition.lock()
        while held > 0 && held + bytes > limit { condition.wait() }
        held += bytes
        peak = Swift.max(peak, held)
        condition.unlock()
    }

    /// The most bytes held at once so far (for tests and benchmarks).
    public var peakBytes: Int { condition.withLock { peak } }

    public func release(_ bytes: Int) {
        condition.lock()
        held -= bytes
        condition.broadcast()
        condition.unlock()
    }

    /// Runs `body` holding `bytes` of the budget.
    public func with<R>(_ bytes: Int, _ body: () throws -> R) rethrows -> R {
        acquire(bytes)
        defer { release(bytes) }
        return try body()
    }
}
