import Foundation
import Testing
@testable import VFCIR

/// The op table (`OpCode.info`) against the places that must agree with it: the parser and
/// printer (each op's syntax parses to that op and prints back the same), the name tables,
/// the kinds that share a case of `Op`, and docs/IR.md's op table. The per-layer rules
/// (shape, gradient, interpreter, lowering) are exhaustive switches: the compiler checks those.
@Suite struct OpTableTests {
    @Test func everyOpHasADeclaration() {
        var names = Set<String>()
        for code in OpCode.allCases {
            let i = code.info
            #expect(i.code == code)
            #expect(names.insert(i.name).inserted, "\(i.name) declared twice")
            #expect(!i.doc.isEmpty, "\(i.name) has no doc line")
            #expect(i.syntax.hasPrefix(i.name + " ") || i.syntax == i.name, "\(i.name): syntax '\(i.syntax)' does not start with the name")
            #expect(OpCode(name: i.name) == code)
        }
        #expect(OpSyntax.allNames == OpCode.allCases.map(\.rawValue))
    }

    /// Each kind enum that shares a case of `Op` (unary, binary, compare, reduce) has a
    /// table entry of the same name, so `Op.code` finds one.
    @Test func everyKindHasATableEntry() {
        for u in UnaryOp.allCases { #expect(OpCode(name: u.rawValue) != nil, "unary \(u) has no entry") }
        for b in BinaryOp.allCases { #expect(OpCode(name: b.rawValue) != nil, "binary \(b) has no entry") }
        for c in CompareOp.allCases { #expect(OpCode(name: c.rawValue) != nil, "compare \(c) has no entry") }
        for r in ReduceOp.allCases { #expect(OpCode(name: "reduce_" + r.rawValue) != nil, "reduce \(r) has no entry") }
    }

    /// The syntax of every op parses to that op (operand count within its arity) and the
    /// printer writes it back unchanged.
    @Test(arguments: OpCode.allCases)
    func syntaxRoundTrips(_ code: OpCode) throws {
        let i = code.info
        let operands = Self.valueNames(in: i.syntax)
        let results = (0..<Swift.max(1, Self.minimum(i.results))).map { "%r\($0)" }
        let arguments = operands.map { "%\($0): f32[2]" }.joined(separator: ", ")
        let text = """
            func @f(%x0: f32[2]) -> f32[2] {
              return %x0
            }

            func @t(\(arguments)) {
              \(results.joined(separator: ", ")) = \(i.syntax)
              return
            }

            """
        let m = try Parser.parse(text, file: "\(i.name).ir")
        let inst = try #require(m.function(named: "t")?.body.first)
        #expect(inst.op.code == code)
        #expect(i.operands.admits(inst.operands.count), "\(i.name): \(inst.operands.count) operands, arity \(i.operands)")
        #expect(i.results.admits(inst.results.count), "\(i.name): \(inst.results.count) results, arity \(i.results)")
        let printed = Printer.print(m.function(named: "t")!).split(separator: "\n")[1]
        #expect(printed == "  \(results.joined(separator: ", ")) = \(i.syntax)")
    }

    /// docs/IR.md's op table is the generated one (`OpCode.markdownTable`). With
    /// VFC_UPDATE_DOCS=1 the test writes it instead.
    @Test func docsTableIsGenerated() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/IR.md").path
        let doc = try String(contentsOfFile: path, encoding: .utf8)
        let begin = "<!-- op table: generated from Sources/VFCIR/Ops/OpTable.swift (VFC_UPDATE_DOCS=1 swift test --filter OpTableTests) -->\n"
        let end = "<!-- end of op table -->"
        let start = try #require(doc.range(of: begin), "docs/IR.md has no op table marker")
        let stop = try #require(doc.range(of: end, range: start.upperBound..<doc.endIndex))
        let generated = OpCode.markdownTable()
        if ProcessInfo.processInfo.environment["VFC_UPDATE_DOCS"] == "1" {
            try (doc[..<start.upperBound] + generated + doc[stop.lowerBound...]).write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        #expect(String(doc[start.upperBound..<stop.lowerBound]) == generated, "docs/IR.md's op table is stale: run VFC_UPDATE_DOCS=1 swift test --filter OpTableTests")
    }

    static func valueNames(in syntax: String) -> [String] {
        var names: [String] = []
        var rest = Substring(syntax)
        while let p = rest.firstIndex(of: "%") {
            let after = rest[rest.index(after: p)...]
            let name = after.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            if !names.contains(String(name)) { names.append(String(name)) }
            rest = after.dropFirst(name.count)
        }
        return names
    }

    static func minimum(_ a: Arity) -> Int {
        switch a {
        case .exactly(let k), .atLeast(let k): return k
        }
    }
}
