import VFCRuntime

/// The runtime generated code calls: its thread pool.
public enum Runtime {
    /// Threads of parallel loops (VFC_THREADS, else every core, unless set).
    public static var threads: Int { Int(vfc_num_threads()) }

    /// Sets the threads of parallel loops (1 to the runtime's maximum). Results do not
    /// depend on timing, but a reduction split across a different number of threads may
    /// round differently: a run and its resumption should use the same count.
    public static func setThreads(_ n: Int) throws {
        guard n >= 1, n <= Int(Int32.max), vfc_set_num_threads(Int32(n)) >= 0 else {
            throw CodegenError.threads(n)
        }
    }

    /// Returns the heap's free memory to the system. Call it after dropping large host
    /// tensors (a state read from a file, kept in f64) once their native copies exist:
    /// glibc otherwise keeps the freed pages resident for later small allocations, which a
    /// step's arena (one large mapping) never makes.
    public static func trimHeap() { vfc_trim_heap() }
}
