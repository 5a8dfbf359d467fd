import ArgumentParser
import Foundation
import VFCIR
import VFCPasses

/// `vfc opt FILE.ir --passes a,b,c`: run a pass pipeline and print the result (like mlir-opt).
struct Opt: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a pipeline of passes over a module and print the result.",
        discussion: """
            The module is verified before the first pass and, by default, after every pass \
            ("verification failed after <pass>" names the pass that broke it). IR dumps and \
            timings go to standard error; the final module goes to standard output.
            Examples:
              vfc opt model.ir --passes inline,canonicalize,cse,dce
              vfc opt model.ir --passes inline,cse --print-ir-after-all
              vfc opt model.ir --passes inline,cse,dce --dump-dir dumps --time-passes
              cat model.ir | vfc opt - | vfc opt -
            """)

    @Argument(help: "The .ir file ('-' for standard input).")
    var file: String?

    @Option(help: ArgumentHelp("Comma-separated pass pipeline.", valueName: "a,b,c"))
    var passes: String = "shape-infer"

    @Flag(help: "List the registered passes and exit.")
    var listPasses = false

    @OptionGroup(title: "Debugging the compiler")
    var debug: PassDebugOptions

    @Flag(help: "Check the errors against '// expected-error {{...}}' comments instead of printing.")
    var verifyDiagnostics = false

    func run() throws {
        try reportingErrors {
            if listPasses {
                print(PassRegistry.standard.listing(), terminator: "")
                return
            }
            guard let file else { throw ValidationError("missing input file (use '-' for standard input)") }
            if verifyDiagnostics {
                try runVerifyDiagnostics(file)
                return
            }
            var module = try Parser.parse(try readSource(file), file: displayName(file))
            try debug.passManager(passes).run(&module)
            print(Printer.print(module), terminator: "")
        }
    }
}
