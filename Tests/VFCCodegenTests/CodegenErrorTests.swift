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
        #expect(e.diagnostics == d.diagnostics)
    }
}

@Test func requestErrorsHaveNoLocation() {
    let e = CodegenError("'@f' was not compiled")
    #expect(e.diagnostics.isEmpty)
    #expect(e.description == "'@f' was not compiled")
    #expect(CodegenError.internalError("a broken invariant").description == "internal: a broken invariant")
    let at = SourceLoc(file: "m.ir", line: 3, column: 8)
    #expect(CodegenError.unsupported(at, "call: must be inlined").diagnostics == [Diagnostic(at, "call: must be inlined")])
}
