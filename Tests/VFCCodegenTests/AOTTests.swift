import Testing
import VFCCodegen
import VFCIR
import VFCTestSupport

/// Ahead-of-time emission (`vfc compile`): objects, assembly, LLVM IR, the C header, and
/// the JIT's in-process cache.
@Suite struct AOTTests {
    static let source = """
        module @aot
        param @blocks.0.scale : f32[] = ones
        param @int : f32[] = zeros
        func @chain(%x: f32[N, 32], %m: u8[N, 32]) {
          %a = mul %x, @blocks.0.scale
          %b = add %a, @int
          %c = sqrt %b
          %d = select %m, %c, %x
          %e = gt %d, 1
          return %d, %e
        }
        func @ints.v2(%0: i32[3], %double: i64[]) {
          %y = convert %0 {dtype = i64}
          %z = add %y, %double
          return %z
        }
        """

    func lowered(cpu: String? = "skylake-avx512", n: Int = 64, functions: [String] = []) throws -> LoweredModule {
        try LoweredModule(module: try verified(Self.source), functions: functions, options: CodegenOptions(targetCPU: cpu, bindings: ["N": n]))
    }

    @Test func llvmIRIsDeterministicAndVectorised() throws {
        let a = try lowered(), b = try lowered()
        #expect(a.llvmIR == b.llvmIR)
        #expect(try a.emit(.llvm) == Array(a.llvmIR.utf8))
        #expect(a.llvmIR.contains("<16 x float>"))
        #expect(a.llvmIR.contains("\"target-cpu\"=\"skylake-avx512\""))
        #expect(a.llvmIR.contains("\"prefer-vector-width\"=\"512\""))
        // Other options, other code.
        #expect(try lowered(n: 8).llvmIR != a.llvmIR)
        #expect(try lowered(cpu: "znver4").llvmIR.contains("\"target-cpu\"=\"znver4\""))
    }

    @Test func objectsAreDeterministicELF() throws {
        let a = try lowered(), b = try lowered()
        let before = a.llvmIR
        let obj = try a.emit(.obj)
        #expect(obj.count > 64)
        #expect(Array(obj.prefix(4)) == [0x7f, 0x45, 0x4c, 0x46])  // \x7fELF
        #expect(obj == (try b.emit(.obj)))
        // Emission works on a copy: the module is unchanged and can be emitted again.
        #expect(a.llvmIR == before)
        #expect(try a.emit(.obj) == obj)
        let asm = String(decoding: try a.emit(.asm), as: UTF8.self)
        #expect(asm.contains("vfc_chain:"))
        #expect(asm.contains("vfc_ints_v2_packed:"))
        #expect(asm.contains("%zmm"))
    }

    @Test func entryPointsFollowTheABI() throws {
        let l = try lowered()
        #expect(l.entries.map(\.symbol) == ["vfc_chain", "vfc_ints_v2"])
        let chain = l.entries[0]
        #expect(chain.inputs.map(\.name) == ["x", "m"])
        #expect(chain.params.map(\.name) == ["blocks.0.scale", "int"])
        #expect(chain.outputs.map(\.shape) == [[64, 32], [64, 32]])
        #expect(try lowered(functions: ["ints.v2"]).entries.map(\.function) == ["ints.v2"])
    }

