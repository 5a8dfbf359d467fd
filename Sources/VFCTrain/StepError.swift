import Foundation
import VFCCodegen
import VFCIR
import VFCInterpreter

/// An error of a training run, by what is at fault: the step function, a batch or state
/// file, the run directory, an option, MPI, or a timm export. Each case carries the names
/// and shapes it is about; `description` is the message.
public enum StepError: Error, CustomStringConvertible, Sendable {
    // The step function.
    /// No function `name` in the module; `known` lists those there are.
    case noFunction(String, known: [String])
    /// Result `index` of `function` returns a param without updating it.
    case unupdatedParam(index: Int, function: String)
    /// Result `index` of `function` (value `value`) is neither a metric, a gradient nor an update.
    case unknownResult(index: Int, function: String, value: String)
    /// `function` has no argument `argument`.
    case noArgument(function: String, argument: String)
    /// An argument whose dims after the batch dim are not static.
    case dynamicDims(argument: String, type: TensorType)
    /// The step's arguments and field do not have method.md's layout.
    case notMethodLayout(function: String)
    /// A module without the two halves data-parallel training calls.
    case noDataParallelHalves(grad: String, apply: String)
    /// Result `index` of the gradient half is not an f32 value of its own.
    case unsummableGradient(index: Int, function: String)

    // Batch and state files.
    /// The tensors of `source` (a batch or state file) do not fit the step's arguments;
    /// the arguments are named as tensors (`tensor %global_views`).
    case batch(source: String, BindingError)
    /// `source` lacks tensor `name` (declared as `type`, when known).
    case missingTensor(source: String, name: String, type: String?)
    /// A tensor of `source` with another dtype or shape than its declaration.
    case tensorType(source: String, name: String, got: BufferType, expected: TensorType)

    // The run directory, its configuration and the module file.
    /// `directory` has no readable configuration at `config`.
    case notRunDirectory(String, config: String)
    /// The configuration at `path` does not decode.
    case invalidRunConfig(path: String, underlying: any Error)
    /// The configuration's relative paths find no module with the run's digest.
    case relativePaths(config: String, module: String, data: String)
    /// The module file cannot be read.
    case unreadableModule(String)
    /// The module file's digest is not the run's.
    case moduleChanged(String, digest: String, recorded: String)
    /// A training option out of its range: `option` must be `requirement`, got `value`.
    case option(String, requirement: String, value: String?)
    /// A batch the ranks cannot share equally.
    case unevenBatch(batch: Int, ranks: Int)
    /// The loss became NaN or infinite at `step`.
    case nonFiniteLoss(step: Int, loss: Double, lastCheckpoint: String?, runDirectory: String, lr: Double)

    // MPI.
    /// MPI did not start.
    case mpiInit(String)
    /// An MPI call of this rank failed.
    case mpiFailed(rank: Int, call: String, message: String)
    /// The ranks' states differ (digests of this rank and the largest).
    case replicasDiverged(rank: Int, when: String, digest: UInt64, largest: UInt64)

    // timm export and import.
    /// The state lacks a tensor a timm backbone needs.
    case missingStateTensor(String)
    /// The field and the patch embedding (of network `prefix`) are not [S, S, D] and [D, 3, P, P], P dividing S.
    case timmLayout(prefix: String, field: [Int], weight: [Int])
    /// The class token (of network `prefix`) is not [width].
    case classToken(prefix: String, shape: [Int], width: Int)
    /// A timm backbone without its patch embedding, position embedding or first MLP.
    case incompleteBackbone
    /// A timm position embedding that is not [1, 1 + n^2, D].
    case positionEmbedding([Int])
    /// A head count that does not divide the width.
    case headsDivide(heads: Int, width: Int)
    /// The module's qkv reshapes give no single head count (`found`: those they give).
    case unknownHeads(module: String?, width: Int, found: [Int])

