// vfc-bench: generated kernels against the memory and GEMM floors measured in the same run.
//
//   swift run -c release vfc-bench [--quick] [--vit] [--crop]
//   swift run -c release vfc-bench gemm [--quick]   (GemmBench.swift; VFC_BENCH_THREADS=1,2)
//   swift run -c release vfc-bench gemm-scaling [--quick]   (GemmScalingBench.swift: 1 -> 2 threads)
//   swift run -c release vfc-bench gemm-ab [--quick]   (GemmAbBench.swift: the kernel's tuning choices)
//   swift run -c release vfc-bench --epilogue [--quick]   (EpilogueBench.swift)
//
// --vit runs only the ViT block forward and forward+backward, fused against unfused
// (--disable-passes=fuse-*) in the same process (VitBench.swift); a full run ends with it.
// --crop runs only crop_sample_add forward and forward+backward at the micro and tiny
// sizes, fused against --disable-passes=fuse-crop-sample (CropBench.swift).
// VFC_CROP_PROBE=a.ir,b.ir (VFC_CROP_PROBE_UNFUSED=1 without fuse-crop-sample) times the
// @csa of each file, min and median of 200 calls on 1 thread: a development aid for
// trying variants of the crop kernel on a loaded machine.
//
// Bandwidth kernels (an elementwise chain, softmax, layer_norm) report GB/s of the bytes
// they must move (inputs read once, output written once) next to a memcpy moving the same
// number of bytes (copying half of them: each is read once and written once); matmul reports GFLOP/s next to calling cblas_sgemm directly on the same buffers (OpenBLAS's own threads, against vfc's split over its pool).
// Each figure is the median of repeated runs after warm-up, for 1 and 2 threads (both the
// vfc thread pool and OpenBLAS). The machine and OpenBLAS's kernel are printed first.
import CBLAS
import Foundation
import VFCCodegen
import VFCIR
import VFCRuntime

let quick = CommandLine.arguments.contains("--quick")

/// `text` padded with spaces to `width` (String(format:) cannot pad Swift strings).
func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: Swift.max(0, width - text.count)) }
let repeats = quick ? 5 : 15

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    for _ in 0..<2 { try body() }
    var times: [Double] = []
    for _ in 0..<repeats {
        let t0 = clock.now
        try body()
        let d = clock.now - t0
        times.append(Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
    }
    return times.sorted()[times.count / 2]
}

/// A 64-byte aligned float buffer filled with a deterministic pattern.
func buffer(_ count: Int, _ seed: Int) -> UnsafeMutableRawPointer {
    let p = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
    let f = p.bindMemory(to: Float.self, capacity: count)
    for i in 0..<count { f[i] = Float((i &* 2_654_435_761 &+ seed) % 1000) / 1000 - 0.5 }
    return p
}

func cpuModel() -> String {
    let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    return text.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":").last?
        .trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
}

if let probe = ProcessInfo.processInfo.environment["VFC_CROP_PROBE"] {
    for path in probe.split(separator: ",") { try cropProbe(String(path)) }
    exit(0)
}

if CommandLine.arguments.contains("--crop") {
    print("vfc crop_sample_add benchmark, \(Date()), \(cpuModel()), \(ProcessInfo.processInfo.activeProcessorCount) cores")
    try cropBenchmark(quick: quick, repeats: repeats)
    exit(0)
}

if CommandLine.arguments.contains("--epilogue") {
    print("vfc fused-epilogue benchmark, \(Date()), \(cpuModel()), \(ProcessInfo.processInfo.activeProcessorCount) cores")
    try epilogueBenchmark(quick: quick)
    exit(0)
}

if CommandLine.arguments.contains("gemm-ab") {
    try gemmAbBenchmark(quick: quick)
    exit(0)
}

if CommandLine.arguments.contains("gemm-scaling") {
    try gemmScalingBenchmark(quick: quick)
    exit(0)
}

if CommandLine.arguments.contains("gemm") {
    try gemmBenchmark(quick: quick)
    exit(0)
}

