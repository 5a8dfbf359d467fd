import Foundation
import VFCRun
import VFCTensor

/// Data parallelism in the training loop (docs/distributed.md): which slice of each batch
/// this rank prepares, and which step runner computes the step.
extension Trainer {
    /// Refuses a batch that the ranks cannot share equally.
    static func checkSlices(batch: Int, _ communicator: Communicator) throws {
        guard batch % communicator.size == 0 else {
            throw StepError.unevenBatch(batch: batch, ranks: communicator.size)
        }
    }

    /// Where this rank writes copies of its checkpoints (`RUN_DIR/rank-R`), when asked to:
    /// the files of rank 0 and of the others must be identical.
    func saveReplica(step: Int, state: () -> [String: Tensor]) throws {
        guard let directory = replicaDirectory else { return }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try CheckpointStore(runDirectory: directory).save(step: step, tensors: state(), metadata: ["rank": String(communicator.rank)])
    }

    var replicaDirectory: String? {
        guard writeReplicas, communicator.rank != 0 else { return nil }
        return "\(runDirectory)/rank-\(communicator.rank)"
    }

    /// The compiled functions of a step, for messages: `@train_step` alone, the two halves
    /// under MPI.
    public var compiledFunctions: String {
        communicator.usesMPI ? "@\(DistributedStep.gradFunction) and @\(DistributedStep.applyFunction)" : "@\(step.function.name)"
    }

    /// This rank's slots of each batch; nil alone (the whole batch).
    var slice: Range<Int>? {
        guard communicator.usesMPI else { return nil }
        let share = config.batch / communicator.size
        return communicator.rank * share ..< (communicator.rank + 1) * share
    }

    /// The whole `@train_step` alone; under MPI (even with one rank), `@grad_step` on this
    /// rank's slice, the allreduce, and `@apply_step`.
    func makeRunner() throws -> StepRunner {
        guard communicator.usesMPI else { return try LocalStepRunner(step: step, state: state, batch: config.batch) }
        return try DistributedStep(step: step, state: state, sliceBatch: config.batch / communicator.size,
                                   globalBatch: config.batch, communicator: communicator, checkEvery: replicaCheckEvery)
    }
}
