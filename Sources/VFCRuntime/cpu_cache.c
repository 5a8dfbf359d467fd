// Cache sizes from CPUID. See include/vfc_cpu.h.
#include "vfc_cpu.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

// Leaf 4 (Intel) and leaf 0x8000001D (AMD with topology extensions) share one format:
// subleaf i describes one cache (EAX type and level; EBX ways, partitions, line size;
// ECX sets), until a subleaf of type 0.
static int cache_from_leaf(unsigned int leaf, int level) {
    for (unsigned int i = 0; i < 16; i++) {
        unsigned int a, b, c, d;
        __cpuid_count(leaf, i, a, b, c, d);
        unsigned int type = a & 0x1f;
        if (type == 0) break;
        if ((int)((a >> 5) & 0x7) != level || (type != 1 && type != 3)) continue;  // data or unified
        long long ways = ((b >> 22) & 0x3ff) + 1, parts = ((b >> 12) & 0x3ff) + 1, line = (b & 0xfff) + 1;
        long long bytes = ways * parts * line * ((long long)c + 1);
        return bytes > 0x7fffffff ? 0x7fffffff : (int)bytes;
    }
    return 0;
}

int vfc_cpu_cache_bytes(int level) {
    unsigned int a, b, c, d, top, ext;
    if (!__get_cpuid(0, &top, &b, &c, &d)) return 0;
    char vendor[13] = {0};
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    if (strcmp(vendor, "AuthenticAMD") == 0 || strcmp(vendor, "HygonGenuine") == 0) {
        if (__get_cpuid(0x80000000, &ext, &b, &c, &d) && ext >= 0x8000001D) {
            __get_cpuid(0x80000001, &a, &b, &c, &d);
            if ((c >> 22) & 1) return cache_from_leaf(0x8000001D, level);
        }
        return 0;
    }
    return top >= 4 ? cache_from_leaf(4, level) : 0;
}
#else
int vfc_cpu_cache_bytes(int level) {
    (void)level;
    return 0;
}
#endif
