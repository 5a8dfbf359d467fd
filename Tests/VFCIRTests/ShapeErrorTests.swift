import Testing
@testable import VFCIR

/// Shape errors carry the values they are about (types with their dims, axes, attribute
/// values) as enum cases, and the verifier keeps the case in its located diagnostic.
@Suite struct ShapeErrorTests {
    let n = Dim(symbol: "N")

    /// The single diagnostic `text` gives, or nil when it verifies or gives several.
    func diagnostic(_ text: String) -> Diagnostic? {
        guard case .failure(let e) = check(text), e.diagnostics.count == 1 else { return nil }
        return e.diagnostics[0]
    }

    @Test func matmulContractingDimsAreCarriedAsAxesOfTheOperandTypes() {
        let d = diagnostic(fn("%a: f32[N, 3], %b: f32[4, 5]", "  %r = matmul %a, %b"))
        let a = TensorType(.f32, [n, 3]), b = TensorType(.f32, [4, 5])
        #expect(d?.body == .shapeRule(op: "matmul", .dimMismatch(.contracting, lhs: .init("lhs", a, 1), rhs: .init("rhs", b, 0))))
        #expect(d?.loc.line == 2)
        #expect(d?.loc.column == 8)
        #expect(d?.message == "matmul: contracting dimensions differ: lhs f32[N, 3] dim 1 is 3, rhs f32[4, 5] dim 0 is 4")
    }

    @Test func elementwiseShapesKeepTheRolesAndTypesTheUserWrote() {
        let d = diagnostic(fn("%x: f32[N, 4], %y: f32[N, 5]", "  %r = add %x, %y"))
        let x = TensorType(.f32, [n, 4]), y = TensorType(.f32, [n, 5])
        #expect(d?.body == .shapeRule(op: "add", .shapeMismatch(lhsRole: "lhs", lhs: x, rhsRole: "rhs", rhs: y)))
        #expect(d?.message == "add: operand shapes differ: lhs f32[N, 4], rhs f32[N, 5] (broadcasting is explicit: use 'broadcast')")
    }

    @Test func attributeAndAxisErrorsCarryTheValues() {
        let slice = diagnostic(fn("%x: f32[N, 10]", "  %r = slice %x {axis = 1, start = 4, end = 12, step = 1}"))
        let x = TensorType(.f32, [n, 10])
        #expect(slice?.body == .shapeRule(op: "slice", .sliceBounds(start: 4, end: 12, axis: 1, type: x, size: 10)))
        let eps = diagnostic(fn("%x: f32[N, 5], %w: f32[5], %b: f32[5]", "  %r = layer_norm %x, %w, %b {eps = 0}"))
        #expect(eps?.body == .shapeRule(op: "layer_norm", .epsilon(0, allowZero: false)))
        #expect(eps?.message == "layer_norm: 'eps' must be finite and positive, got 0")
        let axis = diagnostic(fn("%x: f32[N, 5]", "  %r = softmax %x {axis = 2}"))
        #expect(axis?.body == .shapeRule(op: "softmax", .axisOutOfRange(axis: 2, type: TensorType(.f32, [n, 5]))))
    }

    @Test func theRulesThrowTheCaseDirectly() {
        let f = TensorType(.f32, [2, 3])
        #expect(throws: ShapeError.arity(expected: 1, roles: "x", got: 2)) {
            try ShapeRules.infer(.unary(.exp), operands: [f, f], declared: [nil])
        }
        #expect(throws: ShapeError.notFloat(role: "operand", got: TensorType(.i32, [2, 3]))) {
            try ShapeRules.infer(.unary(.exp), operands: [TensorType(.i32, [2, 3])], declared: [nil])
        }
        #expect(throws: ShapeError.reshapeCount(f, to: [Dim(5)])) {
            try ShapeRules.infer(.reshape(shape: [Dim(5)]), operands: [f], declared: [nil])
        }
    }
}
