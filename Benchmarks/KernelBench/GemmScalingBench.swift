// vfc-bench gemm-scaling [--quick] (VFC_BENCH_STEPS=micro,tiny, VFC_BENCH_SHAPES=N,
// VFC_BENCH_SAMPLES=S): how the step's unbatched products (GemmShapes, run through
// vfc_sgemm as the step runs them: vfc's kernel or OpenBLAS by shape) scale from 1 to 2
// threads. Each sample times, in turn: 1 thread; 2 threads with each task schedule of
// vfc_gemm_set_schedule: static (MC-row tasks in index order), grid (the balanced grid, each thread's
// share fixed), claimed (the same grid claimed task by task: the default).
// Two clocks: the wall clock, and the pool's busy time (vfc_pool_set_accounting: each
// thread's own CPU time in loop bodies; a product's time is its busiest thread's), which
// time preempted by other processes does not inflate, so that it measures the split of the
// work on a shared machine (it leaves out the threads' hand-offs, a few microseconds per
// product), and the split's excess by tile counts (vfc_gemm_split_excess: the busiest
// thread's tiles over an even share; vfc's kernel only). Each figure is the best sample (the median mostly measures the other
// processes); the speedup is t(1 thread) / t(2 threads) (2: perfect). The three results
// must be bit-identical, or the run stops.
import CBLAS
import Foundation
import VFCCodegen
import VFCRuntime

private func wallNow() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// One configuration of a sample: threads, schedule.
private let configs: [(name: String, threads: Int32, schedule: vfc_gemm_schedule)] =
    [("1T", 1, VFC_GEMM_CLAIMED), ("2T static", 2, VFC_GEMM_STATIC), ("2T grid", 2, VFC_GEMM_GRID), ("2T claimed", 2, VFC_GEMM_CLAIMED)]

func gemmScalingBenchmark(quick: Bool) throws {
    let env = ProcessInfo.processInfo.environment
    guard let kernel = installHostGemmKernel(consequence: "nothing to measure") else { return }
    let samples = env["VFC_BENCH_SAMPLES"].flatMap { Int($0) } ?? (quick ? 5 : 11)
    print("vfc gemm scaling, \(Date()), \(cpuModel()), \(ProcessInfo.processInfo.activeProcessorCount) cores, wall clock, "
          + "best of \(samples) interleaved samples; vfc kernel \(kernel.mr)x\(kernel.nr), KC \(vfc_gemm_kc()), "
          + "MC \(vfc_gemm_mc()), NC \(vfc_gemm_nc()); OpenBLAS core \(String(cString: vfc_blas_core()))")
    let peakLoop = try FMAPeak.compile(vectorWidth: kernel.vectorWidth)
    var peak: [Int32: Double] = [1: 0, 2: 0]
    let samplePeaks = {
        for t in [Int32(1), 2] { peak[t] = max(peak[t]!, fmaPeak(peakLoop, vectorWidth: kernel.vectorWidth, threads: Int(t), samples: 2)) }
    }
    let steps = GemmShapes.selected(env)
    for (step, shapes) in steps {
        print("\n\(step) step: GFLOP/s by the busy time (by the wall clock); speedup = t(1T) / t(2T)")
        print(pad("shape", 24) + pad("calls", 6) + pad("kernel", 9) + configs.map { pad($0.name, 17) }.joined()
              + configs.dropFirst().map { pad("x " + $0.name.dropFirst(3), 14) }.joined() + "tiles: static grid")
        // Per clock (0: busy, 1: wall), per configuration: seconds per step, overall and by class.
        var total = [[Double]](repeating: [Double](repeating: 0, count: configs.count), count: 2)
        var classes: [String: [[Double]]] = [:]
        var splitExcess = [0.0, 0.0], splitWeight = 0.0  // weighted by the 1-thread busy time
        for s in shapes {
            let (wall, busy) = scalingSample(s, samples: samples, between: samplePeaks)
            let generated = vfc_gemm_uses_generated(s.ta ? 1 : 0, s.tb ? 1 : 0, Int32(s.m), Int32(s.n), Int32(s.k)) != 0
            var line = pad(s.label, 24) + pad("\(s.calls)", 6) + pad(generated ? "vfc" : "openblas", 9)
            for i in configs.indices { line += pad(String(format: "%.1f (%.1f)", s.flops / busy[i] / 1e9, s.flops / wall[i] / 1e9), 17) }
            let excess = [VFC_GEMM_STATIC, VFC_GEMM_GRID].map { generated ? vfc_gemm_split_excess(Int32(s.m), Int32(s.n), 2, $0) : .nan }
            print(line + configs.indices.dropFirst().map { pad(String(format: "%.2f (%.2f)", busy[0] / busy[$0], wall[0] / wall[$0]), 14) }.joined()
                  + String(format: "%.3f %.3f", excess[0], excess[1]))
            if generated {
                for i in excess.indices { splitExcess[i] += excess[i] * busy[0] * Double(s.calls) }
                splitWeight += busy[0] * Double(s.calls)
            }
            let key = "\(s.ta ? "A^T" : "A")\(s.tb ? " B^T" : " B") K\(s.k >= 1024 ? ">=" : "<")1024"
            var c = classes[key] ?? total.map { $0.map { _ in 0 } }
            for (clock, times) in [busy, wall].enumerated() {
                for i in times.indices {
                    total[clock][i] += times[i] * Double(s.calls)
                    c[clock][i] += times[i] * Double(s.calls)
                }
            }
            classes[key] = c
        }
        let flops = shapes.map { $0.flops * Double($0.calls) }.reduce(0, +)
        print(String(format: "FMA peak so far (wall clock): 1T %.1f, 2T %.1f GFLOP/s", peak[1]!, peak[2]!))
        for (clock, name) in ["busy", "wall"].enumerated() {
            var line = "\(step) products, time-weighted, \(name): "
            for (i, c) in configs.enumerated() {
                let rate = flops / total[clock][i] / 1e9
                // Of the threads' count times the 1-thread FMA peak (the 2-thread peak by the wall
                // clock is only as good as the machine is quiet).
                let reference = peak[1]! * Double(c.threads)
                line += String(format: "%@ %.1f ms = %.1f GFLOP/s (%.0f%% of %.0f); ", c.name, total[clock][i] * 1e3, rate,
                               100 * rate / reference, reference)
            }
            print(line + "speedup " + configs.indices.dropFirst().map { String(format: "%@ %.2f", configs[$0].name, total[clock][0] / total[clock][$0]) }.joined(separator: ", "))
        }
        print(String(format: "split excess by tiles, vfc's kernel, weighted by 1T time: static %.3f, grid %.3f", splitExcess[0] / splitWeight, splitExcess[1] / splitWeight))
        for (key, c) in classes.sorted(by: { $0.key < $1.key }) {
            print("  " + pad(key, 16) + "speedup busy (wall): "
                  + configs.indices.dropFirst().map { String(format: "%@ %.2f (%.2f)", configs[$0].name, c[0][0] / c[0][$0], c[1][0] / c[1][$0]) }.joined(separator: ", ")
                  + String(format: "; %.1f ms of %.1f at 1T (busy)", c[0][0] * 1e3, total[0][0] * 1e3))
        }
    }
    _ = vfc_set_num_threads(2)
    vfc_gemm_set_schedule(VFC_GEMM_CLAIMED)
}