    public var description: String {
        switch self {
        case let .noFunction(name, known):
            return "no function '@\(name)' in the module (functions: \(known.isEmpty ? "none" : known.map { "@" + $0 }.joined(separator: ", ")))"
        case let .unupdatedParam(i, f): return "result \(i) of @\(f) is a param that it does not update; return a value"
        case let .unknownResult(i, f, v):
            return "result \(i) of @\(f) (%\(v)) is neither a scalar metric, a 'grad.<param>' nor an update of a param ('aliases @param')"
        case let .noArgument(f, a): return "@\(f) has no argument %\(a)"
        case let .dynamicDims(a, t): return "%\(a): dims after the batch dim must be static, got \(t)"
        case .notMethodLayout(let f): return "@\(f)'s arguments and @pos_field do not have method.md's layout"
        case let .noDataParallelHalves(grad, apply):
            return "data-parallel training needs @\(grad) and @\(apply) in the module "
                + "(the halves of @train_step that scripts/gen_ssl.py writes); this module has neither or one"
        case let .unsummableGradient(i, f): return "result \(i) of @\(f) must be an f32 value of its own (it is summed over the ranks)"
        case let .batch(source, e): return "\(source): " + e.message(argumentNoun: "tensor")
        case let .missingTensor(source, name, type): return "\(source): missing tensor '\(name)'" + (type.map { " (\($0))" } ?? "")
        case let .tensorType(source, name, got, expected): return "\(source): tensor '\(name)' is \(got), expected \(expected)"
        case let .notRunDirectory(dir, config): return "\(dir) is not a run directory: cannot read \(config)"
        case let .invalidRunConfig(path, underlying): return "\(path): not a valid run configuration (\(underlying))"
        case let .relativePaths(config, module, data):
            return "\(config): the relative paths module '\(module)' and data '\(data)' "
                + "name no module with the run's digest and its data from the current directory or any directory above "
                + "the run directory; resume once from the directory the run was started in (the resume records absolute paths)"
        case .unreadableModule(let path): return "cannot read '\(path)': no such file"
        case let .moduleChanged(path, digest, recorded):
            return "\(path) has changed since the run started (digest \(digest), the run's is \(recorded))"
        case let .option(option, requirement, value): return "\(option) must be \(requirement)" + (value.map { ", got \($0)" } ?? "")
        case let .unevenBatch(batch, ranks):
            return "--batch \(batch) is not divisible by the \(ranks) ranks of this run: each rank takes "
                + "an equal slice of the batch; choose a batch that is a multiple of the rank count (mpirun -np)"
        case let .nonFiniteLoss(step, loss, last, dir, lr):
            let spelled = loss.isNaN ? "NaN" : (loss > 0 ? "+inf" : "-inf")
            return "step \(step): the loss is \(spelled); stopping. The last good checkpoint is "
                + (last ?? "none (no checkpoint was written)")
                + ": resume from it with a lower learning rate (vfc train --resume \(dir) --lr \(String(format: "%g", lr / 10)))"
        case .mpiInit(let m): return "cannot initialise MPI (started by mpirun): \(m)"
        case let .mpiFailed(rank, call, m): return "rank \(rank): MPI failed in \(call): \(m)"
        case let .replicasDiverged(rank, when, digest, largest):
            return "rank \(rank): the ranks' states differ at \(when) (state digest "
                + "\(String(digest, radix: 16)) here, largest \(String(largest, radix: 16))): "
                + "the replicas have diverged; stopping"
        case .missingStateTensor(let name): return "missing tensor '\(name)' in the state"
        case let .timmLayout(prefix, field, weight):
            return "'\(prefix)pos_field' \(field) and '\(prefix)patch_embed.proj.weight' \(weight) are not a field [S, S, D] and a patch embedding [D, 3, P, P] with P dividing S"
        case let .classToken(prefix, shape, width): return "'\(prefix)cls_token' is \(shape), expected [\(width)]"
        case .incompleteBackbone: return "the backbone lacks patch_embed.proj.weight, pos_embed or blocks.0.mlp.fc1.weight"
        case .positionEmbedding(let shape): return "pos_embed \(shape) is not [1, 1 + n^2, D]"
        case let .headsDivide(heads, width): return "\(heads) attention heads do not divide the width \(width)"
        case let .unknownHeads(module, width, found):
            let what = found.isEmpty ? "no reshape of a qkv projection to [..., 3, heads, \(width) / heads]"
                : "reshapes to \(found.map(String.init).joined(separator: " and ")) heads"
            return "\(module.map { "@" + $0 } ?? "the module"): cannot tell the attention heads of width \(width): \(what)"
        }
    }
}
