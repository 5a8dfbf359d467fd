import Testing
import VFCIR
import VFCTestSupport
@testable import VFCPasses

/// The fuse passes stamp each kernel's kind (`FusionKind`), and the kind prints and parses
/// back with the kernel.
@Suite struct FusionKindTests {
    /// One function per kind the codegen pipeline's fuse passes make.
    static let source = """
        param @p : f32[8] = ones
        param @q : f32[16] = ones

        func @loop(%x: f32[8]) -> f32[8] {
          %a = mul %x, 2.0
          %b = add %a, 1.0
          return %b
        }

        func @row(%x: f32[4, 8]) -> f32[4, 8] {
          %a = mul %x, 0.5
          %s = softmax %a {axis = -1}
          return %s
        }

        func @reduce(%x: f32[4, 8]) -> f32[4] {
          %a = mul %x, %x
          %s = reduce_sum %a {axes = [1]}
          %r = sqrt %s
          return %r
        }

        func @epilogue(%x: f32[4, 8], %w: f32[8, 8], %b: f32[8]) -> f32[4, 8] {
          %y = linear %x, %w, %b
          %g = gelu %y
          return %g
        }

        func @multi_tensor(%g: f32[8], %h: f32[16], %lr: f32[]) -> (f32[8], f32[16]) {
          %a = mul %g, %lr
          %np = sub @p, %a
          %b = mul %h, %lr
          %nq = sub @q, %b
          return %np, %nq
        }

        func @multi_sum(%g: f32[8], %h: f32[16]) -> f32[] {
          %a = mul %g, %g
          %sa = reduce_sum %a {axes = [0]}
          %b = mul %h, %h
          %sb = reduce_sum %b {axes = [0]}
          %t = add %sa, %sb
          %n = sqrt %t
          return %n
        }

        """

    @Test func everyKernelCarriesItsKind() throws {
        var m = try verified(Self.source)
        try PassManager(pipeline: "fuse-crop-sample,fuse-reductions,fuse-epilogues,fuse-elementwise,fuse-horizontal,fuse-horizontal-reductions").run(&m)
        let expected: [String: FusionKind] = [
            "loop": .loop, "row": .row, "reduce": .reduce, "epilogue": .epilogue, "multi_tensor": .multiTensor, "multi_sum": .multiSum,
        ]
        for (function, kind) in expected {
            let kernels = m.functions.filter { $0.name.hasPrefix(function + ".fused.") }
            #expect(kernels.count == 1, "@\(function): \(kernels.map(\.name))")
            #expect(kernels.first?.fusionKind == kind, "@\(function): \(kernels.first?.fusionKind.map(\.rawValue) ?? "no kind")")
        }
        // Ordinary functions carry none.
        #expect(m.functions.filter { !$0.name.contains(".fused.") }.allSatisfy { $0.fusionKind == nil })
        // The kinds print and parse back.
        let printed = Printer.print(m)
        #expect(printed.contains("fused(multi_sum) func @multi_sum.fused.0("))
        let again = try verified(printed)
        #expect(again.functions.map(\.fusionKind) == m.functions.map(\.fusionKind))
        #expect(Printer.print(again) == printed)
    }

    @Test func anUnknownKindIsALocatedError() {
        let text = "fused(sideways) func @f(%x: f32[2]) -> f32[2] {\n  return %x\n}\n"
        #expect(throws: DiagnosticError.self) { try Parser.parse(text, file: "k.ir") }
        do {
            _ = try Parser.parse(text, file: "k.ir")
        } catch {
            #expect("\(error)".contains("k.ir:1:7"), "\(error)")
            #expect("\(error)".contains("unknown fused kernel kind 'sideways'"), "\(error)")
        }
    }
}
