import Testing
import VFCIR

/// `Printer.uniqueNames` gives duplicates the smallest free `.N` suffix, in definition
/// order, also when a suffixed name is itself a stored name (it remembers where each base
/// name's suffixes stopped instead of counting from 1 each time).
@Test func uniqueNamesGiveTheSmallestFreeSuffix() {
    var f = Function(name: "f")
    let t = TensorType(.f32, [4])
    for name in ["x", "x", "x.2", "x", "y", "x", "", "x.1.1", "x.1"] {
        let v = f.addValue(name: name, type: t, loc: .unknown)
        f.body.append(Instruction(op: .constant(.splat(0)), operands: [], results: [v], loc: .unknown))
    }
    #expect(Printer.uniqueNames(f) == ["x", "x.1", "x.2", "x.3", "y", "x.4", "6", "x.1.1", "x.1.2"])
}

/// Thousands of values sharing a name (an inlined step) are named in linear time.
@Test func uniqueNamesOfManyDuplicates() {
    var f = Function(name: "f")
    let t = TensorType(.f32, [4])
    for _ in 0..<20_000 {
        let v = f.addValue(name: "d", type: t, loc: .unknown)
        f.body.append(Instruction(op: .constant(.splat(0)), operands: [], results: [v], loc: .unknown))
    }
    let names = Printer.uniqueNames(f)
    #expect(names.first == "d")
    #expect(names.last == "d.19999")
    #expect(Set(names).count == names.count)
}
