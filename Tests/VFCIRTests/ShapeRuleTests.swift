import Testing
@testable import VFCIR

/// One happy path per op: (arguments, op line producing %r, expected type of %r).
let happyCases: [(String, String, String)] = [
    ("%x: f32[N, 4]", "%r = exp %x", "f32[N, 4]"),
    ("%x: i32[3]", "%r = neg %x", "i32[3]"),
    ("%x: u8[3]", "%r = not %x", "u8[3]"),
    ("%x: f32[N, 4], %y: f32[N, 4]", "%r = add %x, %y", "f32[N, 4]"),
    ("%x: f32[N, 4]", "%r = mul %x, 0.5", "f32[N, 4]"),
    ("%x: f32[N, 4], %s: f32[]", "%r = div %x, %s", "f32[N, 4]"),
    ("%x: f32[N, 4]", "%r = pow 2, %x", "f32[N, 4]"),
    ("%x: f32[N, 4], %y: f32[N, 4]", "%r = lt %x, %y", "i1[N, 4]"),
    ("%c: u8[N], %a: f32[N], %b: f32[N]", "%r = select %c, %a, %b", "f32[N]"),
    ("%c: i1[N, 2], %a: f32[]", "%r = select %c, %a, 0.5", "f32[N, 2]"),
    ("%x: f32[2]", "%r = constant {value = [1, 2, 3]} : f32[3]", "f32[3]"),
    ("%x: f32[2]", "%r = constant {value = 0} : f32[N, 2]", "f32[N, 2]"),
    ("%x: u8[N, 3]", "%r = convert %x {dtype = f32}", "f32[N, 3]"),
    ("%x: f32[4]", "%r = broadcast %x {shape = [N, 3, 4], dims = [2]}", "f32[N, 3, 4]"),
    ("%x: f32[1, 4]", "%r = broadcast %x {shape = [3, 4], dims = [0, 1]}", "f32[3, 4]"),
    ("%x: f32[B, 2, 8]", "%r = reshape %x {shape = [2*B, 8]}", "f32[2*B, 8]"),
    ("%x: f32[N, 2, 3]", "%r = transpose %x {perm = [2, 0, 1]}", "f32[3, N, 2]"),
    ("%x: f32[N, 10]", "%r = slice %x {axis = 1, start = 1, end = 8, step = 3}", "f32[N, 3]"),
    ("%x: f32[N, 1, 4], %y: f32[N, 64, 4]", "%r = concat %x, %y {axis = 1}", "f32[N, 65, 4]"),
    ("%x: f32[N, 4], %y: f32[2*N, 4]", "%r = concat %x, %y {axis = 0}", "f32[3*N, 4]"),
    ("%x: f32[10, D], %i: i32[N, 3]", "%r = take %x, %i {axis = 0}", "f32[N, 3, D]"),
    ("%x: f32[N, 4, 5]", "%r = reduce_sum %x {axes = [0, 2]}", "f32[4]"),
    ("%x: f32[N, 4, 5]", "%r = reduce_mean %x {axes = [-1], keep_dims}", "f32[N, 4, 1]"),
    ("%x: f32[N, 4, 5]", "%r = reduce_max %x {axes = []}", "f32[N, 4, 5]"),
    ("%a: f32[N, 3, 4], %b: f32[4, 5]", "%r = matmul %a, %b", "f32[N, 3, 5]"),
    ("%a: f32[N, 3, 4], %b: f32[N, 5, 4]", "%r = matmul %a, %b {transpose_b}", "f32[N, 3, 5]"),
    ("%a: f32[4, 3], %b: f32[4, 5]", "%r = matmul %a, %b {transpose_a}", "f32[3, 5]"),
    ("%x: f32[N, T, 4], %w: f32[8, 4], %b: f32[8]", "%r = linear %x, %w, %b", "f32[N, T, 8]"),
    ("%x: f32[N, 5]", "%r = softmax %x {axis = -1}", "f32[N, 5]"),
    ("%x: f64[N, 5]", "%r = log_softmax %x {axis = 0}", "f64[N, 5]"),
    ("%x: f32[N, 5], %w: f32[5], %b: f32[5]", "%r = layer_norm %x, %w, %b {eps = 1e-6}", "f32[N, 5]"),
    ("%x: f32[N, 5]", "%r = l2_normalize %x {axis = 1, eps = 1e-12}", "f32[N, 5]"),
    ("%x: f32[N, 3, 16, 8]", "%r = patchify %x {patch = 4}", "f32[N, 8, 48]"),
    ("%f: f32[16, 16, 8], %b: f32[N, 4], %fl: u8[N]", "%r = crop_sample %f, %b, %fl {grid = 4, source = 16}", "f32[N, 16, 8]"),
    ("%x: f32[N, 16, 8], %f: f32[16, 16, 8], %b: f32[N, 4], %fl: u8[N], %mc: u8[N, 16], %t: f32[8], %mp: i1[N, 16], %p: f32[8]",
     "%r = crop_sample_add %x, %f, %b, %fl, %mc, %t, %mp, %p {grid = 4, source = 16}", "f32[N, 16, 8]"),
    ("%x: f32[N, 4]", "%r = stop_gradient %x", "f32[N, 4]"),
]

