// vfc-bench gemm [--quick] (VFC_BENCH_THREADS=1,2, VFC_BENCH_STEPS=micro,tiny, VFC_BENCH_SHAPES=N, VFC_BENCH_CLOCK=cpu): every unbatched f32 product of the micro and tiny training steps (the
// vfc_sgemm calls `vfc step --profile` lists) timed on each candidate in the same run:
// - openblas: OpenBLAS's cblas_sgemm split over the vfc pool (vfc_sgemm's library path);
// - onednn: oneDNN's dnnl_sgemm (libdnnl.so.2, loaded with dlopen when present; its OpenMP
//   threads set to the same count);
// - vfc: vfc's generated kernel (GemmKernel + gemm.c);
// next to the machine's FMA peak, measured by a generated loop of independent vector FMAs
// (FMAPeak) on 1 thread and on the pool's threads at once.
// Samples of the candidates are interleaved (one sample of each in turn) so that load from
// other processes falls on all of them alike; each figure is the best sample (the machine
// is shared: the median mostly measures the other processes).
import CBLAS
import Foundation
import VFCCodegen
import VFCRuntime

/// One product shape of a step: C[m, n] = op(A) op(B), `calls` per training step.
struct GemmShape {
    var m, n, k: Int
    var ta, tb: Bool
    var calls: Int
    init(_ m: Int, _ n: Int, _ k: Int, ta: Bool, tb: Bool, calls: Int) {
        (self.m, self.n, self.k, self.ta, self.tb, self.calls) = (m, n, k, ta, tb, calls)
    }
    var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    var label: String { "\(m)x\(n)x\(k)\(ta ? " A^T" : "")\(tb ? " B^T" : "")" }
}

/// dnnl_sgemm from libdnnl.so.2 and omp_set_num_threads from its OpenMP runtime, or nil.
struct OneDNN {
    typealias Sgemm = @convention(c) (CChar, CChar, Int64, Int64, Int64, Float, UnsafePointer<Float>?, Int64,
                                      UnsafePointer<Float>?, Int64, Float, UnsafeMutablePointer<Float>?, Int64) -> Int32
    typealias SetThreads = @convention(c) (Int32) -> Void
    let sgemm: Sgemm
    let setThreads: SetThreads?

    static func load() -> OneDNN? {
        // Its OpenMP threads sleep between calls instead of spinning against the vfc pool's
        // (read when libgomp loads, with libdnnl).
        setenv("OMP_WAIT_POLICY", "PASSIVE", 0)
        guard let lib = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL), let f = dlsym(lib, "dnnl_sgemm") else { return nil }
        let omp = dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD).flatMap { dlsym($0, "omp_set_num_threads") }
        return OneDNN(sgemm: unsafeBitCast(f, to: Sgemm.self), setThreads: omp.map { unsafeBitCast($0, to: SetThreads.self) })
    }
}

/// VFC_BENCH_CLOCK=cpu times the products by the process's CPU time divided by the thread
/// count instead of the wall clock: on a shared machine, time spent preempted by other
/// processes then does not count (cache lines they evict still do). The FMA peak is timed
/// by the same clock.
private let cpuClock = ProcessInfo.processInfo.environment["VFC_BENCH_CLOCK"] == "cpu"

