// vfc-bench gemm-ab [--quick] (VFC_BENCH_STEPS, VFC_BENCH_SHAPES, VFC_BENCH_SAMPLES,
// VFC_BENCH_THREADS=2): the A/B of vfc's kernel's tuning choices at the step's product
// shapes, in one process: K cut into KC-deep blocks and a short remainder, or into blocks
// of equal depth (vfc_gemm_set_even_k_blocks); the microkernel without or with its
// prefetch of C's tile (GemmKernel.prefetchC); the last, partial column panel on the
// narrow kernel (GemmKernel.edge, the default) or the whole tile. Each sample times every variant in turn
// (wall clock, vfc_gemm_generated on the pool's threads, the default schedule); each
// figure is the best sample. Variants with the same K blocks must agree in every bit,
// and the others within 1e-5 of the largest |C| (a different summation order), or the run
// stops.
import Foundation
import VFCCodegen
import VFCRuntime

private struct GemmVariant {
    var name: String
    var evenK: Bool
    var kernel: vfc_gemm_microkernel
    var narrowEdge = true
}

func gemmAbBenchmark(quick: Bool) throws {
    let env = ProcessInfo.processInfo.environment
    guard let host = installHostGemmKernel(consequence: "nothing to measure") else { return }
    let samples = env["VFC_BENCH_SAMPLES"].flatMap { Int($0) } ?? (quick ? 5 : 9)
    let threads = env["VFC_BENCH_THREADS"].flatMap { Int32($0) } ?? 2
    var plain = host
    plain.prefetchC = false
    var prefetching = host
    prefetching.prefetchC = true
    let (without, with) = (try plain.compile(), try prefetching.compile())
    let variants = [GemmVariant(name: "KC blocks", evenK: false, kernel: without),
                    GemmVariant(name: "even K", evenK: true, kernel: without),
                    GemmVariant(name: "KC + pf C", evenK: false, kernel: with),
                    GemmVariant(name: "even + pf C", evenK: true, kernel: with),
                    GemmVariant(name: "even+pf, no narrow", evenK: true, kernel: with, narrowEdge: false)]
    let edge = try host.edge.map { (code: try $0.compile(), nr: Int32($0.nr)) }
    let peakLoop = try FMAPeak.compile(vectorWidth: host.vectorWidth)
    var peak = 0.0
    print("vfc gemm A/B, \(Date()), \(cpuModel()), \(threads) threads, wall clock, best of \(samples) interleaved samples; "
          + "vfc kernel \(host.mr)x\(host.nr), KC \(vfc_gemm_kc()), MC \(vfc_gemm_mc()), NC \(vfc_gemm_nc())")
    for (step, shapes) in GemmShapes.selected(env) {
        print("\n\(step) step: GFLOP/s (x the first)")
        print(pad("shape", 24) + pad("calls", 6) + variants.map { pad($0.name, 18) }.joined())
        var total = [Double](repeating: 0, count: variants.count), flops = 0.0
        for s in shapes {
            let best = abSample(s, variants, edge: edge, threads: threads, samples: samples, between: {
                peak = max(peak, fmaPeak(peakLoop, vectorWidth: host.vectorWidth, threads: Int(threads), samples: 1))
            })
            print(pad(s.label, 24) + pad("\(s.calls)", 6)
                  + best.map { pad(String(format: "%.1f (%.3f)", s.flops / $0 / 1e9, best[0] / $0), 18) }.joined())
            for i in total.indices { total[i] += best[i] * Double(s.calls) }
            flops += s.flops * Double(s.calls)
        }
        print("\(step), time-weighted: " + variants.indices.map {
            String(format: "%@ %.1f GFLOP/s (%.1f%% of %.1f, x%.3f)", variants[$0].name, flops / total[$0] / 1e9,
                   100 * flops / total[$0] / 1e9 / peak, peak, total[0] / total[$0])
        }.joined(separator: "; "))
    }
    vfc_gemm_install(with, Int32(host.mr), Int32(host.nr))
    if let edge { vfc_gemm_install_edge(edge.code, edge.nr) }
    vfc_gemm_set_even_k_blocks(1)
}

private func abSample(_ s: GemmShape, _ variants: [GemmVariant], edge: (code: vfc_gemm_microkernel, nr: Int32)?,
                      threads: Int32, samples: Int, between: () -> Void) -> [Double] {
    var mr: Int32 = 0, nr: Int32 = 0
    _ = vfc_gemm_installed(&mr, &nr)
    let a = buffer(s.m * s.k, 1).assumingMemoryBound(to: Float.self)
    let b = buffer(s.k * s.n, 2).assumingMemoryBound(to: Float.self)
    let cs = variants.map { _ in UnsafeMutablePointer<Float>.allocate(capacity: s.m * s.n) }
    defer { a.deallocate(); b.deallocate(); cs.forEach { $0.deallocate() } }
    let lda = Int32(s.ta ? s.m : s.k), ldb = Int32(s.tb ? s.k : s.n)
    let reps = max(1, min(100, Int(3e-3 * 100e9 / s.flops)))
    var best = [Double](repeating: .infinity, count: variants.count)
    for sample in -1..<samples {
        between()
        _ = vfc_set_num_threads(threads)
        for (i, v) in variants.enumerated() {
            vfc_gemm_install(v.kernel, mr, nr)
            vfc_gemm_install_edge(v.narrowEdge ? edge?.code : nil, edge?.nr ?? 0)
            vfc_gemm_set_even_k_blocks(v.evenK ? 1 : 0)
            let t0 = now()
            for _ in 0..<reps {
                vfc_gemm_generated(s.ta ? 1 : 0, s.tb ? 1 : 0, Int32(s.m), Int32(s.n), Int32(s.k), a, lda, b, ldb, cs[i], Int32(s.n))
            }
            if sample >= 0 { best[i] = min(best[i], (now() - t0) / Double(reps)) }
        }
    }
    let count = s.m * s.n
    let scale = (0..<count).reduce(Float(0)) { max($0, abs(cs[0][$1])) }
    for (i, v) in variants.enumerated() {
        let reference = variants.firstIndex { $0.evenK == v.evenK }!
        if reference != i && memcmp(cs[reference], cs[i], count * 4) != 0 {
            fatalError("\(s.label): \(v.name) differs from \(variants[reference].name) in some bit")
        }
        let worst = (0..<count).reduce(Float(0)) { max($0, abs(cs[i][$1] - cs[0][$1])) }
        if worst > 1e-5 * scale { fatalError("\(s.label): \(v.name) is \(worst) from \(variants[0].name) (|C| up to \(scale))") }
    }
    return best
}