/// One or more errors per op: (arguments, op line, expected message after the location).
let errorCases: [(String, String, String)] = [
    ("%x: i32[4]", "%r = exp %x", "exp: operand must be f32 or f64, got i32[4]"),
    ("%x: f32[4]", "%r = not %x", "not: operand must be i1 or u8, got f32[4]"),
    ("%x: f32[N, 4], %y: f32[M, 4]", "%r = add %x, %y", "add: operand shapes differ: lhs f32[N, 4], rhs f32[M, 4]"),
    ("%x: f32[4], %y: f64[4]", "%r = mul %x, %y", "mul: element types differ: lhs f32[4], rhs f64[4]"),
    ("%x: f32[4]", "%r = add 1, 2", "add: at least one operand must be a tensor"),
    ("%x: f32[4]", "%r = add %x", "add: expected 2 operands (a, b), got 1"),
    ("%x: f32[4]", "%r = sub %x, %x, %x", "sub: expected 2 operands (a, b), got 3"),
    ("%x: i32[4]", "%r = and %x, %x", "and: operands must be i1 or u8, got i32[4]"),
    ("%c: f32[4], %a: f32[4]", "%r = select %c, %a, %a", "select: condition must be i1 or u8, got f32[4]"),
    ("%c: u8[3], %a: f32[4]", "%r = select %c, %a, %a", "select: condition u8[3] and values f32[4] have different shapes"),
    ("%x: f32[4]", "%r = constant {value = [1, 2]} : f32[3]", "constant: 2 values given for f32[3], which has 3 elements"),
    ("%x: f32[4]", "%r = constant {value = 1}", "constant: the result type must be written"),
    ("%x: f32[4]", "%r = broadcast %x {shape = [3, 5], dims = [1]}", "broadcast: operand f32[4] dim 0 is 4, cannot broadcast to 5"),
    ("%x: f32[4]", "%r = broadcast %x {shape = [4, 3], dims = [0, 1]}", "broadcast: 'dims' has 2 entries but operand f32[4] has rank 1"),
    ("%x: f32[N, 4]", "%r = reshape %x {shape = [N, 5]}", "reshape: cannot reshape f32[N, 4] to [N, 5]: element counts differ"),
    ("%x: f32[N, 4]", "%r = reshape %x {shape = [4, 4]}", "reshape: cannot reshape f32[N, 4] to [4, 4]"),
    ("%x: f32[N, 4]", "%r = transpose %x {perm = [0, 0]}", "transpose: 'perm' [0, 0] is not a permutation of the 2 axes of f32[N, 4]"),
    ("%x: f32[N, 4]", "%r = slice %x {axis = 1, start = 2, end = 5}", "slice: slice [2, 5) is out of bounds for axis 1 of f32[N, 4] (size 4)"),
    ("%x: f32[N, 4]", "%r = slice %x {axis = 0, start = 0, end = 1}", "slice: sliced axis 0 of f32[N, 4] must be static, got N"),
    ("%x: f32[N, 4]", "%r = slice %x {axis = 1, start = 0, end = 1, step = 0}", "slice: 'step' must be at least 1, got 0"),
    ("%x: f32[N, 4]", "%r = slice %x {axis = 2, start = 0, end = 1}", "slice: axis 2 is out of range for f32[N, 4] (rank 2)"),
    ("%x: f32[N, 4], %y: f32[N, 5]", "%r = concat %x, %y {axis = 0}", "concat: operand 1 f32[N, 5] differs from operand 0 f32[N, 4] in dim 1"),
    ("%x: f32[N, 4], %y: f32[1, 4]", "%r = concat %x, %y {axis = 0}", "concat: cannot add dims N and 1 along the concat axis"),
    ("%x: f32[10, 4], %i: f32[3]", "%r = take %x, %i {axis = 0}", "take: indices must be i32 or i64, got f32[3]"),
    ("%x: f32[N, 4]", "%r = reduce_sum %x {axes = [1, 1]}", "reduce_sum: axis 1 appears twice in 'axes' [1, 1]"),
    ("%x: i32[4]", "%r = reduce_mean %x {axes = [0]}", "reduce_mean: operand must be f32 or f64, got i32[4]"),
    ("%a: f32[4, 8], %b: f32[4, 8]", "%r = matmul %a, %b", "matmul: contracting dimensions differ: lhs f32[4, 8] dim 1 is 8, rhs f32[4, 8] dim 0 is 4"),
    ("%a: f32[N, 3, 4], %b: f32[M, 4, 5]", "%r = matmul %a, %b", "matmul: batch dimensions differ: lhs f32[N, 3, 4] dim 0 is N, rhs f32[M, 4, 5] dim 0 is M"),
    ("%a: f32[4], %b: f32[4, 5]", "%r = matmul %a, %b", "matmul: operands must have rank at least 2"),
    ("%x: f32[N, 5], %w: f32[8, 4], %b: f32[8]", "%r = linear %x, %w, %b", "linear: input widths differ: x f32[N, 5] dim 1 is 5, weight f32[8, 4] dim 1 is 4"),
    ("%x: f32[N, 4], %w: f32[8, 4], %b: f32[4]", "%r = linear %x, %w, %b", "linear: bias must be f32[8] to match weight f32[8, 4], got f32[4]"),
    ("%x: f32[N, 5]", "%r = softmax %x {axis = 2}", "softmax: axis 2 is out of range for f32[N, 5] (rank 2)"),
    ("%x: i64[N, 5]", "%r = log_softmax %x", "log_softmax: operand must be f32 or f64, got i64[N, 5]"),
    ("%x: f32[N, 5], %w: f32[4], %b: f32[5]", "%r = layer_norm %x, %w, %b", "layer_norm: weight must be f32[5] to match x f32[N, 5], got f32[4]"),
    ("%x: f32[N, 5], %w: f32[5], %b: f32[5]", "%r = layer_norm %x, %w, %b {eps = 0}", "layer_norm: 'eps' must be finite and positive, got 0"),
    ("%x: f32[N, 5]", "%r = l2_normalize %x {eps = -1}", "l2_normalize: 'eps' must be finite and non-negative, got -1"),
    ("%x: f32[N, 3, 10, 8]", "%r = patchify %x {patch = 4}", "patchify: image 10 x 8 of f32[N, 3, 10, 8] is not divisible by patch 4"),
    ("%x: f32[N, 3, 8]", "%r = patchify %x {patch = 4}", "patchify: views [N, C, H, W] must have rank 4, got f32[N, 3, 8]"),
    ("%f: f32[16, 8, 8], %b: f32[N, 4], %fl: u8[N]", "%r = crop_sample %f, %b, %fl {grid = 4, source = 16}", "crop_sample: field must be [Fs, Fs, D] with a static side, got f32[16, 8, 8]"),
    ("%f: f32[16, 16, 8], %b: f32[N, 3], %fl: u8[N]", "%r = crop_sample %f, %b, %fl {grid = 4, source = 16}", "crop_sample: boxes must be f32[N, 4] (x0, y0, w, h), got f32[N, 3]"),
    ("%f: f32[16, 16, 8], %b: f32[N, 4], %fl: u8[M]", "%r = crop_sample %f, %b, %fl {grid = 4, source = 16}", "crop_sample: flips must be u8[N] (or i1) to match boxes f32[N, 4], got u8[M]"),
    ("%f: f32[16, 16, 8], %b: f32[N, 4], %fl: u8[N]", "%r = crop_sample %f, %b, %fl {grid = 0, source = 16}", "crop_sample: 'grid' must be in 1...4096, got 0"),
    ("%x: f32[N, 9, 8], %f: f32[16, 16, 8], %b: f32[N, 4], %fl: u8[N], %mc: u8[N, 16], %t: f32[8], %mp: u8[N, 16], %p: f32[8]",
     "%r = crop_sample_add %x, %f, %b, %fl, %mc, %t, %mp, %p {grid = 4, source = 16}", "crop_sample_add: x must be f32[N, 16, 8] to match field f32[16, 16, 8] and grid 4, got f32[N, 9, 8]"),
    ("%x: f32[N, 16, 8], %f: f32[16, 16, 8], %b: f32[N, 4], %fl: u8[N], %mc: f32[N, 16], %t: f32[8], %mp: u8[N, 16], %p: f32[8]",
     "%r = crop_sample_add %x, %f, %b, %fl, %mc, %t, %mp, %p {grid = 4, source = 16}", "crop_sample_add: content_mask must be u8[N, 16] (or i1), got f32[N, 16]"),
    ("%x: f32[N, 16, 8], %f: f32[16, 16, 8], %b: f32[N, 4], %fl: u8[N], %mc: u8[N, 16], %t: f32[8], %mp: u8[N, 16], %p: f32[7]",
     "%r = crop_sample_add %x, %f, %b, %fl, %mc, %t, %mp, %p {grid = 4, source = 16}", "crop_sample_add: pos_mask_token must be f32[8], got f32[7]"),
    ("%x: f32[N, 4]", "%r = stop_gradient 1", "stop_gradient: operand must be a tensor, not a literal"),
    ("%x: f32[N, 4]", "%r = neg %x : f32[N, 5]", "neg: result type f32[N, 5] was written, but the op gives f32[N, 4]"),
    ("%x: f32[N, 4]", "%r = neg @nope", "neg: use of undefined parameter '@nope'"),
]

