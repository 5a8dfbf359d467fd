import Testing
import VFCCodegen
import VFCIR
import VFCTestSupport

/// Buffers of run-time size in the arena plan (`RuntimeArena.swift`): the entry takes one
/// arena placed at the call instead of a runtime allocation per buffer, elementwise ops
/// and loop kernels compute in place of operands they read last, and calls that alternate
/// between batch sizes (plans from the runtime's cache) give the interpreter's results.
extension RuntimeDimsTests {
    /// The text of the entry function `symbol` in `ir`.
    func entryText(_ ir: String, _ symbol: String) throws -> Substring {
        let start = try #require(ir.range(of: "@\(symbol)("))
        let end = try #require(ir.range(of: "\n}\n", range: start.upperBound..<ir.endIndex))
        return ir[start.lowerBound..<end.upperBound]
    }

    /// A chain of batch-sized temporaries, each elementwise op and loop kernel able to
    /// take its operand's slot, a row kernel, a product and a reduction between them.
    static let chain = """
        param @w: f32[8] = trunc_normal(0.5)
        param @b: f32[8] = trunc_normal(0.5)
        param @lw: f32[8, 8] = trunc_normal(0.5)
        param @lb: f32[8] = trunc_normal(0.5)
        func @f(%x: f32[B, 4, 8], %y: f32[B, 4, 8]) {
          %a = add %x, %y
          %e = exp %a
          %n = layer_norm %e, @w, @b {eps = 1e-6}
          %l = linear %n, @lw, @lb
          %g = gelu %l
          %t = transpose %g {perm = [0, 2, 1]}
          %t2 = mul %t, 0.5
          %s = softmax %t2 {axis = -1}
          %r = reduce_sum %s {axes = [1]}
          %r2 = tanh %r
          return %r2, %g
        }
        """

    @Test func entryTakesOneArena() throws {
        let m = try verified(Self.chain)
        let lowered = try LoweredModule(module: m, functions: ["f"], options: CodegenOptions(runtimeDims: true), optimize: false)
        let entry = try #require(lowered.entries.first)
        let text = try entryText(lowered.llvmIR, entry.symbol)
        #expect(text.components(separatedBy: "@vfc_arena_plan(").count == 2, "\(text)")
        #expect(text.components(separatedBy: "@vfc_alloc_arena(").count == 2)
        #expect(!text.contains("@vfc_alloc("))
        #expect(!text.contains("@vfc_alloc_uninit("))
        // Only the arena is freed.
        #expect(text.components(separatedBy: "@vfc_free(").count == 2)
    }

    /// Sizes in an order that reuses plans of earlier calls (from the runtime's cache) after
    /// plans of other sizes.
    @Test func alternatingBatchSizes() throws {
        try expectParity(try verified(Self.chain), sizes: [["B": 3], ["B": 1], ["B": 3], ["B": 6], ["B": 1], ["B": 3], ["B": 0]])
    }
}
