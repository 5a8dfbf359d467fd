import Foundation
import Testing
import VFCIR
import VFCTensor
import VFCInterpreter
import VFCTestSupport

@Test func microVitBlockRunsAndF32TracksF64() throws {
    let m = try verified(try repoFile("IR/vit_block.ir"))
    let f = try #require(m.function(named: "block"))
    let x = try randomInputs(function: f, bindings: ["N": 2, "T": 65], seed: 1)
    let p32 = try initialParams(module: m, seed: 3, floatType: nil)
    let y32 = try Interpreter(module: m).run(function: "block", inputs: x, params: p32)[0]
    let y64 = try Interpreter(module: m, floatType: .f64)
        .run(function: "block", inputs: x, params: try initialParams(module: m, seed: 3, floatType: .f64))[0]
    #expect(y32.dtype == .f32 && y32.shape == [2, 65, 128])
    #expect(y64.dtype == .f64 && y64.shape == [2, 65, 128])
    // f32 params given to an f64 run are widened: the same values, so the same result.
    let y64From32 = try Interpreter(module: m, floatType: .f64).run(function: "block", inputs: x, params: p32)[0]
    #expect(y64From32 == y64)
    let diff = zip(y32.scalars, y64.scalars).map { Swift.abs($0 - $1) }.max() ?? .nan
    #expect(diff > 0 && diff < 1e-4, "max |f32 - f64| = \(diff)")
    #expect(y32.scalars.allSatisfy { $0.isFinite })
    // The residual stream dominates at init (weights std 0.02), but the block must change it.
    #expect(y32 != x[0])
    // Deterministic: the same run gives the same bits.
    #expect(try Interpreter(module: m).run(function: "block", inputs: x, params: p32)[0] == y32)
}