    @Test func header() throws {
        let l = try lowered(n: 4)
        let h = CHeader(entries: l.entries, options: l.options, objectName: "aot.o", headerName: "aot.h", sourceName: "aot.ir").render()
        #expect(h.contains("void vfc_chain(const float *x, const uint8_t *m, const float *blocks_0_scale, const float *int_, float *result0, uint8_t *result1);\n"))
        #expect(h.contains("void vfc_chain_packed(void **buffers);\n"))
        #expect(h.contains("void vfc_ints_v2(const int32_t *v0, const int64_t *double_, int64_t *result0);\n"))
        #expect(h.contains("#define VFC_CHAIN_X_COUNT 128 /* f32[4, 32] */\n"))
        #expect(h.contains("#define VFC_CHAIN_BLOCKS_0_SCALE_COUNT 1 /* f32[] */\n"))
        #expect(h.contains("#define VFC_CHAIN_INT_COUNT 1 /* f32[] */\n"))
        #expect(h.contains("#define VFC_INTS_V2_DOUBLE_COUNT 1 /* i64[] */\n"))
        #expect(h.contains("#define VFC_CHAIN_NUM_BUFFERS 6\n"))
        #expect(h.contains("#ifndef VFC_GENERATED_AOT_H\n#define VFC_GENERATED_AOT_H\n"))
        #expect(h.contains("compiled for the CPU skylake-avx512 with N=4."))
        #expect(h.contains("-lopenblas -lpthread -lm"))
        #expect(h.contains(" *   blocks_0_scale  f32[]       param @blocks.0.scale\n"))
        #expect(!h.contains("/tmp") && !h.contains("/work"))
    }

    @Test(arguments: [
        ("blocks.0.norm1.weight", "blocks_0_norm1_weight"), ("int", "int_"), ("0", "v0"),
        ("x", "x"), ("__x", "v__x"), ("_X", "v_X"), ("a-b", "a_b"), ("", "buffer"),
    ])
    func identifiers(_ name: String, _ expected: String) {
        #expect(CHeader.identifier(name) == expected)
    }

    @Test func duplicateIdentifiersAreRenamed() throws {
        let m = try verified("""
            func @f(%a.b: f32[2], %a_b: f32[2]) {
              %c = add %a.b, %a_b
              return %c
            }
            """)
        let l = try LoweredModule(module: m, options: CodegenOptions(targetCPU: "znver4"))
        let h = CHeader(entries: l.entries, options: l.options, objectName: "f.o", headerName: "f.h", sourceName: "f.ir").render()
        #expect(h.contains("void vfc_f(const float *a_b, const float *a_b_2, float *result0);"))
        #expect(h.contains("#define VFC_F_A_B_COUNT 2"))
        #expect(h.contains("#define VFC_F_A_B_2_COUNT 2"))
    }

    @Test func symbolCollisions() throws {
        #expect(throws: CodegenError.self) { try LoweredModule.checkSymbols(["a.b", "a_b"]) }
        #expect(throws: CodegenError.self) { try LoweredModule.checkSymbols(["f", "f_packed"]) }
        try LoweredModule.checkSymbols(["f", "g", "block"])
    }

    @Test func knownCPUs() {
        #expect(LoweredModule.isKnownCPU("znver4"))
        #expect(LoweredModule.isKnownCPU("skylake-avx512"))
        #expect(LoweredModule.isKnownCPU("x86-64-v3"))
        #expect(!LoweredModule.isKnownCPU("pentium9000"))
    }

    @Test func unboundSymbolsAreErrors() throws {
        #expect(throws: CodegenError.self) {
            _ = try LoweredModule(module: try verified(Self.source), options: CodegenOptions())
        }
    }

    @Test func jitCacheSharesCompiledModules() throws {
        let m = try verified(Self.source)
        let options = CodegenOptions(bindings: ["N": 3])
        let a = try JITModule.cached(module: m, functions: ["chain"], options: options)
        let b = try JITModule.cached(module: m, functions: ["chain"], options: options)
        #expect(a === b)
        let c = try JITModule.cached(module: m, functions: ["chain"], options: CodegenOptions(bindings: ["N": 4]))
        #expect(a !== c)
        let d = try JITModule.cached(module: m, functions: ["ints.v2"], options: options)
        #expect(a !== d)
        let other = try verified(Self.source.replacingOccurrences(of: "gt %d, 1", with: "gt %d, 2"))
        #expect(try JITModule.cached(module: other, functions: ["chain"], options: options) !== a)
        #expect(JITModule.cachedCount >= 4)
    }
}
