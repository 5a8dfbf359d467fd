import CLLVM

/// The ISA that JIT-compiled code targets: LLVM's host CPU and features, as the Emitter's
/// function attributes use them (`CodegenOptions` without a target CPU), for `vfc env`.
public enum HostTarget {
    /// LLVM's name of the host CPU (`znver4`, `sapphirerapids`, ...).
    public static var cpu: String { LLVMSupport.hostCPU }

    /// The enabled vector features of the host's LLVM feature string (`avx2`, `fma`,
    /// `avx512f`, ..., `amx-tile`), in LLVM's order.
    public static var vectorFeatures: [String] {
        LLVMSupport.hostFeatures.split(separator: ",").compactMap { item -> String? in
            guard item.hasPrefix("+") else { return nil }
            let name = String(item.dropFirst())
            let vector = name.hasPrefix("avx") || name.hasPrefix("amx") || name == "fma" || name.hasPrefix("sse") || name == "f16c"
            return vector ? name : nil
        }
    }

    /// The vector width generated code prefers (`CodegenOptions.preferVectorWidth`), bits.
    public static var preferVectorWidth: Int { CodegenOptions().preferVectorWidth }
}
