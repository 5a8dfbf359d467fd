import VFCEval
import VFCIR
import VFCTensor

/// The probes of `vfc eval` run every `every` steps of a training run on its current state
/// (`vfc train --eval-every N --eval-data DIR`): the images are decoded and the feature
/// functions compiled once; each evaluation loads the state's weights into them. The
/// figures join the step's metrics (metrics.jsonl, TensorBoard) as `eval/<probe>_<figure>`.
public final class PeriodicEval {
    public let every: Int
    let backbone: Backbone
    let prepared: PreparedSplit
    let options: EvalOptions

    /// `state` is any state of `module` (the run's initial one): it fixes nothing but is
    /// checked, so that a mismatch shows before the first step.
    public init(module: Module, irName: String, state: [String: Tensor], data: String, split: Double,
                options: EvalOptions, every: Int, warn: @escaping (String) -> Void) throws {
        guard every >= 1 else { throw EvalError.evalEvery(every) }
        self.every = every
        self.options = options
        backbone = try Backbone(module: module, irName: irName, state: state, source: "the initial state", network: .teacher)
        let dataset = try EvalDataset(path: data, warn: warn)
        let evalSplit = try EvalSplit(holdingOut: split, of: dataset, seed: options.seed,
                                      what: "--eval-data \(data): a split of \(split) of its \(dataset.count) image(s)")
        prepared = try Evaluation.prepare(evalSplit, side: backbone.side, options: options)
    }

    /// The probes' figures on `state`, named `eval/knn_top1`, `eval/linear_top1`,
    /// `eval/position_r2`, `eval/position_error_patches`, `eval/boxes_ap`, `eval/boxes_ap50`.
    public func figures(state: [String: Tensor], step: Int) throws -> [String: Double] {
        try backbone.load(state: state, source: "the state at step \(step)")
        let r = try Evaluation.run(backbone: backbone, prepared: prepared, options: options, log: { _ in })
        var out: [String: Double] = [:]
        if let k = r.knn { out["eval/knn_top1"] = k.top1 }
        if let l = r.linear { out["eval/linear_top1"] = l.top1 }
        if let p = r.position {
            out["eval/position_r2"] = p.r2
            out["eval/position_error_patches"] = p.meanErrorPatches
        }
        if let b = r.boxes {
            out["eval/boxes_ap"] = b.ap
            out["eval/boxes_ap50"] = b.ap50
        }
        return out
    }
}

extension Trainer {
    /// The state the run starts from (before `run`): to check an evaluation against.
    public var initialState: [String: Tensor] { state }
}
