import CBLAS
import Foundation
import VFCCodegen
import VFCIR
import VFCPasses
import VFCRuntime

/// The ViT block of IR/vit_block.ir at width `width` (128: micro, 4 heads of 32, MLP 512;
/// 192: tiny, 3 heads of 64, MLP 768), with its generated backward pass `@block.vjp`.
func vitBlockModule(width: Int) throws -> Module {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    var text = try String(contentsOf: root.appendingPathComponent("IR/vit_block.ir"), encoding: .utf8)
    if width == 192 {
        for (a, b) in [("[N, T, 3, 4, 32]", "[N, T, 3, 3, 64]"), ("[N, 4, T, 32]", "[N, 3, T, 64]"),
                       ("0.17677669529663687", "0.125"), ("384", "576"), ("512", "768"), ("128", "192")] {
            text = text.replacingOccurrences(of: a, with: b)
        }
    }
    var module = try Parser.parse(text, file: "vit_block_\(width).ir")
    try Verifier.run(&module)
    module.functions.append(try Autodiff.gradientFunction(
        of: "block", in: module, wrt: [.argument(0), .allParams], seed: .cotangents, name: "block.vjp"))
    try Verifier.run(&module)
    return module
}

/// Forward (`@block`) and forward+backward (`@block.vjp`) of the block, fused (the default
/// pipeline) and unfused (the fuse-* passes disabled), compiled and timed in the same run.
func vitBlockBenchmark(quick: Bool, repeats: Int) throws {
    let unfused = PassManager(passes: try PassRegistry.standard.removing(
        PassRegistry.fusionPasses, from: PassRegistry.standard.parsePipeline(PassRegistry.codegenPipeline)))
    print("")
    print("ViT block (N sequences of T = 65 tokens), medians of \(repeats) runs; fused vs --disable-passes=fuse-*")
    print("width  N  function     threads  kernels f/u   MB moved f/u     fused ms   unfused ms  speedup")
    for width in [128, 192] {
        let module = try vitBlockModule(width: width)
        let n = quick ? 2 : 8
        let options = CodegenOptions(bindings: ["N": n, "T": 65])
        let fused = try JITModule(module: module, functions: ["block", "block.vjp"], options: options)
        let plain = try JITModule(module: module, functions: ["block", "block.vjp"], options: options, passManager: unfused)
        let fusedStats = try LoweredModule(module: module, functions: ["block", "block.vjp"], options: options).stats
        let plainStats = try LoweredModule(module: module, functions: ["block", "block.vjp"], options: options, passManager: unfused).stats
        for (k, function) in ["block", "block.vjp"].enumerated() {
            guard let entry = fused.entries.first(where: { $0.function == function }) else { continue }
            let buffers = entry.buffers.enumerated().map { i, b in buffer(Swift.max(b.count, 1), 100 + i) }
            defer { for b in buffers { b.deallocate() } }
            for threads in [1, 2] {
                _ = vfc_set_num_threads(Int32(threads))
                openblas_set_num_threads(Int32(threads))
                // Interleaved, so both see the same machine load.
                let tf = try seconds { try fused.call(function: function, buffers: buffers) }
                let tu = try seconds { try plain.call(function: function, buffers: buffers) }
                let (fs, us) = (fusedStats[k], plainStats[k])
                print(pad("\(width)", 6) + pad(" \(n)", 3) + pad(" @" + function, 13) + String(format: " %7d", threads)
                      + pad(String(format: "  %4d/%-4d", fs.kernels, us.kernels), 13)
                      + pad(String(format: "  %6.2f/%-6.2f", Double(fs.bytesMoved) / 1e6, Double(us.bytesMoved) / 1e6), 17)
                      + String(format: " %9.3f   %9.3f   %5.2f x", tf * 1e3, tu * 1e3, tu / tf))
            }
        }
    }
}
