// swift-tools-version: 6.0
// vfc: a tensor compiler for the crop-tied vector-field ViT (see ../shared/docs/method.md).
import PackageDescription

let package = Package(
    name: "vfc",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vfc", targets: ["vfc"]),
        .library(name: "VFCIR", targets: ["VFCIR"]),
        .library(name: "VFCData", targets: ["VFCData"]),
        .library(name: "VFCRun", targets: ["VFCRun"]),
        .library(name: "VFCPlot", targets: ["VFCPlot"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // The IR: types, ops, text format, diagnostics, verifier and shape inference.
        .target(name: "VFCIR"),
        // Host tensors (64-byte aligned), safetensors I/O, deterministic RNG.
        .target(name: "VFCTensor", dependencies: ["VFCIR"]),
        // The reference interpreter: the semantic oracle for every backend.
        .target(name: "VFCInterpreter", dependencies: ["VFCIR", "VFCTensor"]),
        // Pass manager, registry and the IR-to-IR passes.
        .target(name: "VFCPasses", dependencies: ["VFCIR"]),
        // Finite-difference checks of the autodiff pass on the interpreter (vfc gradcheck).
        .target(name: "VFCGradCheck", dependencies: ["VFCIR", "VFCTensor", "VFCInterpreter", "VFCPasses"]),
        // LLVM-C 19 and OpenBLAS's CBLAS as Clang modules (headers only, linked by name).
        .target(name: "CLLVM"),
        .target(name: "CBLAS"),
        // libjpeg-turbo (TurboJPEG API) and libpng (simplified png_image_* API), the same way.
        .target(name: "CTurboJPEG"),
        .target(name: "CPNG"),
        // Open MPI's collectives behind plain C functions (MPI's handles are macros Swift
        // cannot import): data-parallel training under mpirun (docs/distributed.md).
        .target(name: "CMPI"),
        // The data pipeline: image folders, views and masks of method.md section 1, batches
        // in section 7's layout, a background prefetcher, the synthetic shapes dataset.
        .target(name: "VFCData", dependencies: ["VFCIR", "VFCTensor", "CTurboJPEG", "CPNG"]),
        // What generated code calls: thread pool, parallel-for, aligned buffers (C, so that
        // `vfc compile` objects can link it without Swift).
        .target(name: "VFCRuntime", linkerSettings: [.linkedLibrary("pthread"), .linkedLibrary("openblas")]),
        // LLVM lowering, ORC JIT and ahead-of-time objects.
        .target(name: "VFCCodegen", dependencies: ["VFCIR", "VFCTensor", "VFCPasses", "CLLVM", "CBLAS", "VFCRuntime"]),
        // The run directory of `vfc train`: metrics.jsonl, TensorBoard event files, atomic
        // checkpoints, the run lock. No dependencies beyond VFCTensor: CRCs and protobuf
        // are written out here.
        .target(name: "VFCRun", dependencies: ["VFCIR", "VFCTensor"]),
        // The loss-curve plots of `vfc plot`: figure, axes, bitmap font, SVG and raster
        // renderers; PNGs through VFCData's libpng encoder.
        .target(name: "VFCPlot", dependencies: ["VFCRun", "VFCData"]),
        // Training: one step of a module's train_step on a state and a batch (vfc step, init).
        .target(name: "VFCTrain", dependencies: ["VFCIR", "VFCTensor", "VFCInterpreter", "VFCPasses", "VFCCodegen", "VFCData", "VFCRun", "CMPI", "VFCEval"]),
        // Frozen-feature probes of a trained backbone (vfc eval): kNN, linear, position; the
        // trainable heads are generated IR, differentiated and JIT-compiled by vfc itself.
        .target(name: "VFCEval", dependencies: ["VFCIR", "VFCTensor", "VFCPasses", "VFCCodegen", "VFCData"]),
        .executableTarget(
            name: "vfc",
            dependencies: [
                "VFCIR", "VFCTensor", "VFCInterpreter", "VFCPasses", "VFCGradCheck", "VFCCodegen", "VFCTrain", "VFCData", "VFCRun", "VFCPlot", "VFCRuntime", "VFCEval",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Kernel benchmarks of generated code against memcpy and direct sgemm (Benchmarks/).
        .executableTarget(
            name: "vfc-bench", dependencies: ["VFCIR", "VFCPasses", "VFCCodegen", "CBLAS", "VFCRuntime"],
            path: "Benchmarks/KernelBench"),
        // What the test targets share: temporary directories, repository files, parsed
        // and verified modules, subprocesses.
        .target(name: "VFCTestSupport", dependencies: ["VFCIR"], path: "Tests/VFCTestSupport"),
        .testTarget(name: "VFCIRTests", dependencies: ["VFCTestSupport", "VFCIR"]),
        .testTarget(name: "VFCTensorTests", dependencies: ["VFCTestSupport", "VFCTensor"]),
        .testTarget(name: "VFCInterpreterTests", dependencies: ["VFCTestSupport", "VFCIR", "VFCTensor", "VFCInterpreter"]),
        .testTarget(name: "VFCPassesTests", dependencies: ["VFCTestSupport", "VFCIR", "VFCPasses"]),
        .testTarget(name: "VFCCodegenTests", dependencies: ["VFCTestSupport", "VFCIR", "VFCTensor", "VFCInterpreter", "VFCPasses", "VFCCodegen", "VFCRuntime", "CBLAS"]),
        .testTarget(name: "VFCDataTests", dependencies: ["VFCTestSupport", "VFCData", "VFCIR", "VFCTensor", "CTurboJPEG", "CPNG"]),
        .testTarget(name: "VFCRunTests", dependencies: ["VFCTestSupport", "VFCRun", "VFCTensor", "VFCIR"]),
        .testTarget(name: "VFCPlotTests", dependencies: ["VFCPlot", "VFCRun", "VFCData"]),
        .testTarget(name: "VFCEvalTests", dependencies: ["VFCTestSupport", "VFCEval", "VFCData", "VFCTensor"]),
        .testTarget(name: "VFCGradCheckTests", dependencies: ["VFCTestSupport", "VFCIR", "VFCTensor", "VFCInterpreter", "VFCPasses", "VFCGradCheck"]),
    ],
    swiftLanguageModes: [.v6]
)
