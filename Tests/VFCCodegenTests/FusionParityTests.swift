import Foundation
import Testing
import VFCCodegen
import VFCIR
import VFCInterpreter
import VFCPasses
import VFCTensor
import VFCTestSupport

/// Fused against unfused code through the JIT, on every function of every .ir file in the
/// repository (the functions `RepoParityTests` checks against the interpreter): the
/// default pipeline (with fuse-reductions, fuse-epilogues, fuse-elementwise) and the same
/// pipeline without them agree within the JIT's parity tolerance, fusion never adds a
/// kernel, and it leaves the analytic flop count alone.
@Suite struct FusionParityTests {
    /// The codegen pipeline without the fusion passes (what `--disable-passes` gives).
    static var unfused: PassManager {
        PassManager(passes: (try? PassRegistry.standard.removing(
            PassRegistry.fusionPasses, from: PassRegistry.standard.parsePipeline(PassRegistry.codegenPipeline))) ?? [])
    }

    @Test func fusedAndUnfusedAgreeOnEveryFunction() throws {
        var checked = 0, fusedSomething = 0
        var failures: [String] = []
        for url in RepoParityTests.irFiles() {
            let name = url.lastPathComponent
            guard let text = try? String(contentsOf: url, encoding: .utf8),
                  var module = try? Parser.parse(text, file: name), (try? Verifier.run(&module)) != nil,
                  (try? AutodiffPass().run(&module)) != nil else { continue }
            for f in module.functions where RepoParityTests.notComparableReason(name, f.name) == nil {
                var bindings: [String: Int] = [:]
                for v in f.values { for d in v.type?.shape ?? [] { for s in d.symbols { bindings[s] = 3 } } }
                guard let inputs = try? randomInputs(function: f, bindings: bindings, seed: 2),
                      let params = try? initialParams(module: module, seed: 2, floatType: nil),
                      (try? Interpreter(module: module).run(function: f.name, inputs: inputs, params: params, bindings: bindings)) != nil
                else { continue }
                do {
                    let options = CodegenOptions(bindings: bindings)
                    let fused = try LoweredModule(module: module, functions: [f.name], options: options)
                    let plain = try LoweredModule(module: module, functions: [f.name], options: options, passManager: Self.unfused)
                    let (fs, ps) = (fused.stats[0], plain.stats[0])
                    if fs.kernels > ps.kernels || fs.flops != ps.flops {
                        failures.append("\(name) @\(f.name): fused \(fs.kernels) kernels, \(fs.flops) flops; unfused \(ps.kernels), \(ps.flops)")
                    }
                    if fs.kernels < ps.kernels { fusedSomething += 1 }
                    let a = try JITModule(module: module, functions: [f.name], options: options)
                        .run(function: f.name, inputs: inputs, params: params)
                    let b = try JITModule(module: module, functions: [f.name], options: options, passManager: Self.unfused)
                        .run(function: f.name, inputs: inputs, params: params)
                    let diff = zip(a, b).map { maxRelativeDifference($0, $1) }.max() ?? 0
                    if a.count != b.count || diff > RepoParityTests.tolerance {
                        failures.append("\(name) @\(f.name): fused and unfused differ by \(diff)")
                    }
                    checked += 1
                } catch {
                    failures.append("\(name) @\(f.name): \(error)")
                }
            }
        }
        print("fusion parity: \(checked) functions agree, \(fusedSomething) with fewer kernels fused")
        #expect(failures.isEmpty, Comment(rawValue: failures.joined(separator: "\n")))
        #expect(checked >= 100)
        #expect(fusedSomething >= 20)
    }

    @Test func vitBlockForwardAndBackwardHaveFewerKernelsAndBytesFused() throws {
        var module = try verified(try repoFile("IR/vit_block.ir"), file: "vit_block.ir")
        module.functions.append(try Autodiff.gradientFunction(
            of: "block", in: module, wrt: [.argument(0), .allParams], seed: .cotangents, name: "block.vjp"))
        try Verifier.run(&module)
        let options = CodegenOptions(bindings: ["N": 2, "T": 65])
        for f in ["block", "block.vjp"] {
            let fused = try LoweredModule(module: module, functions: [f], options: options).stats[0]
            let plain = try LoweredModule(module: module, functions: [f], options: options, passManager: Self.unfused).stats[0]
            #expect(fused.kernels < plain.kernels, "@\(f): \(fused.kernels) vs \(plain.kernels)")
            #expect(fused.bytesMoved < plain.bytesMoved)
            #expect(fused.gemmCalls == plain.gemmCalls)
            #expect(fused.flops == plain.flops)
        }
    }
}
