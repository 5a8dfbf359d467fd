import Testing
import VFCIR
@testable import VFCPasses
import VFCTestSupport

/// A small typed module every pipeline can run on.
let sampleModule = """
func @main(%x: f32[N, 4]) -> f32[N, 4] {
  %a = neg %x
  %b = neg %a
  %c = exp %b
  return %c
}
"""

@Test func parsesTextualPipeline() throws {
    let passes = try PassRegistry.standard.parsePipeline("shape-infer,inline,canonicalize,cse,dce")
    #expect(passes.map(\.name) == ["shape-infer", "inline", "canonicalize", "cse", "dce"])
    let spaced = try PassRegistry.standard.parsePipeline(" cse , dce,cse")
    #expect(spaced.map(\.name) == ["cse", "dce", "cse"])
    #expect(try PassManager(pipeline: PassRegistry.cleanupPipeline).passes.count == 5)
}

@Test func unknownPassIsReportedWithTheKnownOnes() {
    let unknown = #expect(throws: DiagnosticError.self) {
        _ = try PassRegistry.standard.parsePipeline("cse, fold,dce")
    }
    #expect(unknown?.description == "<pipeline>:1:6: error: unknown pass 'fold' (known passes: autodiff, canonicalize, cse, dce, fuse-crop-sample, fuse-elementwise, fuse-epilogues, fuse-horizontal, fuse-horizontal-reductions, fuse-reductions, inline, shape-infer)")
    #expect(unknown?.diagnostics.first?.body == .pipeline(.unknownPass("fold", known: PassRegistry.standard.names)))
    let empty = #expect(throws: DiagnosticError.self) { _ = try PassManager(pipeline: "cse,,dce") }
    #expect(empty?.description.hasPrefix("<pipeline>:1:5: error: empty pass name in pipeline 'cse,,dce'") == true)
}

@Test func registryListsEveryPassWithItsSummary() {
    #expect(Set(PassRegistry.all.keys) == ["shape-infer", "inline", "canonicalize", "cse", "dce", "autodiff",
                                           "fuse-crop-sample", "fuse-reductions", "fuse-epilogues", "fuse-elementwise", "fuse-horizontal",
                                           "fuse-horizontal-reductions"])
    let listing = PassRegistry.standard.listing()
    #expect(listing.split(separator: "\n").count == 12)
    #expect(listing.contains("  cse                         reuse the first of identical instructions (all ops are pure)\n"))
    for p in PassRegistry.standard.passes where !p.isTestOnly { #expect(listing.contains(p.summary)) }
}

@Test func verifyEachCatchesABrokenPass() throws {
    var registry = PassRegistry.standard
    registry.register(CorruptTypesPass())
    let passes = try registry.parsePipeline("cse,corrupt-types,dce")
    var m = try verified(sampleModule)
    let error = #expect(throws: DiagnosticError.self) { try PassManager(passes: passes).run(&m) }
    #expect(error?.diagnostics.count == 1)
    // At the corrupted value's definition, with the verifier's own message.
    #expect(error?.description == "test.ir:2:3: error: verification failed after corrupt-types: neg: result type f64[N, 4] was written, but the op gives f32[N, 4]")
    // The context is kept beside the verifier's diagnostic, not spliced into its text.
    #expect(error?.diagnostics.first?.context == .afterPass("corrupt-types"))
    let n = Dim(symbol: "N")
    #expect(error?.diagnostics.first?.body == .verify(.resultType(op: "neg", written: TensorType(.f64, [n, 4]), inferred: TensorType(.f32, [n, 4]))))
    // Without verification the broken module goes through unnoticed.
    var m2 = try verified(sampleModule)
    try PassManager(passes: passes, verifyEach: false).run(&m2)
    #expect(m2.functions[0].values[1].type == TensorType(.f64, [Dim(symbol: "N"), 4]))
}

