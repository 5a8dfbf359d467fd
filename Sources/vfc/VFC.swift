import ArgumentParser

/// The `vfc` command: a compiler driver in the style of `mlir-opt` and `swiftc`.
@main
struct VFC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vfc",
        abstract: "vfc: a tensor compiler for the crop-tied vector-field ViT.",
        discussion: """
            Reads modules of the vfc IR (.ir text), verifies them and infers shapes, \
            transforms them with named passes, runs them on the reference interpreter or the LLVM \
            JIT, and compiles them ahead of time to objects with a C header.
            Errors are printed as FILE:LINE:COL: error: <op>: <message>, with exit code 1.
            """,
        version: "0.1.0",
        subcommands: [Check.self, Opt.self, Run.self, Compile.self, GradCommand.self, GradCheckCommand.self,
                      InitCommand.self, StepCommand.self, ExportCommand.self, TrainCommand.self, DataCommand.self, PlotCommand.self,
                      EnvCommand.self, FuzzCommand.self, EvalCommand.self])
}
