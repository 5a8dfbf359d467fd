import Testing
import VFCIR
import VFCTensor
import VFCInterpreter
import VFCTestSupport

private let params = """
param @z: f32[3] = zeros
param @o: f64[2, 2] = ones
param @n: f32[1000] = normal(2)
param @t: f32[1000] = trunc_normal(0.02)
param @u: f32[1000] = uniform(-1, 3)
func @f(%x: f32[3]) { %y = add %x, @z\n return %y }
"""

@Test func initialParamsFollowTheirInitializers() throws {
    let m = try verified(params)
    let p = try initialParams(module: m, seed: 7, floatType: nil)
    #expect(p.count == 5)
    #expect(p["z"] == Tensor(dtype: .f32, shape: [3]))
    #expect(p["o"] == T([2, 2], [1, 1, 1, 1]))
    let n = try #require(p["n"]), t = try #require(p["t"]), u = try #require(p["u"])
    #expect(n.dtype == .f32 && n.shape == [1000])
    // Sample statistics of 1000 draws: loose bounds, but a wrong std or range fails them.
    let mean = n.scalars.reduce(0, +) / 1000
    let std = (n.scalars.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 1000).squareRoot()
    #expect(Swift.abs(mean) < 0.3 && std > 1.7 && std < 2.3, "mean \(mean) std \(std)")
    #expect(t.scalars.allSatisfy { Swift.abs($0) <= 0.04 + 1e-9 })
    #expect(t.scalars.contains { Swift.abs($0) > 0.03 })
    #expect(u.scalars.allSatisfy { $0 >= -1 && $0 < 3 })
    #expect(u.scalars.min()! < -0.9 && u.scalars.max()! > 2.9)
    // Values are f32 (every element survives the round trip through Float).
    #expect(t.scalars.allSatisfy { Double(Float($0)) == $0 })
}

@Test func initialParamsAreDeterministicPerNameAndSeed() throws {
    let m = try verified(params)
    let a = try initialParams(module: m, seed: 7, floatType: nil)
    #expect(try initialParams(module: m, seed: 7, floatType: nil) == a)
    #expect(try initialParams(module: m, seed: 8, floatType: nil)["t"] != a["t"])
    // Adding a param before the others, or reordering, leaves their values unchanged.
    let m2 = try verified("param @extra: f32[5] = normal(1)\n" + params.replacingOccurrences(of: "param @z: f32[3] = zeros\n", with: "") + "param @z: f32[3] = zeros\n")
    let b = try initialParams(module: m2, seed: 7, floatType: nil)
    for k in ["z", "o", "n", "t", "u"] { #expect(b[k] == a[k], "\(k)") }
    // f64 mode carries the same (f32) values as f64 tensors.
    let c = try initialParams(module: m, seed: 7, floatType: .f64)
    #expect(c["t"]?.dtype == .f64 && c["t"]?.scalars == a["t"]?.scalars)
}

@Test func randomInputsNeedEverySymbolBound() throws {
    let m = try verified("""
    func @f(%x: f32[N, T], %m: u8[N], %i: i64[T], %b: i1[2], %d: f64[B]) { return %x }
    """)
    let f = try #require(m.function(named: "f"))
    let msg = interpreterError { _ = try randomInputs(function: f, bindings: ["N": 2], seed: 0) }
    #expect(msg == "error: random inputs of @f need a size for B, T (e.g. --bind B=2)")
    let inputs = try randomInputs(function: f, bindings: ["N": 3, "T": 50, "B": 4], seed: 0)
    #expect(inputs.map(\.shape) == [[3, 50], [3], [50], [2], [4]])
    #expect(inputs.map(\.dtype) == [.f32, .u8, .i64, .i1, .f64])
    #expect(inputs[2].scalars.allSatisfy { [0, 1, 2, 3].contains($0) })
    #expect(Set(inputs[2].scalars).count == 4)
    #expect(inputs[1].scalars.allSatisfy { $0 == 0 || $0 == 1 })
    #expect(inputs[0].scalars.contains { $0 < 0 } && inputs[0].scalars.contains { $0 > 1 })
    #expect(try randomInputs(function: f, bindings: ["N": 3, "T": 50, "B": 4], seed: 0) == inputs)
    #expect(try randomInputs(function: f, bindings: ["N": 3, "T": 50, "B": 4], seed: 1)[0] != inputs[0])
}
