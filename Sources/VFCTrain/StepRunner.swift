import VFCCodegen
import VFCTensor

/// What the training loop calls once per step, on this process's batch: one process running
/// the whole `@train_step` (`LocalStepRunner`), or one rank of a data-parallel run
/// (`DistributedStep`).
protocol StepRunner: AnyObject {
    /// One step on this process's batch tensors (the scalars lr, weight_decay and
    /// teacher_momentum included): the metrics of the whole batch, in result order. `step`
    /// is the number of the step (1 for the first).
    func run(batch: [String: Tensor], step: Int, source: String) throws -> [(name: String, value: Double)]
    /// Whether the run stops after this step: `local` (a signal here), agreed by every rank.
    func agreeToStop(_ local: Bool) throws -> Bool
    /// The current state: every param of the module, in its declared dtype.
    var state: [String: Tensor] { get }
    var profileSites: [ProfileSite] { get }
    var compileSeconds: Double { get }
}

/// One process computing `@train_step` on the whole batch.
final class LocalStepRunner: StepRunner {
    let step: TrainStep
    let session: TrainStep.Session

    init(step: TrainStep, state: [String: Tensor], batch: Int) throws {
        self.step = step
        session = try step.session(state: state, bindings: ["B": batch])
    }

    func run(batch: [String: Tensor], step number: Int, source: String) throws -> [(name: String, value: Double)] {
        let (inputs, _) = try step.inputs(from: batch, source: source)
        return try session.run(inputs: inputs)
    }

    func agreeToStop(_ local: Bool) throws -> Bool { local }
    var state: [String: Tensor] { session.state }
    var profileSites: [ProfileSite] { session.profileSites }
    var compileSeconds: Double { step.compileSeconds }
}
