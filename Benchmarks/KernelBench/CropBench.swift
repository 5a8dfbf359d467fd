import CBLAS
import Foundation
import VFCCodegen
import VFCIR
import VFCPasses
import VFCRuntime

/// crop_sample_add alone (`@csa`, the forward) and its forward+backward (`@csa.vjp`: the
/// result and the gradients of x, the field and both mask tokens for a given cotangent),
/// at the student global views of a batch: N = B * Vg views of grid^2 patches, width D,
/// an Fs x Fs field on an S x S source (method.md's micro and tiny sizes).
func cropModule(views n: Int, grid: Int, depth: Int, field: Int, source: Int) throws -> Module {
    let t = grid * grid
    let text = """
        func @csa(%x: f32[\(n), \(t), \(depth)], %field: f32[\(field), \(field), \(depth)], %boxes: f32[\(n), 4], %flips: u8[\(n)], %mc: u8[\(n), \(t)], %mt: f32[\(depth)], %mp: u8[\(n), \(t)], %pt: f32[\(depth)]) -> f32[\(n), \(t), \(depth)] {
          %z = crop_sample_add %x, %field, %boxes, %flips, %mc, %mt, %mp, %pt {grid = \(grid), source = \(source)}
          return %z
        }
        """
    var module = try Parser.parse(text, file: "crop_\(grid)_\(depth).ir")
    try Verifier.run(&module)
    module.functions.append(try Autodiff.gradientFunction(
        of: "csa", in: module, wrt: [0, 1, 5, 7].map { .argument($0) }, seed: .cotangents, name: "csa.vjp"))
    try Verifier.run(&module)
    return module
}

/// Inputs like a training batch's: boxes as RandomResizedCrop draws them (a quarter to all
/// of the source), flips and position masks (a quarter of the patches) at random, content
/// masks on half of the views; floats from `buffer`'s pattern.
func cropBuffers(_ entry: EntryPoint, source: Int) -> [UnsafeMutableRawPointer] {
    // A fixed LCG: the same boxes and masks in every run.
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53)
    }
    return entry.buffers.enumerated().map { i, b in
        let count = Swift.max(b.count, 1)
        let p = buffer(count, 100 + i)
        switch b.name {
        case "boxes":
            let f = p.bindMemory(to: Float.self, capacity: count)
            let s = Double(source)
            for v in 0..<(count / 4) {
                let side = s * (0.5 + 0.5 * next()), aspect = 0.75 + 0.5 * next()
                let w = Swift.min(s, side * aspect.squareRoot()), h = Swift.min(s, side / aspect.squareRoot())
                let box = [(s - w) * next(), (s - h) * next(), w, h]
                for k in 0..<4 { f[4 * v + k] = Float(box[k].rounded()) }
            }
        case "flips", "mc", "mp":
            let u = p.bindMemory(to: UInt8.self, capacity: count)
            let ratio = b.name == "mp" ? 0.25 : 0.5
            for k in 0..<count { u[k] = next() < ratio ? 1 : 0 }
        default:
            break
        }
        return p
    }
}

/// The forward and forward+backward of crop_sample_add, fused (the default pipeline) and
/// unfused (`--disable-passes=fuse-crop-sample`), compiled and timed in the same run,
/// interleaved so both see the same machine load.
func cropBenchmark(quick: Bool, repeats: Int) throws {
    let unfused = PassManager(passes: try PassRegistry.standard.removing(
        [FuseCropSamplePass.name], from: PassRegistry.standard.parsePipeline(PassRegistry.codegenPipeline)))
    print("")
    print("crop_sample_add forward (@csa) and forward+backward (@csa.vjp), medians of \(repeats) runs; fused vs --disable-passes=fuse-crop-sample")
    print("size   N   T   D   Fs   function   threads  kernels f/u   MB moved f/u      fused ms   unfused ms  speedup")
    // micro: B = 16 images x Vg = 2 global views of 64 px, patch 8; tiny: 8 x 2 views of 224 px, patch 16.
    let sizes: [(String, Int, Int, Int, Int, Int)] = [("micro", 32, 8, 128, 64, 64), ("tiny", 16, 14, 192, 224, 224)]
    for (label, n, grid, depth, field, source) in sizes where !(quick && label == "tiny") {
        let module = try cropModule(views: n, grid: grid, depth: depth, field: field, source: source)
        let functions = ["csa", "csa.vjp"]
        let options = CodegenOptions(bindings: [:])
        let fused = try JITModule(module: module, functions: functions, options: options)
        let plain = try JITModule(module: module, functions: functions, options: options, passManager: unfused)
        let fusedStats = try LoweredModule(module: module, functions: functions, options: options).stats
        let plainStats = try LoweredModule(module: module, functions: functions, options: options, passManager: unfused).stats
        for (k, function) in functions.enumerated() {
            guard let entry = fused.entries.first(where: { $0.function == function }) else { continue }
            let buffers = cropBuffers(entry, source: source)
            defer { for b in buffers { b.deallocate() } }
            for threads in [1, 2] {
                _ = vfc_set_num_threads(Int32(threads))
                openblas_set_num_threads(Int32(threads))
                let tu = try seconds { try plain.call(function: function, buffers: buffers) }
                let tf = try seconds { try fused.call(function: function, buffers: buffers) }
                let (fs, us) = (fusedStats[k], plainStats[k])
                print(pad(label, 6) + String(format: " %3d %3d %3d %4d  ", n, grid * grid, depth, field) + pad(" @" + function, 11)
                      + String(format: " %7d", threads)
                      + pad(String(format: "  %4d/%-4d", fs.kernels, us.kernels), 13)
                      + pad(String(format: "  %6.2f/%-6.2f", Double(fs.bytesMoved) / 1e6, Double(us.bytesMoved) / 1e6), 18)
                      + String(format: " %9.3f   %9.3f   %5.2f x", tf * 1e3, tu * 1e3, tu / tf))
            }
        }
    }
}

/// Times @csa of the file named by VFC_CROP_PROBE (a development aid, not reported).
func cropProbe(_ path: String) throws {
    var module = try Parser.parse(try String(contentsOfFile: path, encoding: .utf8), file: path)
    try Verifier.run(&module)
    let unfused = PassManager(passes: try PassRegistry.standard.removing(
        [FuseCropSamplePass.name], from: PassRegistry.standard.parsePipeline(PassRegistry.codegenPipeline)))
    let plain = ProcessInfo.processInfo.environment["VFC_CROP_PROBE_UNFUSED"] != nil
    let jit = try JITModule(module: module, functions: ["csa"], options: CodegenOptions(bindings: [:]), passManager: plain ? unfused : nil)
    let entry = jit.entries.first { $0.function == "csa" }!
    let buffers = cropBuffers(entry, source: path.contains("tiny") ? 224 : 64)
    _ = vfc_set_num_threads(1)
    let clock = ContinuousClock()
    var times: [Double] = []
    let reps = Int(ProcessInfo.processInfo.environment["VFC_CROP_PROBE_REPS"] ?? "") ?? 200
    for _ in 0..<Swift.max(reps, 1) {
        let t0 = clock.now
        try jit.call(function: "csa", buffers: buffers)
        let d = clock.now - t0
        times.append(Double(d.components.attoseconds) * 1e-15 + Double(d.components.seconds) * 1e3)
    }
    times.sort()
    print(String(format: "%@: min %.3f ms, median %.3f ms", path, times[0], times[times.count / 2]))
}
