import Testing
import VFCIR
import VFCTensor
import VFCInterpreter
import VFCTestSupport

private let twoArgs = """
func @f(%x: f32[N, 4], %z: f32[N, T, 32]) {
  %s = reduce_sum %z {axes = [2]}
  return %s
}
"""

@Test func argumentShapeMismatchNamesArgumentAndBothShapes() throws {
    let x = Tensor(dtype: .f32, shape: [2, 4])
    let msg = interpreterError { _ = try run(twoArgs, inputs: [x, Tensor(dtype: .f32, shape: [3, 5, 32])]) }
    #expect(msg == "error: argument %z: expected f32[N, T, 32] (N=2), got [3, 5, 32]")
    let stat = interpreterError { _ = try run(twoArgs, inputs: [Tensor(dtype: .f32, shape: [2, 5]), x]) }
    #expect(stat == "error: argument %x: expected f32[N, 4] (N=2), got [2, 5]")
    let rank = interpreterError { _ = try run(twoArgs, inputs: [x, Tensor(dtype: .f32, shape: [2, 32])]) }
    #expect(rank == "error: argument %z: expected f32[N, T, 32] (N=2), got [2, 32]")
    let dtype = interpreterError { _ = try run(twoArgs, inputs: [Tensor(dtype: .i32, shape: [2, 4]), x]) }
    #expect(dtype == "error: argument %x: expected f32[N, 4], got i32[2, 4]")
    let count = interpreterError { _ = try run(twoArgs, inputs: [x]) }
    #expect(count == "error: function @f takes 2 argument(s), got 1 input(s)")
    // A binding given by the caller constrains the inputs like an earlier argument would.
    let given = interpreterError { _ = try run(twoArgs, inputs: [x, Tensor(dtype: .f32, shape: [2, 5, 32])], bindings: ["N": 8]) }
    #expect(given == "error: argument %x: expected f32[N, 4] (N=8), got [2, 4]")
    let ok = try run1(twoArgs, inputs: [x, Tensor(dtype: .f32, shape: [2, 5, 32])], bindings: ["N": 2])
    #expect(ok.shape == [2, 5])
}

@Test func productDimsAreCheckedAfterBinding() throws {
    // %y comes first, so 2*N can only be checked once %x has bound N.
    let ir = "func @f(%y: f64[2*N], %x: f64[N]) { %c = concat %x, %x {axis = 0}\n %s = add %c, %y\n return %s }"
    let s = try run1(ir, inputs: [T([4], [1, 2, 3, 4]), T([2], [10, 20])])
    #expect(s.scalars == [11, 22, 13, 24])
    let msg = interpreterError { _ = try run(ir, inputs: [T([5], [1, 2, 3, 4, 5]), T([2], [10, 20])]) }
    #expect(msg == "error: argument %y: expected f64[2*N] (N=2), got [5]")
}

@Test func bindingsGivenByTheCallerBindResultOnlySymbols() throws {
    let ir = "func @f(%x: f64[2]) { %b = broadcast %x {shape = [M, 2], dims = [1]}\n return %b }"
    let b = try run1(ir, inputs: [T([2], [1, 2])], bindings: ["M": 3])
    #expect(b.shape == [3, 2] && b.scalars == [1, 2, 1, 2, 1, 2])
    let msg = interpreterError { _ = try run(ir, inputs: [T([2], [1, 2])]) }
    #expect(msg.hasPrefix("test.ir:1:28: error: broadcast: symbol M of f64[M, 2] is not bound by the inputs"), "\(msg)")
    let neg = interpreterError { _ = try run(ir, inputs: [T([2], [1, 2])], bindings: ["M": -1]) }
    #expect(neg == "error: binding M=-1 is negative")
}

@Test func resultsOverTheBudgetAreErrorsNotCrashes() throws {
    let ir = "func @f(%x: f32[]) { %b = broadcast %x {shape = [M, M], dims = []}\n return %b }"
    let msg = interpreterError { _ = try run(ir, inputs: [Tensor(dtype: .f32, shape: [])], bindings: ["M": 1 << 15]) }
    #expect(msg.contains("error: broadcast: result f32[M, M] (M=32768) has 1073741824 elements, over the interpreter's budget of 268435456"), "\(msg)")
    let overflow = interpreterError { _ = try run(ir, inputs: [Tensor(dtype: .f32, shape: [])], bindings: ["M": 1 << 40]) }
    #expect(overflow.contains("has an element count that overflows"), "\(overflow)")
}