@Test func verifyResultCatchesABrokenPassOnceAtTheEnd() throws {
    var registry = PassRegistry.standard
    registry.register(CorruptTypesPass())
    let passes = try registry.parsePipeline("cse,corrupt-types,dce")
    var pm = PassManager(passes: passes, verifyEach: false)
    pm.verifyResult = true
    var m = try verified(sampleModule)
    let error = #expect(throws: DiagnosticError.self) { try pm.run(&m) }
    #expect(error?.description == "test.ir:2:3: error: verification failed after the pipeline (cse,corrupt-types,dce): neg: result type f64[N, 4] was written, but the op gives f32[N, 4]")
    #expect(error?.diagnostics.first?.context == .afterPipeline(["cse", "corrupt-types", "dce"]))
    // A sound pipeline passes.
    var clean = PassManager(passes: try registry.parsePipeline("cse,dce"), verifyEach: false)
    clean.verifyResult = true
    var m2 = try verified(sampleModule)
    try clean.run(&m2)
}

@Test func invalidInputIsRejectedBeforeTheFirstPass() throws {
    var m = try Parser.parse("func @f(%x: f32[4]) {\n  %y = reshape %x {shape = [3]}\n  return %y\n}\n", file: "bad.ir")
    let error = #expect(throws: DiagnosticError.self) { try PassManager(pipeline: "dce").run(&m) }
    // The input's own diagnostic, not "verification failed after ...".
    #expect(error?.description == "bad.ir:2:8: error: reshape: cannot reshape f32[4] to [3]: element counts differ")
    #expect(error?.diagnostics.first?.context == nil)
    #expect(error?.diagnostics.first?.body == .shapeRule(op: "reshape", .reshapeCount(TensorType(.f32, [4]), to: [3])))
}

