import Testing
import VFCCodegen
import VFCIR
import VFCInterpreter
import VFCPasses
import VFCTensor
import VFCTestSupport

/// JIT vs interpreter on patchify and the crop-sample ops (method.md section 2).
@Suite struct VisionParityTests {
    /// Boxes (x0, y0, w, h) in source pixels of a 64-pixel source: the whole source, an
    /// interior box, a box touching the right and bottom borders, one partly outside the
    /// source (clamped), a tiny box in the far corner (every sample clamped to Fs - 1, so
    /// x1 == x0), a degenerate zero-size box, and one with an exact cell-centre grid.
    static let boxes = "[0, 0, 64, 64, 10.5, 5.25, 20, 30, 40, 40, 24, 24, -3, 50, 20, 20, 63.2, 63.7, 0.5, 0.5, 17, 9, 0, 0, 2, 2, 32, 32]"
    static let flips = "[1, 0, 1, 1, 0, 1, 0]"

    @Test func patchify() throws {
        let m = try verified("""
            func @f(%x: f32[N, 3, 8, 12], %y: f32[1, 1, 4, 4], %z: f64[2, 2, 6, 6], %i: u8[1, 2, 2, 2]) {
              %a = patchify %x {patch = 4}
              %b = patchify %y {patch = 1}
              %c = patchify %y {patch = 4}
              %d = patchify %z {patch = 3}
              %e = patchify %i {patch = 2}
              %g = patchify %x {patch = 2}
              return %a, %b, %c, %d, %e, %g
            }
            """)
        #expect(try parity(m, "f", bindings: ["N": 2]) == 0)
    }

    /// crop_sample on constant boxes with flips, for a field side below, equal to and
    /// above the source side.
    @Test(arguments: [16, 64, 80])
    func cropSample(side: Int) throws {
        let m = try verified("""
            func @f(%field: f32[\(side), \(side), D]) {
              %b = constant {value = \(Self.boxes)} : f32[7, 4]
              %fl = constant {value = \(Self.flips)} : u8[7]
              %s = crop_sample %field, %b, %fl {grid = 4, source = 64}
              %t = crop_sample %field, %b, %fl {grid = 1, source = 64}
              %u = crop_sample %field, %b, %fl {grid = 5, source = 40}
              return %s, %t, %u
            }
            """)
        #expect(try parity(m, "f", bindings: ["D": 5]) < 1e-5)
        #expect(try parity(m, "f", bindings: ["D": 37]) < 1e-5)
    }

    @Test func cropSampleOnRandomBoxesAndFlips() throws {
        // Random normal boxes: negative widths, points outside the source on every side.
        let m = try verified("""
            func @f(%field: f32[12, 12, D], %b: f32[N, 4], %fl: u8[N], %g: f64[7, 7, 3], %bd: f64[N, 4], %fi: i32[N]) {
              %s = crop_sample %field, %b, %fl {grid = 3, source = 2}
              %t = crop_sample %g, %bd, %fi {grid = 6, source = 3}
              return %s, %t
            }
            """)
        for seed: UInt64 in [0, 1, 2] {
            #expect(try parity(m, "f", bindings: ["N": 5, "D": 8], seed: seed) < 1e-5)
        }
    }

    @Test(arguments: [16, 64, 24])
    func cropSampleGrad(side: Int) throws {
        let m = try verified("""
            func @f(%d: f32[7, 16, D], %d1: f32[7, 1, D]) {
              %b = constant {value = \(Self.boxes)} : f32[7, 4]
              %fl = constant {value = \(Self.flips)} : u8[7]
              %g = crop_sample_grad %d, %b, %fl {grid = 4, source = 64, field = \(side)}
              %h = crop_sample_grad %d1, %b, %fl {grid = 1, source = 64, field = \(side)}
              return %g, %h
            }
            """)
        #expect(try parity(m, "f", bindings: ["D": 5]) < 1e-5)
        #expect(try parity(m, "f", bindings: ["D": 33]) < 1e-5)
    }

    @Test func cropSampleGradF64AndOneCellField() throws {
        let m = try verified("""
            func @f(%d: f64[7, 9, 4], %e: f32[7, 4, 2]) {
              %b = constant {value = \(Self.boxes)} : f64[7, 4]
              %fl = constant {value = \(Self.flips)} : i1[7]
              %g = crop_sample_grad %d, %b, %fl {grid = 3, source = 64, field = 20}
              %bf = constant {value = \(Self.boxes)} : f32[7, 4]
              %h = crop_sample_grad %e, %bf, %fl {grid = 2, source = 64, field = 1}
              return %g, %h
            }
            """)
        #expect(try parity(m, "f", bindings: [:]) < 1e-5)
    }

