import Foundation

/// Prepares the next batches on a background thread while the training step runs.
///
/// A single worker thread produces batches `start`, `start + 1`, ... strictly in order
/// (each one is `BatchSampler.batch(at:)`, a pure function of its index) into a bounded
/// queue of `depth` batches, so the order and content never depend on timing. `next()`
/// blocks until the next batch is ready and records how long the caller waited: a step
/// that never waits for data shows `lastWaitSeconds` near zero. `stop()` (also run by
/// `deinit`) ends the worker and joins it.
///
/// Thread safety: all mutable state lives in a `Shared` object guarded by one
/// `NSCondition`; the worker holds that object, not the `Prefetcher`, so dropping the last
/// reference to the prefetcher stops the worker.
public final class Prefetcher: @unchecked Sendable {
    public let depth: Int
    private let shared: Shared

    private final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        var queue: [Batch] = []
        var produced: Int
        var stopping = false
        var finished = false
        var consumed = 0
        var totalWait: Double = 0
        var lastWait: Double = 0
        init(start: Int) { produced = start }
    }

    /// Starts prefetching at `sampler.nextBatch` (so a restored sampler continues where
    /// its state says).
    public init(sampler: BatchSampler, depth: Int = 2) {
        precondition(depth >= 1, "prefetch depth must be at least 1")
        self.depth = depth
        let shared = Shared(start: sampler.nextBatch)
        self.shared = shared
        let t = Thread { Prefetcher.work(shared, sampler, depth) }
        t.name = "vfc-data-prefetch"
        t.stackSize = 8 << 20
        t.start()
    }

    deinit { stop() }

    private static func work(_ s: Shared, _ sampler: BatchSampler, _ depth: Int) {
        while true {
            s.condition.lock()
            while s.queue.count >= depth && !s.stopping { s.condition.wait() }
            if s.stopping {
                s.finished = true
                s.condition.broadcast()
                s.condition.unlock()
                return
            }
            let k = s.produced
            s.condition.unlock()

            let batch = sampler.batch(at: k)  // the expensive part, outside the lock

            s.condition.lock()
            s.queue.append(batch)
            s.produced = k + 1
            s.condition.broadcast()
            s.condition.unlock()
        }
    }

    /// The next batch, in index order; blocks while the worker is still preparing it.
    public func next() -> Batch {
        let s = shared
        let start = DispatchTime.now().uptimeNanoseconds
        s.condition.lock()
        defer { s.condition.unlock() }
        precondition(!s.stopping, "Prefetcher.next() after stop()")
        while s.queue.isEmpty { s.condition.wait() }
        let batch = s.queue.removeFirst()
        let waited = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        s.lastWait = waited
        s.totalWait += waited
        s.consumed += 1
        s.condition.broadcast()
        return batch
    }

    /// Seconds the last `next()` waited for data.
    public var lastWaitSeconds: Double { shared.condition.withLock { shared.lastWait } }
    /// Seconds all `next()` calls waited, together.
    public var totalWaitSeconds: Double { shared.condition.withLock { shared.totalWait } }
    /// Batches handed out so far.
    public var consumed: Int { shared.condition.withLock { shared.consumed } }
    /// Batches ready in the queue now (0 ... depth).
    public var ready: Int { shared.condition.withLock { shared.queue.count } }

    /// Stops the worker (after the batch it is preparing, if any) and waits for it to end.
    /// Idempotent. Batches still queued are dropped.
    public func stop() {
        let s = shared
        s.condition.lock()
        s.stopping = true
        s.condition.broadcast()
        while !s.finished { s.condition.wait() }
        s.queue.removeAll()
        s.condition.unlock()
    }
}
