// CPU features and the choice of OpenBLAS's kernel. See include/vfc_cpu.h.
// POSIX (strdup, setenv) under -std=c11 as well as the GNU dialect.
#define _POSIX_C_SOURCE 200809L
#include "vfc_cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long xgetbv0(void) {
    unsigned int lo, hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

void vfc_cpu_detect(vfc_cpu_info *out) {
    memset(out, 0, sizeof *out);
    unsigned int a = 0, b = 0, c = 0, d = 0, top = 0;
    if (!__get_cpuid(0, &top, &b, &c, &d)) return;
    memcpy(out->vendor, &b, 4);
    memcpy(out->vendor + 4, &d, 4);
    memcpy(out->vendor + 8, &c, 4);
    unsigned int ext;
    if (__get_cpuid(0x80000000, &ext, &b, &c, &d) && ext >= 0x80000004) {
        unsigned int *brand = (unsigned int *)out->brand;
        for (unsigned int leaf = 0; leaf < 3; leaf++)
            __get_cpuid(0x80000002 + leaf, &brand[4 * leaf], &brand[4 * leaf + 1], &brand[4 * leaf + 2], &brand[4 * leaf + 3]);
        out->brand[48] = 0;
    }
    if (top < 1) return;
    __get_cpuid(1, &a, &b, &c, &d);
    int family = (a >> 8) & 0xf, model = (a >> 4) & 0xf;
    if (family == 0xf) family += (a >> 20) & 0xff;
    if (family == 6 || family >= 0xf) model += ((a >> 16) & 0xf) << 4;
    out->family = family;
    out->model = model;
    out->stepping = a & 0xf;
    out->sse3 = (c >> 0) & 1;
    out->ssse3 = (c >> 9) & 1;
    out->sse41 = (c >> 19) & 1;
    out->sse42 = (c >> 20) & 1;
    // The OS must save the wider registers (XCR0) for AVX and AVX-512 code to be usable.
    unsigned long long xcr0 = ((c >> 27) & 1) ? xgetbv0() : 0;
    int os_avx = (xcr0 & 0x6) == 0x6, os_avx512 = os_avx && (xcr0 & 0xe0) == 0xe0;
    int os_amx = (xcr0 & 0x60000) == 0x60000;
    out->avx = os_avx && ((c >> 28) & 1);
    out->fma = out->avx && ((c >> 12) & 1);
    out->f16c = out->avx && ((c >> 29) & 1);
    if (top < 7) return;
    __cpuid_count(7, 0, a, b, c, d);
    unsigned int subleaves = a;
    out->avx2 = out->avx && ((b >> 5) & 1);
    out->avx512f = os_avx512 && ((b >> 16) & 1);
    out->avx512dq = out->avx512f && ((b >> 17) & 1);
    out->avx512cd = out->avx512f && ((b >> 28) & 1);
    out->avx512bw = out->avx512f && ((b >> 30) & 1);
    out->avx512vl = out->avx512f && ((b >> 31) & 1);
    out->avx512fp16 = out->avx512f && ((d >> 23) & 1);
    out->amx_bf16 = os_amx && ((d >> 22) & 1);
    out->amx_tile = os_amx && ((d >> 24) & 1);
    out->amx_int8 = os_amx && ((d >> 25) & 1);
    if (subleaves >= 1) {
        __cpuid_count(7, 1, a, b, c, d);
        out->avx512bf16 = out->avx512f && ((a >> 5) & 1);
    }
}
#else
void vfc_cpu_detect(vfc_cpu_info *out) { memset(out, 0, sizeof *out); }
#endif

int vfc_cpu_level(const vfc_cpu_info *cpu) {
    if (cpu->avx512f && cpu->avx512cd && cpu->avx512dq && cpu->avx512bw && cpu->avx512vl && cpu->avx2 && cpu->fma) return 3;
    if (cpu->avx2 && cpu->fma) return 2;
    if (cpu->avx) return 1;
    return 0;
}

// OpenBLAS 0.3.21's x86-64 core names (OPENBLAS_CORETYPE spellings, compared without
// case) by the widest vectors their sgemm kernels use.
static const struct { const char *name; int level; } core_levels[] = {
    {"SapphireRapids", 3}, {"Cooperlake", 3}, {"SkylakeX", 3},
    {"Haswell", 2}, {"Zen", 2}, {"Skylake", 2},
    {"Sandybridge", 1}, {"Bulldozer", 1}, {"Piledriver", 1}, {"Steamroller", 1}, {"Excavator", 1},
    {"Prescott", 0}, {"Katmai", 0}, {"Coppermine", 0}, {"Northwood", 0}, {"Banias", 0}, {"Atom", 0},
    {"Core2", 0}, {"Penryn", 0}, {"Dunnington", 0}, {"Nehalem", 0}, {"Opteron", 0},
    {"Opteron_SSE3", 0}, {"Barcelona", 0}, {"Nano", 0}, {"Bobcat", 0}, {"Athlon", 0}, {"Generic", 0},
};

