import ArgumentParser
import VFCEval
import VFCTrain

/// `vfc train --eval-every N --eval-data DIR [--eval-probe knn,position]`: the probes of
/// `vfc eval` on the teacher during training, logged with the step's metrics.
struct TrainEvalOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Run the probes of vfc eval on the teacher every N steps (needs --eval-data); figures go to metrics.jsonl and TensorBoard as eval/<probe>_<figure>.", valueName: "N"))
    var evalEvery: Int?

    @Option(help: ArgumentHelp("Labelled images for --eval-every (as vfc eval --data; a seeded fifth validates).", valueName: "DIR"))
    var evalData: String?

    @Option(name: .customLong("eval-probe"), parsing: .singleValue,
            help: ArgumentHelp("Probes of --eval-every (as vfc eval --probe; default knn,position).", valueName: "NAME"))
    var evalProbes: [String] = []

    // Checked before the run directory is created.
    func validate() throws {
        guard let every = evalEvery else {
            if evalData != nil || !evalProbes.isEmpty { throw ValidationError("--eval-data and --eval-probe need --eval-every N") }
            return
        }
        guard every >= 1 else { throw ValidationError("--eval-every must be >= 1, got \(every)") }
        guard evalData != nil else { throw ValidationError("--eval-every needs --eval-data DIR (labelled images)") }
        _ = try parseProbeList(evalProbes)
    }

    /// The evaluation of `trainer`'s run (rank 0 alone evaluates), nil without --eval-every.
    func make(trainer: Trainer) throws -> PeriodicEval? {
        guard let every = evalEvery, let data = evalData, trainer.communicator.rank == 0 else { return nil }
        let (probes, explicit) = try parseProbeList(evalProbes.isEmpty ? ["knn,position"] : evalProbes)
        return try PeriodicEval(module: trainer.step.module, irName: trainer.config.module, state: trainer.initialState, data: data,
                                split: 0.2, options: EvalOptions(probes: probes, explicit: explicit, seed: 0), every: every,
                                warn: { printError("vfc: warning: " + $0) })
    }
}
