// CPU features (CPUID) and the BLAS kernel they call for: vfc checks at start-up which
// kernel OpenBLAS will run and, when it fell back to a generic one on a CPU it does not
// know (Debian's 0.3.21 runs its SSE3 "Prescott" kernel on newer Xeons), selects the right
// one or says so once on standard error.
#ifndef VFC_CPU_H
#define VFC_CPU_H

#ifdef __cplusplus
extern "C" {
#endif

/// What CPUID and XGETBV report (x86-64; all zero elsewhere). The AVX and AVX-512 flags
/// are set only where the operating system saves the registers they use (XCR0).
typedef struct {
    char vendor[13];  ///< "GenuineIntel", "AuthenticAMD", ...
    char brand[49];   ///< the processor brand string
    int family, model, stepping;  ///< display family and model (extended fields added)
    int sse3, ssse3, sse41, sse42, avx, avx2, fma, f16c;
    int avx512f, avx512dq, avx512cd, avx512bw, avx512vl, avx512bf16, avx512fp16;
    int amx_tile, amx_bf16, amx_int8;
} vfc_cpu_info;

/// Fills `out` from this CPU.
void vfc_cpu_detect(vfc_cpu_info *out);

/// The vector ISA level of a CPU: 3 AVX-512 (F, CD, DQ, BW, VL), 2 AVX2 with FMA, 1 AVX,
/// 0 SSE or less.
int vfc_cpu_level(const vfc_cpu_info *cpu);

/// The size in bytes of one core's level-`level` data (or unified) cache, from CPUID leaf
/// 0x8000001D on AMD and leaf 4 elsewhere; 0 when the CPU does not say.
int vfc_cpu_cache_bytes(int level);

/// The ISA level OpenBLAS's kernel set `corename` is written for (as vfc_cpu_level), or -1
/// for a name vfc does not know (then it is left alone).
int vfc_blas_core_level(const char *corename);

/// The OpenBLAS core (an OPENBLAS_CORETYPE name) to select instead of `corename` on `cpu`,
/// or NULL when `corename` already uses the CPU's widest vectors (or is unknown): AVX-512
/// with BF16 -> Cooperlake, AVX-512 -> SkylakeX, AVX2 + FMA -> Haswell (Zen on AMD),
/// AVX -> Sandybridge.
const char *vfc_blas_core_upgrade(const vfc_cpu_info *cpu, const char *corename);

/// What happened at vfc_blas_setup.
typedef enum {
    VFC_BLAS_KEPT = 0,       ///< the library's own choice suits the CPU (or is unknown)
    VFC_BLAS_SWITCHED = 1,   ///< vfc selected a better core before the first product
    VFC_BLAS_WARNED = 2,     ///< a generic core runs and could not (or may not) be changed
} vfc_blas_outcome;

/// Once per process, before the first matrix product (vfc_sgemm calls it; so does
/// `vfc env`): compares OpenBLAS's core with the CPU and, when it is below the CPU's ISA
/// level, switches OpenBLAS to the right core (DYNAMIC_ARCH builds: OPENBLAS_CORETYPE set
/// only while OpenBLAS re-initialises its core table, then restored) or warns once on
/// standard error. A user's own OPENBLAS_CORETYPE is respected (a warning only), as is
/// VFC_BLAS_CORE=keep; VFC_BLAS_CORE=fix switches even over OPENBLAS_CORETYPE.
vfc_blas_outcome vfc_blas_setup(void);

/// After vfc_blas_setup: the core OpenBLAS picked itself and the one it runs now ("" when
/// the BLAS is not OpenBLAS), and the warning printed, if any ("" otherwise).
const char *vfc_blas_initial_core(void);
const char *vfc_blas_core(void);
const char *vfc_blas_warning(void);

/// OpenBLAS's build configuration (openblas_get_config) and its thread count, or "" / 0.
const char *vfc_blas_config(void);
int vfc_blas_threads(void);

#ifdef __cplusplus
}
#endif

#endif
