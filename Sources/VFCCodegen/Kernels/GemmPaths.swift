import VFCRuntime

/// Which kernel runs each kind of matrix product in generated code, for `vfc env`.
public enum GemmPaths {
    /// One line per path: f32 products (vfc_sgemm: vfc's generated kernel by shape class,
    /// OpenBLAS elsewhere), batched small f32 products (the small-GEMM loop nest), f64.
    public static func describe() -> [String] {
        let kernel = GemmKernel.installForHost()
        let core = String(cString: vfc_blas_core())
        let mode: String
        switch vfc_gemm_get_mode() {
        case VFC_GEMM_OPENBLAS: mode = "VFC_GEMM=openblas: OpenBLAS for every product"
        case VFC_GEMM_VFC: mode = "VFC_GEMM=vfc: vfc's kernel for every product"
        default: mode = "auto: vfc's kernel for the shape classes of docs/codegen.md, OpenBLAS elsewhere"
        }
        var lines: [String] = []
        if let kernel {
            lines.append("f32 products (vfc_sgemm): \(mode); vfc kernel \(kernel.mr)x\(kernel.nr) tiles of <\(kernel.vectorWidth) x float> FMA (C tile prefetched\(vfc_gemm_edge_installed(nil) != 0 ? "; a narrow last column tile" : "")), K in equal blocks of at most KC \(vfc_gemm_kc()), MC \(vfc_gemm_mc()), NC \(vfc_gemm_nc()); OpenBLAS \(core) split over the pool")
        } else {
            lines.append("f32 products (vfc_sgemm): OpenBLAS \(core) split over the pool (no vfc kernel for this ISA)")
        }
        lines.append("batched small f32 products: vfc loop nest (\(FunctionLowering.smallGemmRows)x\(FunctionLowering.smallGemmColumns) tiles of <\(FunctionLowering.smallGemmVector) x float>), up to M*N*K = \(FunctionLowering.smallGemmMaxWork)")
        lines.append("f64 products (vfc_dgemm): OpenBLAS \(core) dgemm split over the pool")
        return lines
    }
}
