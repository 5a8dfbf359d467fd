import Testing
import VFCRuntime

/// The choice of OpenBLAS's kernel set from CPU features (vfc_blas_core_upgrade), on
/// forced feature sets: a generic core on a CPU with wider vectors is replaced by the
/// widest core the CPU runs; a core that already uses them, or one vfc does not know, is
/// kept. And CPUID on this machine agrees with itself (AVX-512 implies AVX2 and FMA).
@Suite struct BlasCoreChoiceTests {
    static func cpu(vendor: String = "GenuineIntel", avx: Bool = false, avx2fma: Bool = false, avx512: Bool = false,
                    bf16: Bool = false, dropVL: Bool = false) -> vfc_cpu_info {
        var c = vfc_cpu_info()
        withUnsafeMutableBytes(of: &c.vendor) { raw in
            for (i, byte) in vendor.utf8.prefix(12).enumerated() { raw[i] = byte }
        }
        let on: Int32 = 1
        c.sse3 = on
        c.ssse3 = on
        c.sse41 = on
        c.sse42 = on
        if avx || avx2fma || avx512 { c.avx = on }
        if avx2fma || avx512 { c.avx2 = on; c.fma = on }
        if avx512 {
            c.avx512f = on; c.avx512dq = on; c.avx512cd = on; c.avx512bw = on
            c.avx512vl = dropVL ? 0 : on
        }
        if bf16 { c.avx512bf16 = on }
        return c
    }

    static func upgrade(_ c: vfc_cpu_info, _ core: String) -> String? {
        var c = c
        return vfc_blas_core_upgrade(&c, core).map { String(cString: $0) }
    }

    @Test func avx512MachineOnAGenericCoreGetsSkylakeXOrCooperlake() {
        // Sapphire Rapids as Debian's OpenBLAS 0.3.21 sees it: Prescott.
        #expect(Self.upgrade(Self.cpu(avx512: true, bf16: true), "Prescott") == "Cooperlake")
        #expect(Self.upgrade(Self.cpu(avx512: true), "Prescott") == "SkylakeX")
        #expect(Self.upgrade(Self.cpu(avx512: true), "Haswell") == "SkylakeX")
        #expect(Self.upgrade(Self.cpu(avx512: true), "Sandybridge") == "SkylakeX")
        #expect(Self.upgrade(Self.cpu(avx512: true, bf16: true), "nehalem") == "Cooperlake")
    }

    @Test func avx2MachineOnAGenericCoreGetsHaswellOrZen() {
        #expect(Self.upgrade(Self.cpu(avx2fma: true), "Prescott") == "Haswell")
        #expect(Self.upgrade(Self.cpu(avx2fma: true), "Core2") == "Haswell")
        #expect(Self.upgrade(Self.cpu(avx2fma: true), "Sandybridge") == "Haswell")
        #expect(Self.upgrade(Self.cpu(vendor: "AuthenticAMD", avx2fma: true), "Barcelona") == "Zen")
        // AVX-512 without VL is not what SkylakeX's kernels need: AVX2's core.
        #expect(Self.upgrade(Self.cpu(avx512: true, dropVL: true), "Prescott") == "Haswell")
        #expect(Self.upgrade(Self.cpu(avx: true), "Prescott") == "Sandybridge")
    }

    @Test func suitableOrUnknownCoresAreKept() {
        #expect(Self.upgrade(Self.cpu(avx512: true, bf16: true), "Cooperlake") == nil)
        #expect(Self.upgrade(Self.cpu(avx512: true), "SkylakeX") == nil)
        // A core above the CPU's level (OPENBLAS_CORETYPE set by hand) is not vfc's call.
        #expect(Self.upgrade(Self.cpu(avx2fma: true), "SkylakeX") == nil)
        #expect(Self.upgrade(Self.cpu(vendor: "AuthenticAMD", avx2fma: true), "Zen") == nil)
        #expect(Self.upgrade(Self.cpu(avx2fma: true), "Haswell") == nil)
        #expect(Self.upgrade(Self.cpu(), "Prescott") == nil)
        #expect(Self.upgrade(Self.cpu(avx512: true), "NoSuchCore") == nil)
        #expect(vfc_blas_core_level("NoSuchCore") == -1)
    }

    @Test func levelsFollowTheFeatures() {
        var c = Self.cpu(avx512: true)
        #expect(vfc_cpu_level(&c) == 3)
        c = Self.cpu(avx2fma: true)
        #expect(vfc_cpu_level(&c) == 2)
        c.fma = 0  // AVX2 without FMA (no such CPU shipped, but no FMA kernels either)
        #expect(vfc_cpu_level(&c) == 1)
        c = Self.cpu()
        #expect(vfc_cpu_level(&c) == 0)
    }

    @Test func thisMachinesFeaturesAreConsistent() {
        var c = vfc_cpu_info()
        vfc_cpu_detect(&c)
        #if arch(x86_64)
        #expect(c.family > 0)
        #expect(c.sse3 == 1)  // every x86-64 CPU vfc runs on
        if c.avx512f != 0 { #expect(c.avx2 == 1 && c.fma == 1 && c.avx == 1) }
        if c.avx2 != 0 { #expect(c.avx == 1) }
        #endif
        // Whatever OpenBLAS picked, after set-up it is not below the CPU's level unless
        // vfc warned about it.
        let outcome = vfc_blas_setup()
        let core = String(cString: vfc_blas_core())
        if !core.isEmpty && outcome != VFC_BLAS_WARNED {
            #expect(vfc_blas_core_upgrade(&c, core) == nil, "OpenBLAS runs \(core) below this CPU's level without a warning")
        }
    }
}
