import Testing
import VFCCodegen
import VFCIR
import VFCTensor
import VFCTestSupport

/// Two compiled functions on one set of params (a step split around a collective): the
/// second reads the first's outputs in place, donated results update the shared params,
/// and the first's outputs lie in one zero-padded block that can be changed between calls.
@Suite struct LinkedSessionTests {
    static let source = """
        param @w : f32[5] = zeros
        param @count : i64[] = zeros
        // Reads the state, writes nothing: a gradient and a scalar.
        func @grad(%x: f32[5]) -> (f32[5], f32[]) {
          %g = mul %x, @w
          %s = reduce_sum %x {axes = [0]}
          return %g, %s
        }
        // Updates the state from (summed) gradients.
        func @apply(%g: f32[5], %s: f32[]) -> (f32[5] aliases @w, i64[] aliases @count) {
          %u = mul %g, 0.5
          %v = add %u, %s
          %w = add @w, %v
          %c = add @count, 1
          return %w, %c
        }
        """

    @Test func outputsFeedInputsAndDonationsUpdateTheSharedState() throws {
        let m = try verified(Self.source)
        let jit = try JITModule(module: m, functions: ["grad", "apply"])
        let w0: [Double] = [1, 2, 3, 4, 5]
        let s = try JITLinkedSession(jit: jit, functions: ["grad", "apply"],
                                     params: ["w": Tensor(dtype: .f32, shape: [5], scalars: w0), "count": Tensor(dtype: .i64, shape: [], scalars: [0])])
        let x: [Double] = [1, -1, 2, 0.5, 0]
        try s.call("grad", inputs: [.tensor(Tensor(dtype: .f32, shape: [5], scalars: x))])
        #expect(try s.result("grad", 0).scalars == zip(x, w0).map { $0 * $1 })
        #expect(try s.result("grad", 1).scalars == [2.5])

        // The block holds both outputs (each at a 64-byte boundary, zeros between): double
        // it in place, as a sum over two identical ranks would.
        let block = try #require(s.outputBlock("grad"))
        #expect(block.count == 128)
        let floats = block.bindMemory(to: Float.self)
        #expect(Array(floats[5..<16]).allSatisfy { $0 == 0 })
        for i in floats.indices { floats[i] *= 2 }

        let before = s.paramDigest()
        try s.call("apply", inputs: [.output(function: "grad", index: 0), .output(function: "grad", index: 1)])
        let expected = (0..<5).map { w0[$0] + 0.5 * 2 * x[$0] * w0[$0] + 5 }
        #expect(try s.result("apply", 0).scalars == expected)
        #expect(s.params["w"]!.scalars == expected && s.params["count"]!.scalars == [1])
        #expect(s.paramDigest() != before)

        // The same state gives the same digest in another session.
        let t = try JITLinkedSession(jit: jit, functions: ["grad", "apply"], params: s.params)
        #expect(t.paramDigest() == s.paramDigest())
    }

    @Test func badBindingsAreErrors() throws {
        let jit = try JITModule(module: try verified(Self.source), functions: ["grad", "apply"])
        let s = try JITLinkedSession(jit: jit, functions: ["grad", "apply"],
                                     params: ["w": Tensor(dtype: .f32, shape: [5]), "count": Tensor(dtype: .i64, shape: [])])
        #expect(throws: CodegenError.self) { try s.call("apply", inputs: [.output(function: "grad", index: 1), .output(function: "grad", index: 1)]) }
        #expect(throws: CodegenError.self) { try s.call("apply", inputs: [.output(function: "apply", index: 0), .output(function: "grad", index: 1)]) }
        do {
            try s.call("nope", inputs: [])
            Issue.record("called a function outside the session")
        } catch let e as CodegenError {
            guard case .notInSession(function: "nope") = e else { Issue.record("not notInSession: \(e)"); return }
        }
        #expect(throws: CodegenError.self) {
            try JITLinkedSession(jit: jit, functions: ["grad"], params: [:])
        }
    }
}
