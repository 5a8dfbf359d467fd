import Testing
import VFCIR
import VFCInterpreter
import VFCTensor
import VFCTestSupport

/// Binding failures keep their structure: the case names the argument, and a caller that
/// calls the arguments something else (a training batch: tensors) words the same error its
/// own way without editing the message.
@Test func bindingFailuresAreTypedCases() throws {
    let m = try verified("""
        func @f(%x: f32[N, 4], %y: f64[2*N]) {
          return %x
        }
        """)
    let f = try #require(m.function(named: "f"))
    func failure(_ inputs: [Tensor], given: [String: Int] = [:]) -> BindingError? {
        do {
            _ = try bindSymbols(function: f, inputs: inputs, given: given)
            return nil
        } catch {
            guard case .binding(let e) = error else { return nil }
            return e
        }
    }
    let x = Tensor(dtype: .f32, shape: [3, 4])
    let shape = try #require(failure([x, Tensor(dtype: .f64, shape: [5])]))
    #expect(shape == .mismatch(argument: "y", expected: "f64[2*N] (N=3)", got: "[5]"))
    #expect(shape.description == "argument %y: expected f64[2*N] (N=3), got [5]")
    #expect(shape.message(argumentNoun: "tensor") == "tensor %y: expected f64[2*N] (N=3), got [5]")
    #expect(failure([x]) == .argumentCount(function: "f", expected: 2, got: 1))
    #expect(failure([x, Tensor(dtype: .f64, shape: [6])], given: ["N": -1]) == .negativeBinding(symbol: "N", value: -1))
    #expect(failure([x, Tensor(dtype: .f64, shape: [6])]) == nil)
    // Through the interpreter the same failure is an InterpreterError about the call.
    do {
        _ = try Interpreter(module: m).run(function: "f", inputs: [x, Tensor(dtype: .f64, shape: [5])], params: [:])
        Issue.record("ran with a mismatched input")
    } catch let e as InterpreterError {
        #expect(e.diagnostics.isEmpty)
        guard case .binding(.mismatch(argument: "y", _, _)) = e else { Issue.record("not a binding error: \(e)"); return }
    }
}
