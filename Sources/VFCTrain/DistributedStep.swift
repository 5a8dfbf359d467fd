import Foundation
import VFCCodegen
import VFCIR
import VFCTensor

/// One rank of a data-parallel training step (docs/distributed.md).
///
/// `@grad_step` runs on this rank's slice of the batch and returns the slice's shares of
/// the whole batch's losses, raw gradients and teacher-output sums; they lie in one
/// contiguous block, summed over the ranks in place by an allreduce in a few large pieces;
/// `@apply_step` then computes, on every rank alike, the gradient norm, the clip, AdamW,
/// the teacher EMA and the centres from those sums: the state stays replicated, and equals
/// that of one process stepping on the whole batch (up to the order of float additions).
/// A digest of the state is compared across the ranks at the start and every
/// `checkEvery` steps.
final class DistributedStep: StepRunner {
    static let gradFunction = "grad_step"
    static let applyFunction = "apply_step"

    let communicator: Communicator
    let session: JITLinkedSession
    /// Images of the whole batch (all ranks).
    let globalBatch: Int
    let checkEvery: Int
    let compileSeconds: Double
    var profileSites: [ProfileSite] { session.jit.profileSites }
    private let gradArguments: [String]
    private let applyArguments: [(name: String, output: Int?)]
    private let gradMetrics: [(name: String, index: Int)]
    private let applyMetrics: [(name: String, index: Int)]

    init(step: TrainStep, state: [String: Tensor], sliceBatch: Int, globalBatch: Int, communicator: Communicator,
         checkEvery: Int) throws {
        let module = step.module
        guard let grad = module.function(named: Self.gradFunction), let apply = module.function(named: Self.applyFunction) else {
            throw StepError.noDataParallelHalves(grad: Self.gradFunction, apply: Self.applyFunction)
        }
        self.communicator = communicator
        self.globalBatch = globalBatch
        self.checkEvery = checkEvery
        let jit = try JITModule(module: module, functions: [Self.gradFunction, Self.applyFunction],
                                options: CodegenOptions(bindings: ["B": sliceBatch], profile: step.profile),
                                passManager: step.passManager)
        compileSeconds = jit.compileSeconds
        session = try JITLinkedSession(jit: jit, functions: [Self.gradFunction, Self.applyFunction], params: state)

        func name(_ f: Function, _ r: Operand) -> String? {
            if case .value(let v) = r { return f.values[v.index].name }
            return nil
        }
        let gradEntry = try session.entry(Self.gradFunction)
        var gradOutputs: [String: Int] = [:]
        for (i, r) in grad.returns.enumerated() {
            guard let n = name(grad, r), gradEntry.outputs[i].aliasOf == nil, gradEntry.outputs[i].dtype == .f32 else {
                throw StepError.unsummableGradient(index: i, function: Self.gradFunction)
            }
            gradOutputs[n] = i
        }
        gradArguments = grad.arguments.map { grad.values[$0.index].name }
        applyArguments = apply.arguments.map { a in
            let n = apply.values[a.index].name
            return (n, gradOutputs[n])
        }
        gradMetrics = grad.returns.indices.compactMap { i in
            guard case .value(let v) = grad.returns[i], grad.values[v.index].type?.rank == 0 else { return nil }
            return (grad.values[v.index].name, i)
        }
        applyMetrics = apply.returns.indices.compactMap { i in
            guard apply.resultAliases[i] == nil, let n = name(apply, apply.returns[i]) else { return nil }
            return (n, i)
        }
        try checkReplicas(at: "the start")
    }

    func run(batch: [String: Tensor], step: Int, source: String) throws -> [(name: String, value: Double)] {
        // The position-masked patches of the whole batch normalise L_pos (method.md section 5).
        let mine = batch["position_masks"].map { Int64($0.scalars.reduce(0, +)) } ?? 0
        let positionCount = try communicator.sum([mine], what: "the position-mask count of step \(step)")[0]
        let inputs: [JITLinkedSession.Input] = try gradArguments.map { name in
            switch name {
            case "images": return .tensor(Tensor(scalar: Double(globalBatch), dtype: .f32))
            case "position_count": return .tensor(Tensor(scalar: Double(positionCount), dtype: .f32))
            default:
                guard let t = batch[name] else { throw StepError.missingTensor(source: source, name: name, type: nil) }
                return .tensor(t)
            }
        }
        try session.call(Self.gradFunction, inputs: inputs)

        let block = session.outputBlock(Self.gradFunction)!
        let start = DispatchTime.now().uptimeNanoseconds
        try communicator.sumFloats(block.baseAddress!, count: block.count / 4, what: "the gradient allreduce of step \(step)")
        let allreduceSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

        let applyInputs: [JITLinkedSession.Input] = try applyArguments.map { a in
            if let i = a.output { return .output(function: Self.gradFunction, index: i) }
            if a.name == "images" { return .tensor(Tensor(scalar: Double(globalBatch), dtype: .f32)) }
            guard let t = batch[a.name] else { throw StepError.missingTensor(source: source, name: a.name, type: nil) }
            return .tensor(t)
        }
        try session.call(Self.applyFunction, inputs: applyInputs)

        var metrics: [(name: String, value: Double)] = []
        for (n, i) in gradMetrics { metrics.append((n, try session.result(Self.gradFunction, i).scalars.first ?? .nan)) }
        for (n, i) in applyMetrics { metrics.append((n, try session.result(Self.applyFunction, i).scalars.first ?? .nan)) }
        metrics.append(("allreduce_s", allreduceSeconds))
        if step % checkEvery == 0 { try checkReplicas(at: "step \(step)") }
        return metrics
    }

    func agreeToStop(_ local: Bool) throws -> Bool { try communicator.any(local, what: "the stop vote") }

    var state: [String: Tensor] { session.params }

    /// Compares a digest of the state across the ranks; every rank sees a difference (the
    /// largest digest differs from the smallest) and throws the same error.
    func checkReplicas(at when: String) throws {
        guard communicator.size > 1 else { return }
        let digest = Int64(bitPattern: session.paramDigest())
        let maxima = try communicator.max([digest, ~digest], what: "the state check at \(when)")
        if maxima[0] != digest || maxima[1] != ~digest {
            throw StepError.replicasDiverged(rank: communicator.rank, when: when, digest: UInt64(bitPattern: digest), largest: UInt64(bitPattern: maxima[0]))
        }
    }
}
