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
              cat model.ir | vfc opt - | vfc opt -
            """)

    @Argument(help: "The .ir file ('-' for standard input).")
    var file: String?

    @Option(help: ArgumentHelp("Comma-separated pass pipeline.", valueName: "a,b,c"))
    var passes: String = "shape-infer"

    @Flag(help: "List the registered passes and exit.")
    var listPasses = false

    @Flag(name: .customLong("print-ir-after-all"), help: "Print the module to stderr after every pass.")
    var printIRAfterAll = false

    @Option(name: .customLong("print-ir-after"), parsing: .singleValue,
            help: ArgumentHelp("Print the module to stderr after the named pass (repeatable).", valueName: "pass"))
    var printIRAfter: [String] = []

    @Flag(help: "Print the wall time of each pass to stderr.")
    var timePasses = false

    @Flag(inversion: .prefixedNo, help: "Run the verifier after every pass.")
    var verifyEach = true

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
            var pm = try PassManager(pipeline: passes)
            pm.verifyEach = verifyEach
            pm.printAfterAll = printIRAfterAll
            pm.printAfter = Set(printIRAfter)
            pm.timePasses = timePasses
            pm.output = { printError($0) }
            try pm.run(&module)
            print(Printer.print(module), terminator: "")
        }
    }
}
