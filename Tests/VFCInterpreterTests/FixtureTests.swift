import Foundation
import Testing
import VFCIR
import VFCTensor
import VFCInterpreter
import VFCTestSupport

/// The interpreter in f64 against the NumPy float64 fixtures of Tests/fixtures
/// (an independent implementation of method.md sections 2 and 3; make_fixtures.py).
@Suite struct FixtureTests {
    func fixture(_ name: String, file: String = #filePath) throws -> SafetensorsFile {
        let root = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
        return try SafetensorsFile.read(path: root.appendingPathComponent("fixtures/\(name).safetensors").path)
    }

    /// Runs `function` of `Tests/fixtures/<name>.ir` on the fixture's inputs and params in f64.
    func run(_ name: String, _ function: String) throws -> (Tensor, SafetensorsFile) {
        let m = try verified(try repoFile("Tests/fixtures/\(name).ir"), file: "\(name).ir")
        let fx = try fixture(name)
        let f = try #require(m.function(named: function))
        let inputs = try f.arguments.map { a in try #require(fx.tensors[f.values[a.index].name]) }
        var params: [String: Tensor] = [:]
        for p in m.params { params[p.name] = try #require(fx.tensors[p.name]) }
        let out = try Interpreter(module: m, floatType: .f64).run(function: function, inputs: inputs, params: params)
        return (out[0], fx)
    }

    func maxRelativeError(_ a: Tensor, _ b: Tensor) -> Double {
        zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) / Swift.max(Swift.abs($1), 1e-3) }.max() ?? .infinity
    }

    @Test func vitBlockMatchesNumPy() throws {
        let (out, fx) = try run("block_small", "block")
        let expected = try #require(fx.tensors["expected.result0"])
        #expect(out.shape == expected.shape)
        #expect(maxRelativeError(out, expected) < 1e-10)
    }

    @Test func cropSampleAddEmbeddingMatchesNumPy() throws {
        let (out, fx) = try run("embed_small", "embed")
        let expected = try #require(fx.tensors["expected.result0"])
        #expect(out.shape == expected.shape)
        #expect(maxRelativeError(out, expected) < 1e-10)
    }

    @Test func cropSampleMatchesNumPy() throws {
        let (out, fx) = try run("embed_small", "sample")
        let expected = try #require(fx.tensors["expected.pe"])
        #expect(out.shape == expected.shape)
        #expect(maxRelativeError(out, expected) < 1e-10)
    }
}