@Test func paramsAreCheckedConvertedAndRequired() throws {
    let ir = """
    param @w: f32[2] = ones
    param @b: f32[2] = zeros
    param @k: i32[2] = zeros
    func @f(%x: f32[2]) {
      %y = mul %x, @w
      %z = add %y, @b
      return %z
    }
    func @g(%x: i32[2]) { %y = add %x, @k\n return %y }
    """
    let x = T([2], [1, 2], .f32)
    let missing = interpreterError { _ = try run(ir, inputs: [x]) }
    #expect(missing == "error: missing params: @b, @w")
    let shape = interpreterError { _ = try run(ir, inputs: [x], params: ["w": T([3], [1, 1, 1], .f32), "b": T([2], [0, 0], .f32)]) }
    #expect(shape == "error: param @w: expected f32[2], got [3]")
    // An f64 param for an f32 declaration is rounded to f32.
    let z = try run1(ir, inputs: [x], params: ["w": T([2], [0.1, 1]), "b": T([2], [0, 0], .f32)])
    #expect(z.dtype == .f32 && z.scalars == [Double(Float(0.1)), 2])
    let dtype = interpreterError { _ = try run(ir, "g", inputs: [T([2], [1, 2], .i32)], params: ["k": T([2], [1, 1], .u8)]) }
    #expect(dtype == "error: param @k: expected i32[2], got u8[2]")
}

@Test func callBindsTheCalleesOwnSymbols() throws {
    // The callee's N is twice the caller's N: it is bound from the operand shape, not
    // inherited. The callee's M is bound by nothing but the caller's binding.
    let ir = """
    func @g(%x: f64[N, 2]) {
      %s = reduce_sum %x {axes = [0]}
      %b = broadcast %s {shape = [M, 2], dims = [1]}
      return %s, %b
    }
    func @f(%a: f64[N, 4]) {
      %r = reshape %a {shape = [2*N, 2]}
      %s, %b = call @g(%r)
      return %s, %b
    }
    """
    let out = try run(ir, inputs: [T([1, 4], [1, 2, 3, 4])], bindings: ["M": 2])
    #expect(out[0].shape == [2] && out[0].scalars == [4, 6])
    #expect(out[1].shape == [2, 2] && out[1].scalars == [4, 6, 4, 6])
}

@Test func setupErrorsAreReported() throws {
    let ir = "func @f(%x: f64[2]) { %y = neg %x\n return %y }"
    let unknown = interpreterError { _ = try run(ir, "h", inputs: [T([2], [1, 2])]) }
    #expect(unknown == "error: no function @h in the module (functions: @f)")
    // An unverified module has untyped values: an error, not a crash.
    let raw = try Parser.parse(ir, file: "raw.ir")
    let unverified = interpreterError { _ = try Interpreter(module: raw).run(function: "f", inputs: [T([2], [1, 2])], params: [:]) }
    #expect(unverified.contains("has no type; run the verifier before interpreting"), "\(unverified)")
    let badFloat = interpreterError { _ = try run(ir, inputs: [T([2], [1, 2])], floatType: .i32) }
    #expect(badFloat == "error: floatType must be f32 or f64, got i32")
}

@Test func typesInconsistentWithTheOpAreErrorsNotCrashes() throws {
    // The shape rule is re-checked on concrete shapes, so a module whose types were
    // rewritten after verification (a buggy pass) cannot make a kernel read out of bounds.
    var m = try verified("func @f(%a: f64[2, 3], %b: f64[3, 2]) { %c = matmul %a, %b\n return %c }")
    m.functions[0].values[2].type = TensorType(.f64, [5, 5])
    let res = interpreterError { _ = try Interpreter(module: m).run(function: "f", inputs: [T([2, 3], [1, 2, 3, 4, 5, 6]), T([3, 2], [1, 2, 3, 4, 5, 6])], params: [:]) }
    #expect(res == "test.ir:1:46: error: matmul: the operands give f64[2, 2] but the result type evaluates to f64[5, 5]")
    m.functions[0].values[0].type = TensorType(.f64, [2, 4])
    let arg = interpreterError { _ = try Interpreter(module: m).run(function: "f", inputs: [T([2, 4], [Double](repeating: 1, count: 8)), T([3, 2], [1, 2, 3, 4, 5, 6])], params: [:]) }
    #expect(arg.hasPrefix("test.ir:1:46: error: matmul: contracting dimensions differ"), "\(arg)")
}
