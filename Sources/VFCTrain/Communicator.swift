import CMPI
import Foundation

/// The processes (ranks) of a data-parallel run and the collectives between them: Open MPI
/// when the process was started by an MPI launcher (`mpirun`, `srun` with PMIx), else one
/// process alone, whose collectives do nothing. MPI is initialised only in the first case,
/// so a plain `vfc` never talks to an MPI runtime.
///
/// Every collective is watched: one that has not completed after `timeout` seconds (a rank
/// died or hangs) prints which collective of which rank waited and ends this process with
/// exit code 1, which makes the launcher stop the other ranks. Errors that MPI returns
/// (MPI_ERRORS_RETURN) are thrown with MPI's text.
public final class Communicator: @unchecked Sendable {
    /// This process's rank, 0 ..< size; rank 0 writes the run's outputs.
    public let rank: Int
    public let size: Int
    /// Ranks on this machine (the launcher's local size; 1 alone).
    public let localSize: Int
    /// Whether the collectives go through MPI (started by a launcher, even with one rank).
    public let usesMPI: Bool
    private let watchdog: Watchdog?

    private init(rank: Int, size: Int, localSize: Int, usesMPI: Bool, timeout: Double?) {
        self.rank = rank
        self.size = size
        self.localSize = localSize
        self.usesMPI = usesMPI
        watchdog = timeout.map { Watchdog(rank: rank, timeout: $0) }
    }

    /// One process alone: the collectives return their input.
    public static func single() -> Communicator {
        Communicator(rank: 0, size: 1, localSize: 1, usesMPI: false, timeout: nil)
    }

    /// Whether an MPI launcher started this process: Open MPI's mpirun sets
    /// OMPI_COMM_WORLD_SIZE, PMIx launchers (srun --mpi=pmix) PMIX_RANK.
    public static var launchedByMPI: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMIX_RANK"] != nil
    }

    /// MPI's world when `launchedByMPI`, else `single()`. `timeout` bounds each collective.
    public static func world(timeout: Double) throws -> Communicator {
        guard launchedByMPI else { return single() }
        var text = [CChar](repeating: 0, count: 512)
        let rc = vfc_mpi_init(&text, Int32(text.count))
        guard rc == 0 else {
            throw StepError.mpiInit(string(text))
        }
        let local = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap { Int($0) } ?? 1
        return Communicator(rank: Int(vfc_mpi_rank()), size: Int(vfc_mpi_size()), localSize: Swift.max(local, 1),
                            usesMPI: true, timeout: timeout)
    }

    /// The text of a NUL-terminated C buffer.
    private static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Threads per rank that do not oversubscribe the machine: the cores this process may run
    /// on (its affinity mask, which mpirun narrows when it binds ranks to cores), at most the
    /// machine's cores divided among its ranks; at least 1.
    public var defaultThreads: Int {
        let online = Swift.max(sysconf(Int32(_SC_NPROCESSORS_ONLN)), 1)
        let affinity = Int(vfc_affinity_cores())
        let allowed = affinity > 0 ? affinity : online
        return Swift.max(1, Swift.min(allowed, online / localSize))
    }

    // MARK: Collectives

    /// Sums `count` f32 values at `pointer` over the ranks, in place, in pieces of at most
    /// `bucket` values. `what` names the data in errors.
    public func sumFloats(_ pointer: UnsafeMutableRawPointer, count: Int, bucket: Int = 1 << 22, what: String) throws {
        guard usesMPI, count > 0 else { return }
        var start = 0
        while start < count {
            let n = Swift.min(bucket, count - start)
            try watched(what) { vfc_mpi_allreduce(pointer + start * 4, Int64(n), VFC_MPI_FLOAT, VFC_MPI_SUM) }
            start += n
        }
    }

    /// The sums of `values` over the ranks.
    public func sum(_ values: [Int64], what: String) throws -> [Int64] { try reduce(values, VFC_MPI_SUM, what) }

    /// The maxima of `values` over the ranks.
    public func max(_ values: [Int64], what: String) throws -> [Int64] { try reduce(values, VFC_MPI_MAX, what) }

    /// Whether `flag` is true on any rank (every rank gets the same answer).
    public func any(_ flag: Bool, what: String) throws -> Bool { try max([flag ? 1 : 0], what: what)[0] != 0 }

    /// Waits until every rank has arrived.
    public func barrier(what: String) throws {
        guard usesMPI else { return }
        try watched(what) { vfc_mpi_barrier() }
    }

    /// Leaves MPI (after the last collective; a no-op alone).
    public func finalize() {
        guard usesMPI, vfc_mpi_initialized() != 0 else { return }
        _ = vfc_mpi_finalize()
    }

    private func reduce(_ values: [Int64], _ op: vfc_mpi_op, _ what: String) throws -> [Int64] {
        guard usesMPI, !values.isEmpty else { return values }
        var out = values
        try out.withUnsafeMutableBytes { b in
            try watched(what) { vfc_mpi_allreduce(b.baseAddress!, Int64(values.count), VFC_MPI_INT64, op) }
        }
        return out
    }

    private func watched(_ what: String, _ call: () -> Int32) throws {
        watchdog?.arm(what)
        let rc = call()
        watchdog?.disarm()
        guard rc == 0 else {
            var text = [CChar](repeating: 0, count: 512)
            vfc_mpi_error_string(rc, &text, Int32(text.count))
            throw StepError.mpiFailed(rank: rank, call: what, message: Self.string(text))
        }
    }
}

/// Ends the process when a collective takes longer than `timeout` seconds: MPI offers no
/// timeout of its own, and a rank that waits forever for a hung peer would hold the job.
private final class Watchdog: @unchecked Sendable {
    private let condition = NSCondition()
    private var what: String?
    private var deadline = Date.distantFuture
    private var generation = 0

    private let timeout: Double

    init(rank: Int, timeout: Double) {
        self.timeout = timeout
        let thread = Thread { [self] in
            condition.lock()
            while true {
                while what == nil { condition.wait() }
                let armed = generation
                _ = condition.wait(until: deadline)
                guard generation == armed, let what, Date() >= deadline else { continue }
                let message = "vfc: error: rank \(rank): no answer from the other ranks for \(Int(timeout)) s in \(what): "
                    + "a rank has died or hangs; stopping (--collective-timeout)\n"
                FileHandle.standardError.write(Data(message.utf8))
                // The launcher forwards this rank's output; give it time to read the
                // message before the exit makes it stop the job.
                usleep(500_000)
                _exit(1)
            }
        }
        thread.name = "vfc-mpi-watchdog"
        thread.start()
    }

    func arm(_ what: String) {
        condition.lock()
        self.what = what
        deadline = Date(timeIntervalSinceNow: timeout)
        generation += 1
        condition.broadcast()
        condition.unlock()
    }

    func disarm() {
        condition.lock()
        what = nil
        generation += 1
        condition.broadcast()
        condition.unlock()
    }
}