@Test func printAfterAllDumpsEachPassWithAnMLIRHeader() throws {
    var dumps: [String] = []
    var pm = try PassManager(pipeline: "canonicalize,dce")
    pm.printAfterAll = true
    pm.output = { dumps.append($0) }
    var m = try verified(sampleModule)
    try pm.run(&m)
    #expect(dumps.count == 2)
    #expect(dumps[0].hasPrefix("// -----// IR Dump After canonicalize //----- //\nfunc @main("))
    #expect(dumps[0].contains("  %c = exp %x : f32[N, 4]\n"))
    #expect(dumps[1] == "// -----// IR Dump After dce //----- //\n" + Printer.print(m) + "\n")
    #expect(Printer.print(m) == ir("""

        func @main(%x: f32[N, 4]) -> f32[N, 4] {
          %c = exp %x : f32[N, 4]
          return %c
        }

        """))
}

@Test func printAfterSelectsPassesByName() throws {
    var dumps: [String] = []
    var m = try verified(sampleModule)
    try PassManager(passes: try PassRegistry.standard.parsePipeline("canonicalize,cse,dce"),
                    printAfter: ["cse"], output: { dumps.append($0) }).run(&m)
    #expect(dumps.count == 1)
    #expect(dumps.first?.hasPrefix(PassManager.dumpHeader("cse") + "\n") == true)
    let error = #expect(throws: DiagnosticError.self) { try PassManager(passes: [DCEPass()], printAfter: ["cse"]).run(&m) }
    #expect(error?.description.contains("print-after: pass 'cse' is not in the pipeline (dce)") == true)
}

@Test func timePassesReportsEveryPassAndTheTotal() throws {
    var report = ""
    var m = try verified(sampleModule)
    try PassManager(passes: try PassRegistry.standard.parsePipeline("shape-infer,canonicalize,dce"),
                    timePasses: true, output: { report += $0 }).run(&m)
    let lines = report.split(separator: "\n").map(String.init)
    #expect(lines.contains { $0.hasPrefix("  Total Execution Time: ") && $0.hasSuffix(" seconds") })
    for name in ["shape-infer", "canonicalize", "dce", "(verifier)", "Total"] {
        #expect(lines.contains { $0.hasSuffix("%)  \(name)") }, "no row for \(name) in\n\(report)")
    }
}

@Test func observerSeesTheInputAndEveryPass() throws {
    var m = try verified(sampleModule)
    var pm = try PassManager(pipeline: "canonicalize,cse,dce")
    var steps: [(Int, String, Int)] = []
    pm.observer = { step, name, module in steps.append((step, name, module.functions[0].body.count)) }
    try pm.run(&m)
    #expect(steps.map(\.0) == [0, 1, 2, 3])
    #expect(steps.map(\.1) == ["input", "canonicalize", "cse", "dce"])
    // canonicalize folds neg(neg x) (leaving the dead negs), dce removes them.
    #expect(steps.first?.2 == 3)
    #expect(steps.last?.2 == 1)
}

@Test func reproducerGetsTheIREnteringTheFailingPass() throws {
    var registry = PassRegistry.standard
    registry.register(CorruptTypesPass())
    for (pipeline, kind) in [("canonicalize,test-internal-error,dce", CrashReproducer.Kind.internalError),
                             ("canonicalize,corrupt-types,dce", .verificationFailure)] {
        var m = try verified(sampleModule)
        var pm = PassManager(passes: try registry.parsePipeline(pipeline))
        var saved: CrashReproducer?
        pm.reproducer = { report in
            saved = report
            return "/tmp/repro.ir"
        }
        let error = #expect(throws: DiagnosticError.self) { try pm.run(&m) }
        #expect(error?.description.hasSuffix("; reproducer: /tmp/repro.ir (run: vfc opt /tmp/repro.ir --passes \(saved?.pass ?? "?"))") == true)
        #expect(saved?.kind == kind)
        #expect(saved?.step == 1)
        #expect(saved?.pipeline == pipeline.split(separator: ",").map(String.init))
        // The IR entering the pass: canonicalize's output, which still verifies.
        var entering = try #require(saved?.module)
        try Verifier.run(&entering)
        var expected = try verified(sampleModule)
        try PassManager(pipeline: "canonicalize").run(&expected)
        #expect(Printer.print(entering) == Printer.print(expected))
        let text = try #require(saved?.text(file: "r.ir"))
        #expect(text.hasPrefix("// vfc crash reproducer: \(kind.rawValue) in pass '\(saved?.pass ?? "")' (step 2 of 3)\n"))
        // The file parses back to the same module.
        #expect(Printer.print(try verified(text)) == Printer.print(expected))
    }
}

@Test func userErrorsMakeNoReproducer() throws {
    // autodiff's located error (no gradient flows through a compare) is the input's
    // fault, not the compiler's.
    var m = try verified("""
        func @f(%x: f32[4]) -> f32[] {
          %k = gt %x, 0
          %c = convert %k {dtype = f32}
          %s = reduce_sum %c {axes = [0]}
          return %s
        }
        func @g(%x: f32[4]) -> (f32[], f32[4]) {
          %l, %d = value_and_grad @f(%x) {wrt = [0]}
          return %l, %d
        }
        """)
    var pm = try PassManager(pipeline: "autodiff")
    var called = false
    pm.reproducer = { _ in
        called = true
        return "x"
    }
    let error = #expect(throws: DiagnosticError.self) { try pm.run(&m) }
    #expect(error?.description.contains("no gradient flows") == true)
    #expect(error?.description.contains("reproducer") == false)
    #expect(!called)
}

@Test func disablingPassesChecksTheirNames() throws {
    let registry = PassRegistry.standard
    let passes = try registry.parsePipeline("canonicalize,cse,dce,cse")
    #expect(try registry.removing(["cse"], from: passes).map(\.name) == ["canonicalize", "dce"])
    #expect(try registry.removing(["inline"], from: passes).map(\.name) == ["canonicalize", "cse", "dce", "cse"])
    let error = #expect(throws: DiagnosticError.self) { _ = try registry.removing(["fold"], from: passes) }
    #expect(error?.description.contains("unknown pass 'fold'") == true)
    // Test-only passes resolve but are not listed.
    #expect(registry.pass(named: "test-internal-error") != nil)
    #expect(!registry.listing().contains("test-"))
    #expect(!registry.names.contains("test-break-ir"))
}
