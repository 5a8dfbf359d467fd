import ArgumentParser
import VFCIR
import VFCPasses

/// `vfc grad FILE.ir`: print the module with generated gradient functions.
struct GradCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grad",
        abstract: "Print the module with a generated gradient function per function (reverse mode).",
        discussion: """
            For a function whose first result is a float scalar, @NAME.grad returns its results \
            and the gradients of the first one. For any other function, @NAME.vjp takes one extra \
            argument %ct_i per float result (its cotangent) and returns the results and the \
            vector-Jacobian products. --wrt params differentiates with respect to every param \
            the function reads; --wrt %a,%b with respect to those arguments (by name); the \
            default is every float argument and every param with a gradient path.
            """)

    @Argument(help: "The .ir file ('-' for standard input).")
    var file: String

    @Option(name: .customLong("func"), help: "The function to differentiate (default: every function with float inputs or params).")
    var function: String?

    @Option(help: ArgumentHelp("What to differentiate with respect to: 'params', or argument names '%a,%b' (both may be combined: 'params,%a').", valueName: "params|%a,%b"))
    var wrt: String?

    @Option(help: ArgumentHelp("Passes to run on the result, e.g. 'inline,canonicalize,cse,dce'.", valueName: "a,b,c"))
    var passes: String?

    func run() throws {
        try reportingErrors {
            var module = try loadModule(file)
            let originals = module.functions
            let names = function.map { [$0] } ?? originals.map(\.name)
            for name in names {
                guard let f = module.function(named: name) else { throw DriverError.noFunction(name, file: displayName(file), known: nil) }
                let targets = try gradTargets(f, module)
                if targets.isEmpty {
                    if function != nil { throw DriverError.nothingToDifferentiate(function: name) }
                    continue
                }
                let isLoss = f.resultTypes?.first.map { $0.rank == 0 && $0.dtype.isFloat } ?? false
                let gname = AutodiffPass.freshName(name + (isLoss ? ".grad" : ".vjp"), in: module)
                module.functions.append(try Autodiff.gradientFunction(
                    of: name, in: module, wrt: targets, seed: isLoss ? .loss : .cotangents, name: gname, at: f.loc))
            }
            var pm = try PassManager(pipeline: "shape-infer" + (passes.map { "," + $0 } ?? ""))
            pm.output = { printError($0) }
            try pm.run(&module)
            print(Printer.print(module), terminator: "")
        }
    }

    /// The targets named by --wrt, or by default every float argument and every param with
    /// a gradient path (arguments that only steer, like boxes, are left out).
    private func gradTargets(_ f: Function, _ module: Module) throws -> [GradTarget] {
        let argIndex = Dictionary(f.arguments.enumerated().map { (f.values[$0.element.index].name, $0.offset) }, uniquingKeysWith: { a, _ in a })
        guard let wrt else {
            let floats = f.arguments.indices.filter { f.values[f.arguments[$0].index].type?.dtype.isFloat == true }
            let candidates = floats.map { GradTarget.argument($0) } + module.expand([.allParams], callee: f.name)
            let blockers = try Autodiff.blockingOps(of: f.name, in: module, targets: candidates)
            return zip(candidates, blockers).filter { $0.1 == nil }.map(\.0)
        }
        var out: [GradTarget] = []
        for item in wrt.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if item == "params" {
                out.append(.allParams)
            } else if item.hasPrefix("%"), let k = argIndex[String(item.dropFirst())] {
                out.append(.argument(k))
            } else if item.hasPrefix("@") {
                out.append(.param(String(item.dropFirst())))
            } else {
                throw DriverError.badWrt(item, function: f.name)
            }
        }
        return out
    }
}
