import Testing
import VFCIR
@testable import VFCPasses

/// A module with something for every pass: calls with symbol binding, constants to fold,
/// identities, duplicates and dead code.
let everythingModule = """
param @w : f32[8, 8] = trunc_normal(0.02)
func @layer(%h: f32[M, 8]) -> f32[M, 8] {
  %p = matmul %h, @w
  %a = gelu %p
  %z = constant {value = 0} : f32[M, 8]
  %b = add %a, %z
  %c = add %b, %h
  return %c
}
func @main(%x: f32[B, 2, 8]) -> (f32[B, 2, 8], f32[2]) {
  %f = reshape %x {shape = [2*B, 8]}
  %l1 = call @layer(%f)
  %l2 = call @layer(%l1)
  %dup = call @layer(%l1)
  %sum = add %l2, %dup
  %t = transpose %sum {perm = [1, 0]}
  %tt = transpose %t {perm = [1, 0]}
  %o = reshape %tt {shape = [B, 2, 8]}
  %k = constant {value = [1, 2]} : f32[2]
  %k2 = mul %k, 2
  %k3 = neg %k2
  %dead = exp %o
  return %o, %k3
}
"""

@Test(arguments: ["shape-infer", "inline", "canonicalize", "cse", "dce", PassRegistry.cleanupPipeline])
func passesAreIdempotent(_ pipeline: String) throws {
    let once = try optimize(pipeline, everythingModule)
    let twice = try optimize(pipeline, once)
    #expect(once == twice)
}

@Test func cleanupPipelineOnTheSampleModule() throws {
    let out = try optimize(PassRegistry.cleanupPipeline, everythingModule)
    #expect(out.hasSuffix(ir("""

        func @main(%x: f32[B, 2, 8]) -> (f32[B, 2, 8], f32[2]) {
          %f = reshape %x {shape = [2*B, 8]} : f32[2*B, 8]
          %p = matmul %f, @w : f32[2*B, 8]
          %a = gelu %p : f32[2*B, 8]
          %l1 = add %a, %f : f32[2*B, 8]
          %p.1 = matmul %l1, @w : f32[2*B, 8]
          %a.1 = gelu %p.1 : f32[2*B, 8]
          %l2 = add %a.1, %l1 : f32[2*B, 8]
          %sum = add %l2, %l2 : f32[2*B, 8]
          %o = reshape %sum {shape = [B, 2, 8]} : f32[B, 2, 8]
          %k3 = constant {value = [-2, -4]} : f32[2]
          return %o, %k3
        }

        """)))
}