@Suite struct ShapeRuleTests {
    @Test(arguments: happyCases)
    func infersType(args: String, line: String, expected: String) throws {
        #expect(try typeOf("r", in: fn(args, "  " + line)) == expected)
    }

    @Test(arguments: errorCases)
    func reportsError(args: String, line: String, expected: String) {
        let e = errorOf(fn(args, "  " + line))
        #expect(e == "t.ir:2:8: error: \(expected)" || (e.hasPrefix("t.ir:2:") && e.contains(expected)), "got: \(e)")
    }

    @Test func everyOpHasAHappyCase() {
        let covered = Set(happyCases.map { $0.1.split(separator: " ")[2] }.map(String.init))
        let ops = ["exp", "neg", "not", "add", "mul", "div", "pow", "lt", "select", "constant", "convert", "broadcast",
                   "reshape", "transpose", "slice", "concat", "take", "reduce_sum", "reduce_mean", "reduce_max", "matmul",
                   "linear", "softmax", "log_softmax", "layer_norm", "l2_normalize", "patchify", "crop_sample",
                   "crop_sample_add", "stop_gradient"]
        for op in ops { #expect(covered.contains(op), "no happy case for \(op)") }
    }

    @Test func callsUnifySymbols() throws {
        let text = """
            func @g(%a: f32[M, 4]) -> f32[M, 2, 2] {
              %r = reshape %a {shape = [M, 2, 2]}
              return %r
            }
            func @f(%x: f32[N, 2, 4]) {
              %y = reshape %x {shape = [2*N, 4]}
              %r = call @g(%y)
              return %r
            }
            """
        let m = try check(text).get()
        #expect(m.functions[1].resultTypes?.first?.description == "f32[2*N, 2, 2]")
    }

    @Test func callErrors() {
        let recursive = "func @f(%x: f32[2]) {\n  %r = call @f(%x)\n  return %r\n}\n"
        #expect(errorOf(recursive).contains("t.ir:2:8: error: call: recursive call to '@f'"))
        let undefined = "func @f(%x: f32[2]) {\n  %r = call @h(%x)\n  return %r\n}\n"
        #expect(errorOf(undefined) == "t.ir:2:8: error: call: call to undefined function '@h'")
        let mismatch = "func @g(%a: f32[M], %b: f32[M]) {\n  return %a\n}\nfunc @f(%x: f32[2], %y: f32[3]) {\n  %r = call @g(%x, %y)\n  return %r\n}\n"
        #expect(errorOf(mismatch).contains("symbol M of '@g' is bound to 2 and to 3"))
    }

    @Test func errorsDoNotCascade() {
        let text = fn("%x: f32[4]", "  %a = exp %x, %x\n  %b = neg %a\n  %r = add %b, %nope", ret: "%b")
        // The undefined %nope is a parse error; without it, only the first error is reported.
        let text2 = fn("%x: f32[4], %y: f32[5]", "  %a = exp %x, %x\n  %b = neg %a\n  %r = add %x, %y")
        #expect(errorOf(text).contains("use of undefined value '%nope'"))
        if case .failure(let e) = check(text2) {
            #expect(e.diagnostics.count == 2)
            #expect(e.diagnostics[0].message.hasPrefix("exp: expected 1 operand"))
            #expect(e.diagnostics[1].message.hasPrefix("add: operand shapes differ"))
        } else {
            Issue.record("expected errors")
        }
    }

    @Test func paramsMustBeStaticAndReturnTypesMustMatch() {
        #expect(errorOf("param @p : f32[N]").contains("param: '@p' must have a static shape, got f32[N]"))
        let text = "func @f(%x: f32[4]) -> f32[5] {\n  return %x\n}\n"
        #expect(errorOf(text) == "t.ir:2:3: error: return: function '@f' declares results (f32[5]) but returns (f32[4])")
    }
}