/// The best wall and busy times of one vfc_sgemm call of `s` in each configuration over
/// `samples` interleaved rounds; stops the run if the configurations' results differ in any bit.
private func scalingSample(_ s: GemmShape, samples: Int, between: () -> Void) -> (wall: [Double], busy: [Double]) {
    let a = buffer(s.m * s.k, 1).assumingMemoryBound(to: Float.self)
    let b = buffer(s.k * s.n, 2).assumingMemoryBound(to: Float.self)
    let cs = configs.map { _ in UnsafeMutablePointer<Float>.allocate(capacity: s.m * s.n) }
    defer { a.deallocate(); b.deallocate(); cs.forEach { $0.deallocate() } }
    let lda = Int32(s.ta ? s.m : s.k), ldb = Int32(s.tb ? s.k : s.n)
    let (ta, tb) = (Int32(s.ta ? 1 : 0), Int32(s.tb ? 1 : 0))
    let reps = max(1, min(200, Int(3e-3 * 50e9 / s.flops)))
    var wall = [Double](repeating: .infinity, count: configs.count), busy = wall
    for sample in -1..<samples {
        between()
        for (i, c) in configs.enumerated() {
            _ = vfc_set_num_threads(c.threads)
            vfc_gemm_set_schedule(c.schedule)
            vfc_pool_set_accounting(1)
            let t0 = wallNow()
            for _ in 0..<reps { vfc_sgemm(ta, tb, Int32(s.m), Int32(s.n), Int32(s.k), a, lda, b, ldb, cs[i], Int32(s.n)) }
            let dt = wallNow() - t0
            let busiest = (0..<Int32(c.threads)).map { vfc_pool_busy_ns($0) }.max()!
            vfc_pool_set_accounting(0)
            if sample >= 0 {
                wall[i] = min(wall[i], dt / Double(reps))
                busy[i] = min(busy[i], Double(busiest) * 1e-9 / Double(reps))
            }
        }
    }
    for i in 1..<configs.count where memcmp(cs[0], cs[i], s.m * s.n * 4) != 0 {
        fatalError("\(s.label): \(configs[i].name) differs from \(configs[0].name)")
    }
    return (wall, busy)
}