func now() -> Double {
    var t = timespec()
    if cpuClock {
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return (Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9) / Double(vfc_num_threads())
    }
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// The FMA peak in GFLOP/s on `threads` threads of the pool at once (each runs the loop).
func fmaPeak(_ loop: FMAPeak.Loop, vectorWidth: Int, threads: Int, samples: Int) -> Double {
    _ = vfc_set_num_threads(Int32(threads))
    let iterations: Int64 = 1_000_000
    var best = 0.0
    final class Box { var loop: FMAPeak.Loop; var iterations: Int64; var sink: Float = 0; init(_ l: @escaping FMAPeak.Loop, _ i: Int64) { loop = l; iterations = i } }
    let box = Box(loop, iterations)
    let body: vfc_loop_body = { context, lo, hi in
        let box = Unmanaged<Box>.fromOpaque(context!).takeUnretainedValue()
        for _ in lo..<hi { box.sink += box.loop(box.iterations, 0.999, 0.001) }
    }
    let context = Unmanaged.passUnretained(box).toOpaque()
    for _ in 0..<samples {
        let t0 = now()
        vfc_parallel_for(0, Int64(threads), body, context)
        let dt = now() - t0
        best = max(best, Double(threads) * Double(iterations) * Double(FMAPeak.flopsPerIteration(vectorWidth: vectorWidth)) / dt / 1e9)
    }
    return best
}

/// The BLAS set up and vfc's GEMM kernel installed for this host; nil, after saying so with
/// `consequence`, where the host has no kernel (no AVX2 with FMA or AVX-512).
func installHostGemmKernel(consequence: String) -> GemmKernel? {
    _ = vfc_blas_setup()
    guard let kernel = GemmKernel.installForHost() else {
        print("no vfc GEMM kernel for this host (needs AVX2 with FMA or AVX-512): \(consequence)")
        return nil
    }
    return kernel
}

func gemmBenchmark(quick: Bool) throws {
    let env = ProcessInfo.processInfo.environment
    guard let kernel = installHostGemmKernel(consequence: "nothing to compare") else { return }
    let dnnl = OneDNN.load()
    let threadCounts = (env["VFC_BENCH_THREADS"] ?? "1,2").split(separator: ",").compactMap { Int($0) }
    let samples = quick ? 5 : 9
    print("vfc gemm benchmark, \(Date()), \(cpuModel()), \(ProcessInfo.processInfo.activeProcessorCount) cores, "
          + "clock: \(cpuClock ? "process CPU time / threads" : "wall")")
    print("OpenBLAS core: \(String(cString: vfc_blas_core())), OPENBLAS_CORETYPE=\(env["OPENBLAS_CORETYPE"] ?? "unset"); "
          + "vfc kernel \(kernel.mr)x\(kernel.nr) <\(kernel.vectorWidth) x float>, KC \(vfc_gemm_kc()), MC \(vfc_gemm_mc()), NC \(vfc_gemm_nc()); "
          + "oneDNN: \(dnnl == nil ? "not found (apt install libdnnl-dev)" : "libdnnl.so.2")")
    let peakLoop = try FMAPeak.compile(vectorWidth: kernel.vectorWidth)
    var peak: [Int: Double] = [:]
    for t in threadCounts {
        peak[t] = fmaPeak(peakLoop, vectorWidth: kernel.vectorWidth, threads: t, samples: 8 * samples)
        print(String(format: "FMA peak, %d thread(s): %.1f GFLOP/s (<%d x float> FMA loop, best of %d)", t, peak[t]!, kernel.vectorWidth, 8 * samples))
    }
    let steps = GemmShapes.selected(env)
    let names = ["openblas", "onednn", "vfc"]
    var results: [(step: String, threads: Int, shape: GemmShape, best: [Double], worst: Float)] = []
    for (step, shapes) in steps {
        for t in threadCounts {
            _ = vfc_set_num_threads(Int32(t))
            dnnl?.setThreads?(Int32(t))
            for s in shapes {
                let (best, worst) = measure(s, dnnl: dnnl, samples: samples) {
                    // The peak is sampled between the products too: the best of the whole run.
                    peak[t] = max(peak[t]!, fmaPeak(peakLoop, vectorWidth: kernel.vectorWidth, threads: t, samples: 1))
                }
                results.append((step, t, s, best, worst))
            }
        }
    }
    for t in threadCounts { print(String(format: "FMA peak, %d thread(s), best over the run: %.1f GFLOP/s", t, peak[t]!)) }
    for (step, shapes) in steps {
        for t in threadCounts {
            let peakT = peak[t]!
            print("\n\(step) step, \(t) thread(s): GFLOP/s (% of the FMA peak), best of \(samples) interleaved samples")
            print(pad("shape", 24) + pad("calls", 7) + names.map { pad($0, 16) }.joined() + "best    vfc speedup   max|vfc-openblas|")
            var stepTime = [Double](repeating: 0, count: names.count + 1)  // + best library
            for r in results where r.step == step && r.threads == t {
                let s = r.shape
                var line = pad(s.label, 24) + pad("\(s.calls)", 7)
                for m in r.best {
                    let rate: Double = s.flops / m / 1e9
                    line += pad(m.isNaN ? "-" : String(format: "%.1f (%.0f%%)", rate, 100 * rate / peakT), 16)
                }
                let winner = r.best.enumerated().filter { !$0.element.isNaN }.min { $0.element < $1.element }!.offset
                line += pad(names[winner], 8) + pad(String(format: "%.2f", r.best[0] / r.best[2]), 14) + String(format: "%.2g", r.worst)
                print(line)
                for i in 0..<names.count where !r.best[i].isNaN { stepTime[i] += r.best[i] * Double(s.calls) }
                stepTime[names.count] += min(r.best[0], r.best[1].isNaN ? .infinity : r.best[1]) * Double(s.calls)
            }
            let flops = shapes.map { $0.flops * Double($0.calls) }.reduce(0, +)
            var totals: [String] = []
            for (name, time) in zip(names + ["best library"], stepTime) where time > 0 {
                let rate: Double = flops / time / 1e9
                totals.append(name + String(format: " %.1f ms = %.1f GFLOP/s (%.0f%% of peak)", time * 1e3, rate, 100 * rate / peakT))
            }
            print("step total (time-weighted): " + totals.joined(separator: "; "))
        }
    }
    // By shape class (transposes, K below or from 1024): vfc's time against OpenBLAS's,
    // summed over the shapes of both steps weighted by calls.
    print("\nvfc / openblas time by class (both steps, weighted by calls; < 1: vfc faster)")
    for t in threadCounts {
        var classes: [String: (vfc: Double, openblas: Double, shapes: Int)] = [:]
        for r in results where r.threads == t {
            let key = "\(r.shape.ta ? "A^T" : "A")\(r.shape.tb ? " B^T" : " B") K\(r.shape.k >= 1024 ? ">=" : "<")1024"
            var c = classes[key] ?? (0, 0, 0)
            c.vfc += r.best[2] * Double(r.shape.calls)
            c.openblas += r.best[0] * Double(r.shape.calls)
            c.shapes += 1
            classes[key] = c
        }
        for (key, c) in classes.sorted(by: { $0.key < $1.key }) {
            print(String(format: "  %d thread(s) ", t) + pad(key, 16) + String(format: "%.2f  (%d shapes)", c.vfc / c.openblas, c.shapes))
        }
    }
}

/// The best time of one call of each candidate (openblas, onednn, vfc; NaN where absent)
/// over `samples` interleaved rounds, `between` run before each round, and the largest
/// difference of vfc's result from OpenBLAS's.
private func measure(_ s: GemmShape, dnnl: OneDNN?, samples: Int, between: () -> Void) -> ([Double], Float) {
    let a = buffer(s.m * s.k, 1).assumingMemoryBound(to: Float.self)
    let b = buffer(s.k * s.n, 2).assumingMemoryBound(to: Float.self)
    let cs = (0..<3).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: s.m * s.n) }
    defer { a.deallocate(); b.deallocate(); cs.forEach { $0.deallocate() } }
    let lda = Int32(s.ta ? s.m : s.k), ldb = Int32(s.tb ? s.k : s.n)
    let (ta, tb) = (Int32(s.ta ? 1 : 0), Int32(s.tb ? 1 : 0))
    let (m, n, k) = (Int32(s.m), Int32(s.n), Int32(s.k))
    let openblas: () -> Void = { vfc_gemm_openblas(ta, tb, m, n, k, a, lda, b, ldb, cs[0], n) }
    let generated: () -> Void = { vfc_gemm_generated(ta, tb, m, n, k, a, lda, b, ldb, cs[2], n) }
    var onednn: (() -> Void)?
    if let d = dnnl {
        let (da, db): (CChar, CChar) = (s.ta ? 84 : 78, s.tb ? 84 : 78)  // 'T' or 'N'
        onednn = {
            let status = d.sgemm(da, db, Int64(m), Int64(n), Int64(k), 1, a, Int64(lda), b, Int64(ldb), 0, cs[1], Int64(n))
            precondition(status == 0, "dnnl_sgemm failed with status \(status) at \(s.label)")
        }
    }
    let runs: [(() -> Void)?] = [openblas, onednn, generated]
    // Calls per sample: about 3 ms of work at 50 GFLOP/s.
    let reps = max(1, min(200, Int(3e-3 * 50e9 / s.flops)))
    var times = [[Double]](repeating: [], count: runs.count)
    for sample in -1..<samples {
        between()
        for (i, run) in runs.enumerated() {
            guard let run else { continue }
            let t0 = now()
            for _ in 0..<reps { run() }
            if sample >= 0 { times[i].append((now() - t0) / Double(reps)) }
        }
    }
    var worst: Float = 0
    for i in 0..<(s.m * s.n) { worst = max(worst, abs(cs[2][i] - cs[0][i])) }
    return (times.map { $0.isEmpty ? Double.nan : $0.min()! }, worst)
}
