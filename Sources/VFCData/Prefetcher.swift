import Foundation

/// Prepares the next batches on worker threads while the training step runs.
///
/// `workers` threads take the rows of batches `start`, `start + 1`, ... in order, each row
/// a task (read, decode, resize, cut and augment one image), so one batch's images are
/// decoded in parallel and the next batch starts as soon as a worker is free. At most
/// `depth` batches past the one the caller holds exist at a time (being built or ready), so
/// memory is bounded by the batch size, not the dataset. Every row is a pure function of
/// (seed, batch, row) (`BatchSampler.batch(at:rows:)`), so neither the order nor the content
/// depends on timing or the worker count. `next()` blocks until the next batch is complete
/// and records how long the caller waited. `stop()` (also run by `deinit`) ends the
/// workers and joins them.
///
/// Thread safety: all mutable state lives in a `Shared` object guarded by one
/// `NSCondition`; the workers hold that object, not the `Prefetcher`, so dropping the last
/// reference to the prefetcher stops them.
public final class Prefetcher: @unchecked Sendable {
    public let depth: Int
    public let workers: Int
    private let shared: Shared

    private final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        let rows: Range<Int>
        var cursor: (batch: Int, row: Int)
        var building: [Int: (build: BatchBuild, left: Int)] = [:]
        var ready: [Int: Batch] = [:]
        var failed: [Int: Error] = [:]
        var nextOut: Int
        var stopping = false
        var running: Int
        var consumed = 0
        var totalWait: Double = 0
        var lastWait: Double = 0
        init(start: Int, rows: Range<Int>, workers: Int) {
            nextOut = start
            cursor = (start, rows.lowerBound)
            self.rows = rows
            running = workers
        }
    }

    /// Starts prefetching at `sampler.nextBatch` (so a restored sampler continues where its
    /// state says). `workers`: decoding threads (default: the core count); `rows`: the
    /// slice of every batch to produce (default: all B rows).
    public init(sampler: BatchSampler, depth: Int = 2, workers: Int? = nil, rows: Range<Int>? = nil) {
        precondition(depth >= 1, "prefetch depth must be at least 1")
        let rows = rows ?? 0..<sampler.config.batchSize
        precondition(rows.lowerBound >= 0 && rows.upperBound <= sampler.config.batchSize && !rows.isEmpty,
                     "Prefetcher rows \(rows) outside a batch of \(sampler.config.batchSize)")
        let workers = Swift.max(1, workers ?? ProcessInfo.processInfo.activeProcessorCount)
        self.depth = depth
        self.workers = workers
        let shared = Shared(start: sampler.nextBatch, rows: rows, workers: workers)
        self.shared = shared
        for w in 0..<workers {
            let t = Thread { Prefetcher.work(shared, sampler, depth) }
            t.name = "vfc-data-\(w)"
            t.stackSize = 8 << 20
            t.start()
        }
    }

    deinit { stop() }

    private static func work(_ s: Shared, _ sampler: BatchSampler, _ depth: Int) {
        s.condition.lock()
        while true {
            while !s.stopping && s.cursor.batch >= s.nextOut + depth { s.condition.wait() }
            if s.stopping { break }
            let (k, row) = s.cursor
            if row == s.rows.lowerBound {
                // Cannot throw: the rows were checked in init.
                s.building[k] = ((try? sampler.startBatch(k, rows: s.rows))!, s.rows.count)
            }
            let build = s.building[k]!.build
            s.cursor = row + 1 == s.rows.upperBound ? (k + 1, s.rows.lowerBound) : (k, row + 1)
            s.condition.unlock()

            var failure: Error?
            do { try sampler.fillRow(build, row: row) } catch { failure = error }

            s.condition.lock()
            if let failure, s.failed[k] == nil { s.failed[k] = failure }
            s.building[k]!.left -= 1
            if s.building[k]!.left == 0 {
                s.building[k] = nil
                if s.failed[k] == nil {
                    s.condition.unlock()
                    let batch = sampler.finishBatch(build)
                    s.condition.lock()
                    s.ready[k] = batch
                }
                s.condition.broadcast()
            }
        }
        s.running -= 1
        s.condition.broadcast()
        s.condition.unlock()
    }

    /// The next batch, in index order; blocks while the workers are still preparing it.
    /// Throws when a row could not be made (no readable image left in the dataset).
    public func next() throws -> Batch {
        let s = shared
        let start = DispatchTime.now().uptimeNanoseconds
        s.condition.lock()
        defer { s.condition.unlock() }
        precondition(!s.stopping, "Prefetcher.next() after stop()")
        let k = s.nextOut
        while s.ready[k] == nil && (s.failed[k] == nil || s.building[k] != nil) { s.condition.wait() }
        if let e = s.failed[k] { throw e }
        let batch = s.ready.removeValue(forKey: k)!
        s.nextOut = k + 1
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
    /// Complete batches waiting in the queue now (0 ... depth).
    public var ready: Int { shared.condition.withLock { shared.ready.count } }

    /// Stops the workers (after the rows they are preparing) and waits for them to end.
    /// Idempotent. Batches still queued are dropped.
    public func stop() {
        let s = shared
        s.condition.lock()
        s.stopping = true
        s.condition.broadcast()
        while s.running > 0 { s.condition.wait() }
        s.ready.removeAll()
        s.building.removeAll()
        s.condition.unlock()
    }
}