int vfc_blas_core_level(const char *corename) {
    if (!corename) return -1;
    for (size_t i = 0; i < sizeof core_levels / sizeof core_levels[0]; i++)
        if (strcasecmp(corename, core_levels[i].name) == 0) return core_levels[i].level;
    return -1;
}

const char *vfc_blas_core_upgrade(const vfc_cpu_info *cpu, const char *corename) {
    int have = vfc_blas_core_level(corename), want = vfc_cpu_level(cpu);
    if (have < 0 || have >= want) return NULL;
    switch (want) {
    case 3: return cpu->avx512bf16 ? "Cooperlake" : "SkylakeX";
    case 2: return strcmp(cpu->vendor, "AuthenticAMD") == 0 ? "Zen" : "Haswell";
    case 1: return "Sandybridge";
    default: return NULL;
    }
}

// OpenBLAS's API, weak: another BLAS (or a build without DYNAMIC_ARCH) may lack them.
extern char *openblas_get_corename(void) __attribute__((weak));
extern char *openblas_get_config(void) __attribute__((weak));
extern int openblas_get_num_threads(void) __attribute__((weak));
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));

static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static vfc_blas_outcome outcome = VFC_BLAS_KEPT;
static char initial_core[32], warning[320];

static const char *level_name(int level) {
    static const char *names[] = {"SSE", "AVX", "AVX2+FMA", "AVX-512"};
    return level >= 0 && level <= 3 ? names[level] : "?";
}

// Re-runs OpenBLAS's DYNAMIC_ARCH core selection with OPENBLAS_CORETYPE = core, restoring
// the variable afterwards. Before the first BLAS call nothing depends on the old core: the
// buffers OpenBLAS allocates have a size fixed when it was built, the blocking parameters
// are read from the core table on every call.
static int switch_core(const char *core) {
    if (!gotoblas_dynamic_init || !gotoblas_dynamic_quit || !openblas_get_corename) return 0;
    const char *before = getenv("OPENBLAS_CORETYPE");
    char *saved = before ? strdup(before) : NULL;
    setenv("OPENBLAS_CORETYPE", core, 1);
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
    if (saved) setenv("OPENBLAS_CORETYPE", saved, 1); else unsetenv("OPENBLAS_CORETYPE");
    free(saved);
    return strcasecmp(openblas_get_corename(), core) == 0;
}

static void setup(void) {
    if (!openblas_get_corename) return;
    snprintf(initial_core, sizeof initial_core, "%s", openblas_get_corename());
    vfc_cpu_info cpu;
    vfc_cpu_detect(&cpu);
    const char *better = vfc_blas_core_upgrade(&cpu, initial_core);
    if (!better) return;
    const char *mode = getenv("VFC_BLAS_CORE");
    int keep = mode && strcmp(mode, "keep") == 0, fix = mode && strcmp(mode, "fix") == 0;
    const char *user = getenv("OPENBLAS_CORETYPE");
    const char *why = NULL;
    if (keep) why = "VFC_BLAS_CORE=keep";
    else if (user && *user && !fix) why = "OPENBLAS_CORETYPE is set";
    else if (switch_core(better)) { outcome = VFC_BLAS_SWITCHED; return; }
    else why = "this BLAS cannot switch its kernel at run time";
    snprintf(warning, sizeof warning,
             "vfc: warning: OpenBLAS runs its %s kernel (%s) on a CPU with %s; matrix products may be several times "
             "slower (%s; OPENBLAS_CORETYPE=%s selects the right one)",
             initial_core, level_name(vfc_blas_core_level(initial_core)), level_name(vfc_cpu_level(&cpu)), why, better);
    fprintf(stderr, "%s\n", warning);
    outcome = VFC_BLAS_WARNED;
}

vfc_blas_outcome vfc_blas_setup(void) {
    pthread_once(&setup_once, setup);
    return outcome;
}

const char *vfc_blas_initial_core(void) { return initial_core; }
const char *vfc_blas_core(void) { return openblas_get_corename ? openblas_get_corename() : ""; }
const char *vfc_blas_warning(void) { return warning; }
const char *vfc_blas_config(void) { return openblas_get_config ? openblas_get_config() : ""; }
int vfc_blas_threads(void) { return openblas_get_num_threads ? openblas_get_num_threads() : 0; }
