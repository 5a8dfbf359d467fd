import Testing
@testable import VFCIR

/// The lexer, parser and verifier throw enum cases that carry the values their message
/// names, at the offending token; the printed text is the case's description.
@Suite struct ParseVerifyErrorTests {
    /// The single diagnostic `text` gives, or nil when it verifies or gives several.
    func diagnostic(_ text: String) -> Diagnostic? {
        guard case .failure(let e) = check(text), e.diagnostics.count == 1 else { return nil }
        return e.diagnostics[0]
    }

    @Test func expectedTokenCarriesTheKindAndWhatWasFound() {
        let d = diagnostic("param @w f32[4]\n")
        #expect(d?.body == .parse(.expectedToken(.colon, what: "':' and the parameter type", found: .token(.identifier, "f32"))))
        #expect(d?.loc.line == 1)
        #expect(d?.loc.column == 10)
        #expect(d?.message == "expected ':' and the parameter type, found 'f32'")
        let eof = diagnostic("func @f(%x: f32[4]) -> f32[4] {\n  return %x\n")
        #expect(eof?.body == .parse(.unclosedFunction("f")))
    }

    @Test func redefinitionCarriesTheNameAndTheFirstLocation() {
        let d = diagnostic("param @w : f32[4]\nparam @w : f32[4]\n")
        #expect(d?.body == .parse(.redefinedSymbol("w", firstDefinedAt: SourceLoc(file: "t.ir", line: 1, column: 1))))
        #expect(d?.loc.line == 2)
        #expect(d?.message == "redefinition of '@w' (first defined at t.ir:1:1)")
        let v = diagnostic(fn("%x: f32[4]", "  %x = neg %x", ret: "%x"))
        #expect(v?.body == .parse(.redefinedValue("x")))
    }

    @Test func unknownNamesAndValuesAreCarried() {
        #expect(diagnostic(fn("%x: f32[4]", "  %r = frobnicate %x"))?.body == .parse(.unknownOp("frobnicate")))
        #expect(diagnostic(fn("%x: f64x[4]", "  %r = neg %x"))?.body == .parse(.unknownDType("f64x")))
        #expect(diagnostic("param @w : f32[4] = gaussian(1)\n")?.body == .parse(.unknownInitializer("gaussian")))
        let u = diagnostic("param @w : f32[4] = uniform(2, 1)\n")
        #expect(u?.body == .parse(.uniformBounds(lo: 2, hi: 1)))
        #expect(u?.message == "uniform(lo, hi) needs lo < hi, got uniform(2, 1)")
        #expect(diagnostic(fn("%x: f32[4]", "  %r = neg %y"))?.body == .parse(.undefinedValue("y")))
        let c = diagnostic(fn("%x: f32[4]", "  %r = neg $x"))
        #expect(c?.body == .parse(.unexpectedCharacter(.ascii("$"))))
        #expect(c?.message == "unexpected character '$'")
    }

    @Test func attributeErrorsNameTheOpAndTheKey() {
        let d = diagnostic(fn("%x: f32[4, 5]", "  %r = reduce_sum %x {axes = [1], axs = [0]}"))
        #expect(d?.body == .parse(.attribute(op: "reduce_sum", .unknown("axs"))))
        #expect(d?.message == "reduce_sum: unknown attribute 'axs'")
        let m = diagnostic(fn("%x: f32[4, 5]", "  %r = transpose %x"))
        #expect(m?.body == .parse(.attribute(op: "transpose", .missing("perm"))))
    }

    @Test func verifierErrorsCarryTheirValues() {
        let r = diagnostic(fn("%x: f32[4]", "  %r = neg %x : f32[5]"))
        #expect(r?.body == .verify(.resultType(op: "neg", written: TensorType(.f32, [Dim(5)]), inferred: TensorType(.f32, [Dim(4)]))))
        #expect(r?.message == "neg: result type f32[5] was written, but the op gives f32[4]")
        let a = diagnostic(fn("%x: f32[4]", "  %r = add %x"))
        #expect(a?.body == .verify(.operandCount(op: "add", expected: .exactly(2), roles: ["a", "b"], got: 1)))
        #expect(a?.message == "add: expected 2 operands (a, b), got 1")
        let p = diagnostic("param @w : f32[N]\n")
        #expect(p?.body == .verify(.paramNotStatic(param: "w", TensorType(.f32, [Dim(symbol: "N")]))))
        #expect(p?.message == "param: '@w' must have a static shape, got f32[N]")
        let u = diagnostic(fn("%x: f32[4]", "  %r = add %x, @nope"))
        #expect(u?.body == .verify(.undefinedParam(op: "add", "nope")))
        let ret = diagnostic("func @f(%x: f32[4]) -> f32[5] {\n  return %x\n}\n")
        #expect(ret?.body == .verify(.returnTypes(function: "f", declared: [TensorType(.f32, [Dim(5)])], returned: [TensorType(.f32, [Dim(4)])])))
    }
}