if CommandLine.arguments.contains("--vit") {
    print("vfc ViT block benchmark, \(Date()), \(cpuModel()), \(ProcessInfo.processInfo.activeProcessorCount) cores")
    print("OpenBLAS core: \(String(cString: openblas_get_corename())), OPENBLAS_CORETYPE=\(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset")")
    try vitBlockBenchmark(quick: quick, repeats: repeats)
    exit(0)
}

let rows = quick ? 1024 : 4096, cols = 1024
let source = """
    func @chain(%x: f32[R, C], %y: f32[R, C]) {
      %a = mul %x, %y
      %b = add %a, 0.5
      %c = gelu %b
      return %c
    }
    func @softmax(%x: f32[R, C]) {
      %s = softmax %x {axis = -1}
      return %s
    }
    func @layer_norm(%x: f32[R, C], %w: f32[C], %b: f32[C]) {
      %n = layer_norm %x, %w, %b {eps = 1e-6}
      return %n
    }
    func @matmul(%a: f32[M, M], %b: f32[M, M]) {
      %c = matmul %a, %b
      return %c
    }
    """
let m = quick ? 256 : 1024
var module = try Parser.parse(source, file: "bench.ir")
try Verifier.run(&module)
let jit = try JITModule(module: module, options: CodegenOptions(bindings: ["R": rows, "C": cols, "M": m]))

let x = buffer(rows * cols, 1), y = buffer(rows * cols, 2), out = buffer(rows * cols, 3)
let w = buffer(cols, 4), b = buffer(cols, 5)
let ma = buffer(m * m, 6), mb = buffer(m * m, 7), mc = buffer(m * m, 8)
let plane = rows * cols * 4
// memcpy scratch: a copy of n bytes moves 2n (read n, write n), like a kernel's traffic.
let scratchFrom = buffer(2 * rows * cols, 9), scratchTo = buffer(2 * rows * cols, 10)

print("vfc kernel benchmark, \(Date()), \(cpuModel()), \(ProcessInfo.processInfo.activeProcessorCount) cores")
print("OpenBLAS core: \(String(cString: openblas_get_corename())), OPENBLAS_CORETYPE=\(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset")")
print("JIT compile of the four kernels: \(String(format: "%.3f", jit.compileSeconds)) s")
print("")
print("kernel          threads   shape          vfc             baseline        ratio")
for threads in [1, 2] {
    _ = vfc_set_num_threads(Int32(threads))
    func bandwidth(_ name: String, _ bytes: Int, _ buffers: [UnsafeMutableRawPointer]) throws {
        let t = try seconds { try jit.call(function: name, buffers: buffers) }
        let base = seconds { memcpy(scratchTo, scratchFrom, bytes / 2) }
        let gbs = Double(bytes) / t / 1e9, baseGBs = Double(bytes) / base / 1e9
        print(pad(name, 15) + String(format: " %7d   ", threads) + pad("\(rows)x\(cols)", 13)
              + String(format: " %7.2f GB/s   %7.2f GB/s   %.2f x memcpy", gbs, baseGBs, gbs / baseGBs))
    }
    try bandwidth("chain", 3 * plane, [x, y, out])
    try bandwidth("softmax", 2 * plane, [x, out])
    try bandwidth("layer_norm", 2 * plane, [x, w, b, out])
    let flops = 2.0 * Double(m * m * m)
    let t = try seconds { try jit.call(function: "matmul", buffers: [ma, mb, mc]) }
    // The baseline is OpenBLAS threading itself; vfc's runtime keeps it at one thread and
    // splits the product over its own pool, so set it back afterwards.
    openblas_set_num_threads(Int32(threads))
    defer { openblas_set_num_threads(1) }
    let direct = seconds {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(m), blasint(m), 1,
                    ma.assumingMemoryBound(to: Float.self), blasint(m), mb.assumingMemoryBound(to: Float.self), blasint(m),
                    0, mc.assumingMemoryBound(to: Float.self), blasint(m))
    }
    print(pad("matmul", 15) + String(format: " %7d   ", threads) + pad("\(m)^3", 13)
          + String(format: " %7.1f GFLOP/s %7.1f GFLOP/s %.2f x sgemm", flops / t / 1e9, flops / direct / 1e9, direct / t))
}
try vitBlockBenchmark(quick: quick, repeats: repeats)
