import ArgumentParser
import Foundation
import VFCCodegen
import VFCRuntime

/// `vfc env`: the machine as vfc sees it, so that a slow run can be explained: the CPU and
/// its vector features (CPUID), the ISA generated code targets (LLVM host CPU), and which
/// kernel runs each kind of matrix product (OpenBLAS's core, chosen at start-up).
struct EnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Print the CPU, the ISA of generated code and the matrix-product kernels in use.",
        discussion: """
            OpenBLAS picks its kernel set from a table of CPUs it knows; on a CPU it does not \
            know it falls back to a generic SSE kernel. vfc checks this before the first product: \
            when the kernel is below the CPU's vector ISA it selects the right core (or, when \
            OPENBLAS_CORETYPE is set by the user or VFC_BLAS_CORE=keep, warns once). \
            VFC_BLAS_CORE=fix selects it even over OPENBLAS_CORETYPE.
            """)

    func run() throws {
        _ = vfc_blas_setup()
        for line in Self.report() { print(line) }
    }

    static func report() -> [String] {
        var cpu = vfc_cpu_info()
        vfc_cpu_detect(&cpu)
        let vendor = withUnsafeBytes(of: cpu.vendor) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let brand = withUnsafeBytes(of: cpu.brand) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            .trimmingCharacters(in: .whitespaces)
        let flags: [(String, Int32)] = [
            ("sse3", cpu.sse3), ("ssse3", cpu.ssse3), ("sse4.1", cpu.sse41), ("sse4.2", cpu.sse42), ("avx", cpu.avx),
            ("avx2", cpu.avx2), ("fma", cpu.fma), ("f16c", cpu.f16c), ("avx512f", cpu.avx512f), ("avx512dq", cpu.avx512dq),
            ("avx512cd", cpu.avx512cd), ("avx512bw", cpu.avx512bw), ("avx512vl", cpu.avx512vl),
            ("avx512bf16", cpu.avx512bf16), ("avx512fp16", cpu.avx512fp16), ("amx-tile", cpu.amx_tile),
            ("amx-bf16", cpu.amx_bf16), ("amx-int8", cpu.amx_int8),
        ]
        let levels = ["SSE", "AVX", "AVX2+FMA", "AVX-512"]
        let level = Int(vfc_cpu_level(&cpu))
        let initial = String(cString: vfc_blas_initial_core()), core = String(cString: vfc_blas_core())
        let env = ProcessInfo.processInfo.environment
        var blasCore = core.isEmpty ? "(not OpenBLAS)" : core
        if !initial.isEmpty && initial != core { blasCore += " (selected by vfc; OpenBLAS chose \(initial))" }
        let warning = String(cString: vfc_blas_warning())
        var lines = [
            "cpu: \(vendor) family \(cpu.family) model \(cpu.model) stepping \(cpu.stepping): \(brand)",
            "cpu features: \(flags.filter { $0.1 != 0 }.map(\.0).joined(separator: " "))",
            "cpu vector level: \(levels[max(0, min(3, level))])",
            "generated code: LLVM cpu \(HostTarget.cpu), prefer-vector-width \(HostTarget.preferVectorWidth), features \(HostTarget.vectorFeatures.joined(separator: " "))",
            "openblas core: \(blasCore)",
            "openblas config: \(String(cString: vfc_blas_config()))",
            "threads: vfc pool \(vfc_num_threads()) (VFC_THREADS=\(env["VFC_THREADS"] ?? "unset")), openblas \(vfc_blas_threads()) (set to 1 at the first product; OPENBLAS_NUM_THREADS=\(env["OPENBLAS_NUM_THREADS"] ?? "unset")), OPENBLAS_CORETYPE=\(env["OPENBLAS_CORETYPE"] ?? "unset"), VFC_BLAS_CORE=\(env["VFC_BLAS_CORE"] ?? "unset")",
        ]
        lines += GemmPaths.describe().map { "gemm: \($0)" }
        if !warning.isEmpty { lines.append(warning) }
        return lines
    }
}
