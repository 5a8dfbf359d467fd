import Foundation
import Testing
import VFCRuntime

/// The runtime's cache of freed buffers (runtime_buffers.c): a step's arena freed when the
/// cache's budget is already taken by other blocks is kept anyway, so that the next call of
/// the step reuses its pages instead of faulting a fresh allocation in.
@Suite struct BufferCacheTests {
    /// Minor page faults of the calling thread so far (other tests run on other threads).
    static func threadFaults() -> Int {
        var usage = rusage()
        // RUSAGE_THREAD (1 on Linux) is behind _GNU_SOURCE, which Glibc's Swift import lacks.
        getrusage(__rusage_who_t(1), &usage)
        return usage.ru_minflt
    }

    @Test func arenaFreedWithAFullCacheIsReused() throws {
        let page = 4096, filler = Int64(450) << 20, arenaBytes = Int64(200) << 20 + 4160
        // Two freed fillers take 900 MiB of the cache's 1 GiB budget.
        let fillers = [vfc_alloc_uninit(filler), vfc_alloc_uninit(filler)]
        for f in fillers { try #require(f != nil) }
        let arena = try #require(vfc_alloc_arena(arenaBytes))
        let bytes = arena.bindMemory(to: UInt8.self, capacity: Int(arenaBytes))
        for i in stride(from: 0, to: Int(arenaBytes), by: page) { bytes[i] = 1 }
        for f in fillers { vfc_free(f) }
        vfc_free(arena)

        let before = Self.threadFaults()
        let again = try #require(vfc_alloc_arena(arenaBytes))
        let touched = again.bindMemory(to: UInt8.self, capacity: Int(arenaBytes))
        for i in stride(from: 0, to: Int(arenaBytes), by: page) { touched[i] = 2 }
        let faults = Self.threadFaults() - before
        vfc_free(again)
        // A fresh 200 MiB block faults in about 51,000 pages; the kept one none.
        #expect(faults < 1000, "reallocating the arena faulted \(faults) pages in")
    }
}
