// swift-tools-version: 6.0
// vfc: a tensor compiler for the crop-tied vector-field ViT (see ../shared/docs/method.md).
import PackageDescription

let package = Package(
    name: "vfc",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vfc", targets: ["vfc"]),
        .library(name: "VFCIR", targets: ["VFCIR"]),
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
        // What generated code calls: thread pool, parallel-for, aligned buffers (C, so that
        // `vfc compile` objects can link it without Swift).
        .target(name: "VFCRuntime", linkerSettings: [.linkedLibrary("pthread")]),
        // LLVM lowering, ORC JIT and ahead-of-time objects.
        .target(name: "VFCCodegen", dependencies: ["VFCIR", "VFCTensor", "VFCPasses", "CLLVM", "CBLAS", "VFCRuntime"]),
        // Room reserved for: VFCTrain.
        .executableTarget(
            name: "vfc",
            dependencies: [
                "VFCIR", "VFCTensor", "VFCInterpreter", "VFCPasses", "VFCGradCheck", "VFCCodegen",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Kernel benchmarks of generated code against memcpy and direct sgemm (Benchmarks/).
        .executableTarget(
            name: "vfc-bench", dependencies: ["VFCIR", "VFCPasses", "VFCCodegen", "CBLAS", "VFCRuntime"],
            path: "Benchmarks/KernelBench"),
        .testTarget(name: "VFCIRTests", dependencies: ["VFCIR"]),
        .testTarget(name: "VFCTensorTests", dependencies: ["VFCTensor"]),
        .testTarget(name: "VFCInterpreterTests", dependencies: ["VFCIR", "VFCTensor", "VFCInterpreter"]),
        .testTarget(name: "VFCPassesTests", dependencies: ["VFCIR", "VFCPasses"]),
        .testTarget(name: "VFCCodegenTests", dependencies: ["VFCIR", "VFCTensor", "VFCInterpreter", "VFCPasses", "VFCCodegen", "VFCRuntime"]),
        .testTarget(name: "VFCGradCheckTests", dependencies: ["VFCIR", "VFCTensor", "VFCInterpreter", "VFCPasses", "VFCGradCheck"]),
    ],
    swiftLanguageModes: [.v6]
)
