import Foundation
import VFCCodegen
import VFCIR
import VFCRuntime

/// The ViT block (`vitBlockModule`) forward and forward+backward with fused kernels'
/// epilogues in the product's store (the default) against the same compiled code with
/// them in a pass after the product (`vfc_gemm_set_epilogue_pass`), alternating A B A B ...,
/// medians. One thread (VFC_BENCH_THREADS=1, the default) is timed by the process's CPU
/// time (preemption by other processes does not count; what they evict from the caches
/// does); more threads by the wall clock.
func epilogueBenchmark(quick: Bool) throws {
    let samples = quick ? 9 : 25
    let threads = Int(ProcessInfo.processInfo.environment["VFC_BENCH_THREADS"] ?? "1") ?? 1
    _ = vfc_set_num_threads(Int32(threads))
    print("")
    print("ViT block, T = 65, \(threads) thread(s), \(threads == 1 ? "CPU time" : "wall clock"), medians of \(samples) alternated samples: epilogue in the store vs a pass after the product")
    print("width   N  function     in store ms    pass ms   pass / store")
    func cpuSeconds() -> Double {
        var t = timespec()
        clock_gettime(threads == 1 ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
    for width in [128, 192] {
        let module = try vitBlockModule(width: width)
        let n = width == 128 ? 32 : 16
        let jit = try JITModule(module: module, functions: ["block", "block.vjp"], options: CodegenOptions(bindings: ["N": n, "T": 65]))
        for function in ["block", "block.vjp"] {
            guard let entry = jit.entries.first(where: { $0.function == function }) else { continue }
            let buffers = entry.buffers.enumerated().map { i, b in buffer(Swift.max(b.count, 1), 100 + i) }
            defer { for b in buffers { b.deallocate() } }
            var times: [[Double]] = [[], []]
            for sample in 0..<(samples + 1) {
                for pass in [0, 1] {
                    vfc_gemm_set_epilogue_pass(Int32(pass))
                    let t0 = cpuSeconds()
                    try jit.call(function: function, buffers: buffers)
                    if sample > 0 { times[pass].append(cpuSeconds() - t0) }  // the first: warm-up
                }
            }
            vfc_gemm_set_epilogue_pass(1)  // the default
            let (store, pass) = (times[0].sorted()[samples / 2], times[1].sorted()[samples / 2])
            print(pad("\(width)", 6) + String(format: "%4d", n) + pad("  @" + function, 13)
                  + String(format: " %11.2f %10.2f   %5.3f", store * 1e3, pass * 1e3, pass / store))
        }
    }
}
