import Testing
import VFCCodegen
import VFCIR
import VFCTestSupport

/// A module the passes before lowering reject keeps its located diagnostics: the error is
/// `.diagnostics`, not a message to search for a location.
@Test func passDiagnosticsStayLocated() throws {
    let m = try verified(nonDifferentiableModule, file: "g.ir")
    do {
        _ = try LoweredModule(module: m, functions: ["main"], options: CodegenOptions())
        Issue.record("lowered a module the autodiff pass rejects")
    } catch let e as CodegenError {
        guard case .diagnostics(let d) = e else { Issue.record("not the passes' diagnostics: \(e)"); return }
        let first = try #require(d.diagnostics.first)
        #expect(first.loc == SourceLoc(file: "g.ir", line: 2, column: 8))
        #expect(first.message == "gt: no gradient flows through this op from %x to the differentiated result")
        #expect(first.body == .autodiff(.noGradientPath(op: "gt", target: "%x")))
        #expect(e.diagnostics == d.diagnostics)
    }
}

@Test func requestErrorsHaveNoLocation() {
    let e = CodegenError.notCompiled(function: "f")
    #expect(e.diagnostics.isEmpty)
    #expect(e.description == "'@f' was not compiled")
    #expect(CodegenError.internalError("a broken invariant").description == "internal: a broken invariant")
    let at = SourceLoc(file: "m.ir", line: 3, column: 8)
    #expect(CodegenError.unsupported(at, "call: must be inlined").diagnostics == [Diagnostic(at, "call: must be inlined")])
}

/// Request errors carry their values; the message is built from them in one place.
@Test func requestErrorsCarryValues() {
    let e = CodegenError.inputShape("x", expected: BufferType(.f32, [2, 3]), got: BufferType(.f64, [3]))
    #expect(e.description == "input %x: compiled for f32[2, 3], got f64[3]")
    #expect(CodegenError.inputCount(function: "f", expected: 2, got: 1).description == "'@f' takes 2 input(s), got 1")
    #expect(CodegenError.tooManyElements(function: "f", type: TensorType(.f32, [Dim(symbol: "N")]), bindings: ["N": 3, "B": 1]).description
        .contains("with B=1, N=3 has more than"))
}
