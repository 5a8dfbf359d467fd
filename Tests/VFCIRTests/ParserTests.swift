import Testing
@testable import VFCIR

@Suite struct ParserTests {
    let sample = """
        module @m
        param @w : f32[8, 4] = trunc_normal(0.02)
        param @b : f32[8] = zeros
        param @u : f64[2] = uniform(-1, 1.5)
        // a comment
        func @f(%x: f32[N, 3, 4], %m: u8[N, 3]) -> f32[N, 3, 8] {
          %y = linear %x, @w, @b      // trailing comment
          %z = mul %y, 0.5
          %r = reshape %z {shape = [3*N, 8]}
          %s = reduce_sum %r {axes = [1], keep_dims}
          %g = call @g(%z)
          return %g
        }
        func @g(%a: f32[M, 3, 8]) -> f32[M, 3, 8] {
          %e = exp %a : f32[M, 3, 8]
          return %e
        }
        """

    @Test func parsesStructure() throws {
        let m = try Parser.parse(sample, file: "s.ir")
        #expect(m.name == "m")
        #expect(m.params.map(\.name) == ["w", "b", "u"])
        #expect(m.params[0].initializer == .truncNormal(std: 0.02))
        #expect(m.params[2].initializer == .uniform(lo: -1, hi: 1.5))
        #expect(m.functions.map(\.name) == ["f", "g"])
        let f = m.functions[0]
        #expect(f.arguments.count == 2)
        #expect(f.body.count == 5)
        #expect(f.body[1].operands[1] == .literal(0.5))
        #expect(f.body[0].operands[1] == .param("w"))
        #expect(f.body[3].op == .reduce(.sum, axes: [1], keepDims: true))
        #expect(f.body[2].op == .reshape(shape: [Dim(coefficient: 3, symbols: ["N"]), 8]))
        #expect(f.body[0].loc == SourceLoc(file: "s.ir", line: 7, column: 8))
    }

    @Test func roundTripIsIdempotent() throws {
        var m = try Parser.parse(sample, file: "s.ir")
        try Verifier.run(&m)
        let once = Printer.print(m)
        var again = try Parser.parse(once, file: "p.ir")
        try Verifier.run(&again)
        #expect(Printer.print(again) == once)
        #expect(once.contains("%s = reduce_sum %r {axes = [1], keep_dims = true} : f32[3*N, 1]"))
        #expect(once.contains("%g = call @g(%z) : f32[N, 3, 8]"))
    }

    @Test func numbersRoundTrip() throws {
        for x in [0.1, 1e-6, 1e-12, -2.5, 3.0, 0.17677669529663687, 1e300] {
            let text = fn("%x: f64[2]", "  %r = add %x, \(formatNumber(x))")
            let m = try Parser.parse(text, file: "t.ir")
            #expect(m.functions[0].body[0].operands[1] == .literal(x))
        }
    }

    @Test(arguments: [
        ("func @f(%x: f32[2]) {\n  %r = frobnicate %x\n  return %r\n}", "t.ir:2:8: error: unknown op 'frobnicate'"),
        ("func @f(%x: f32[2]) {\n  %r = neg %y\n  return %r\n}", "t.ir:2:12: error: use of undefined value '%y'"),
        ("func @f(%x: f32[2]) {\n  %x = neg %x\n  return %x\n}", "t.ir:2:3: error: redefinition of '%x'"),
        ("func @f(%x: q32[2]) {\n  return %x\n}", "t.ir:1:13: error: unknown element type 'q32'"),
        ("func @f(%x: f32[2]) {\n  %r = neg %x\n", "t.ir:3:1: error: expected '}' to close function '@f'"),
        ("func @f(%x: f32[2]) {\n  %r = neg %x\n}", "t.ir:3:1: error: function '@f' has no 'return'"),
        ("param @p : f32[100000000000]", "t.ir:1:16: error: dimension 100000000000 is over the limit"),
        ("param @p : f32[100000, 100000]", "t.ir:1:12: error: type f32[100000, 100000] has 10000000000 elements, over the limit"),
        ("param @p : f32[-3]", "t.ir:1:16: error: a dimension must be a non-negative integer or a symbol, found '-3'"),
        ("func @f(%x: f32[2]) {\n  %r = reduce_sum %x {axs = [0]}\n  return %r\n}", "t.ir:2:8: error: reduce_sum: missing attribute 'axes'"),
        ("func @f(%x: f32[2]) {\n  %r = softmax %x {axis = 0, axs = 1}\n  return %r\n}", "t.ir:2:30: error: softmax: unknown attribute 'axs'"),
        ("func @f(%x: f32[2]) {\n  %r = neg %x $\n  return %r\n}", "t.ir:2:15: error: unexpected character '$'"),
        ("param @p : f32[2] = gauss(1)", "t.ir:1:21: error: unknown initializer 'gauss'"),
        ("param @p : f32[2]\nparam @p : f32[3]", "t.ir:2:1: error: redefinition of '@p' (first defined at t.ir:1:1)"),
        ("func @f(%x: f32[2]) {\n  %r = add %x, 99999999999999999999999\n  return %r\n}", ""),
        ("func @f(%x: f32[2]) {\n  %r = slice %x {axis = 0, start = 99999999999999999999999, end = 1}\n  return %r\n}", "integer '99999999999999999999999' is out of range"),
    ])
    func parseErrors(text: String, message: String) {
        let e = errorOf(text)
        if message.isEmpty {
            #expect(e == "<no error>")
        } else {
            #expect(e.contains(message), "got: \(e)")
        }
    }

    @Test func neverTrapsOnTruncations() {
        // Every prefix of a valid module is either valid or a located error.
        for n in 0...sample.utf8.count {
            let prefix = String(decoding: Array(sample.utf8.prefix(n)), as: UTF8.self)
            if case .failure(let e) = check(prefix) {
                #expect(e.description.hasPrefix("t.ir:"))
            }
        }
    }
}