    @Test(arguments: [16, 64])
    func cropSampleAdd(side: Int) throws {
        let m = try verified("""
            func @f(%x: f32[7, 16, D], %field: f32[\(side), \(side), D], %mc: u8[7, 16], %mt: f32[D], %mp: u8[7, 16], %pt: f32[D]) {
              %b = constant {value = \(Self.boxes)} : f32[7, 4]
              %fl = constant {value = \(Self.flips)} : u8[7]
              %z = crop_sample_add %x, %field, %b, %fl, %mc, %mt, %mp, %pt {grid = 4, source = 64}
              return %z
            }
            """)
        for seed: UInt64 in [0, 3] {
            #expect(try parity(m, "f", bindings: ["D": 5], seed: seed) < 1e-5)
            #expect(try parity(m, "f", bindings: ["D": 40], seed: seed) < 1e-5)
        }
    }

    @Test func cropSampleAddF64WithBoolMasks() throws {
        let m = try verified("""
            func @f(%x: f64[N, 9, 3], %field: f64[10, 10, 3], %b: f64[N, 4], %fl: u8[N], %mc: i1[N, 9], %mt: f64[3], %mp: i1[N, 9], %pt: f64[3]) {
              %z = crop_sample_add %x, %field, %b, %fl, %mc, %mt, %mp, %pt {grid = 3, source = 4}
              return %z
            }
            """)
        #expect(try parity(m, "f", bindings: ["N": 4]) < 1e-12)
    }

    /// The gradient of a crop_sample loss through autodiff (crop_sample_grad in the
    /// expanded function), compiled whole.
    @Test func cropSampleGradientThroughAutodiff() throws {
        var m = try verified("""
            param @field : f32[16, 16, 6] = normal(1)
            func @loss(%b: f32[3, 4], %fl: u8[3], %t: f32[3, 9, 6]) -> f32[] {
              %s = crop_sample @field, %b, %fl {grid = 3, source = 64}
              %d = sub %s, %t
              %q = mul %d, %d
              %l = reduce_sum %q {axes = [0, 1, 2], keep_dims = false}
              return %l
            }
            func @step(%t: f32[3, 9, 6]) {
              %b = constant {value = [0, 0, 64, 64, 30.5, 12, 20, 41, 60, 61, 3, 3]} : f32[3, 4]
              %fl = constant {value = [0, 1, 1]} : u8[3]
              %l, %g = value_and_grad @loss(%b, %fl, %t) {wrt = [@field]}
              return %l, %g
            }
            """)
        // The interpreter runs expanded modules; the JIT expands value_and_grad itself.
        try AutodiffPass().run(&m)
        #expect(try parity(m, "step", bindings: [:]) < 1e-5)
    }

    /// IR/patch_embed.ir: the teacher's field sample.
    @Test func patchEmbedSample() throws {
        let m = try verified(try repoFile("IR/patch_embed.ir"), file: "patch_embed.ir")
        for n in [1, 3] {
            #expect(try parity(m, "sample", bindings: ["N": n]) < 1e-5)
        }
    }

    /// IR/patch_embed.ir's whole embedding (patchify, linear, crop_sample_add, broadcast,
    /// concat). The bound is looser than 1e-5 only because of `linear`: it computes the
    /// 192-long dot products in f32 (sgemm) where the interpreter sums in f64, and near-zero
    /// outputs then differ by ~1e-8 absolute, ~1e-4 against parity's 1e-3 floor. The
    /// same pipeline with linear's output given as an input is held to 1e-5 below.
    @Test func patchEmbedEmbed() throws {
        let m = try verified(try repoFile("IR/patch_embed.ir"), file: "patch_embed.ir")
        #expect(try parity(m, "embed", bindings: ["N": 2]) < 1e-3)
    }

    @Test func patchEmbedEmbedWithoutLinear() throws {
        let text = try repoFile("IR/patch_embed.ir")
            .replacingOccurrences(of: "%position_mask: u8[N, 64]) -> f32[N, 65, 128] {",
                                  with: "%position_mask: u8[N, 64], %x: f32[N, 64, 128]) {")
            .replacingOccurrences(of: "  %x = linear %patches, %w, @patch_embed.proj.bias\n", with: "")
            .replacingOccurrences(of: "return %tokens", with: "return %tokens, %patches")
        let m = try verified(text, file: "patch_embed.ir")
        #expect(!text.contains("linear %patches"))
        for n in [1, 2] {
            #expect(try parity(m, "embed", bindings: ["N": n]) < 1e-5)
        }
    }

    /// A NaN box cannot fail in generated code: its coordinates clamp to 0 (the
    /// interpreter reports the box as an error).
    @Test func nanBoxClampsToTheFirstCell() throws {
        let m = try verified("""
            func @f(%field: f32[4, 4, 2], %b: f32[1, 4], %fl: u8[1]) {
              %s = crop_sample %field, %b, %fl {grid = 2, source = 4}
              return %s
            }
            """)
        let jit = try JITModule(module: m, functions: ["f"])
        let field = Tensor(dtype: .f32, shape: [4, 4, 2], scalars: (0..<32).map(Double.init))
        let box = Tensor(dtype: .f32, shape: [1, 4], scalars: [.nan, .nan, 1, 1])
        let out = try jit.run(function: "f", inputs: [field, box, Tensor(dtype: .u8, shape: [1], scalars: [0])], params: [:])
        #expect(out[0].scalars == [0, 1, 0, 1, 0, 1, 0, 1])
    }
}
