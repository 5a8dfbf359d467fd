import VFCIR

/// An evaluation that cannot run as asked, by what is wrong: the module, the checkpoint,
/// the data and its labels, the split, or a probe's training. Each case carries the paths,
/// names and counts it is about; `description` is the message.
public enum EvalError: Error, CustomStringConvertible, Sendable {
    // The module and the checkpoint.
    /// The module lacks a feature function vfc eval calls.
    case noFeatureFunction(module: String, function: String)
    /// The whole-image feature function does not map images to tokens.
    case featureSignature(module: String, function: String)
    /// A token count that is not 1 + n*n for a patch grid dividing the side.
    case tokenCount(module: String, function: String, tokens: Int, side: Int)
    /// The checkpoint lacks a param the feature function reads.
    case missingWeight(source: String, name: String, type: TensorType, function: String, module: String)
    /// A checkpoint tensor of another shape or dtype than the module's param.
    case weightType(source: String, name: String, dtype: DType, shape: [Int], declared: TensorType, module: String)

    // The data.
    /// A labels file of vfc data synth that does not decode.
    case invalidLabels(path: String, underlying: any Error)
    /// The labels file lacks an image.
    case unlabelledImage(labels: String, image: String)
    /// `what` leaves one side of the split empty (`hint`: how to fix it, or empty).
    case emptySplitSide(what: String, training: Bool, hint: String)
    /// A split side without images.
    case noImagesAfterSplit(path: String, training: Bool)
    /// The validation data's classes are not the training data's.
    case classesDiffer(val: String, valClasses: [String], train: String, trainClasses: [String])
    /// Data without class labels for probes named explicitly.
    case noClassLabels(path: String, probes: [String])
    /// Data without boxes for the boxes probe named explicitly.
    case noBoxes(path: String)
    /// No image of a split side decodes.
    case noReadableImage(training: Bool)
    /// No image of a split side has a label.
    case noLabelledImage(training: Bool)

    // Probes.
    /// The linear probe's learning-rate hold-out needs two training images.
    case tooFewForHoldOut(Int)
    /// Features and targets that do not fit the head.
    case headShape(rows: Int, dim: Int, targetRows: Int, targetDim: Int, inputs: Int, targetWidth: Int)
    /// Features to score whose width is not the one the head was fitted on.
    case featureWidth(got: Int, fitted: Int)
    /// Probe training diverged.
    case diverged(loss: Double)
    /// `--eval-every` below 1.
    case evalEvery(Int)

    public var description: String {
        func side(_ training: Bool) -> String { training ? "training" : "validation" }
        switch self {
        case let .noFeatureFunction(module, f):
            return "\(module) has no function @\(f): vfc eval needs the feature functions scripts/gen_ssl.py writes (@features, @teacher_features, @student_global, @teacher_global)"
        case let .featureSignature(module, f): return "\(module): @\(f) must take images f32[N, 3, G, G] and return tokens f32[N, 1 + n*n, D]"
        case let .tokenCount(module, f, t, g): return "\(module): @\(f) returns \(t) tokens, not 1 + n*n for an n x n patch grid dividing \(g)"
        case let .missingWeight(source, name, type, f, module):
            return "\(source): no tensor '\(name)' (\(type)), which @\(f) of \(module) reads: a checkpoint of another model?"
        case let .weightType(source, name, dtype, shape, declared, module):
            return "\(source): tensor '\(name)' is \(dtype)\(shape), but \(module) declares \(declared): a checkpoint of another config than the IR"
        case let .invalidLabels(path, underlying): return "\(path): not a labels file of vfc data synth (\(underlying))"
        case let .unlabelledImage(labels, image): return "\(labels) has no entry for \(image)"
        case let .emptySplitSide(what, training, hint): return "\(what) leaves no \(side(training)) image\(hint)"
        case let .noImagesAfterSplit(path, training): return "no \(side(training)) images in \(path) after the split"
        case let .classesDiffer(val, valClasses, train, trainClasses):
            return "the classes of \(val) (\(valClasses.joined(separator: ", "))) differ from those of \(train) (\(trainClasses.joined(separator: ", ")))"
        case let .noClassLabels(path, probes):
            return "\(path) has no class labels (no class subfolders and no labels.json of vfc data synth): the \(probes.joined(separator: " and ")) probe\(probes.count > 1 ? "s need" : " needs") them"
        case .noBoxes(let path): return "\(path) has no boxes (no labels.json of vfc data synth): the boxes probe needs them"
        case .noReadableImage(let training): return "no readable \(side(training)) image"
        case .noLabelledImage(let training): return "no labelled \(side(training)) image"
        case .tooFewForHoldOut(let n): return "the linear probe needs at least 2 training images for its learning-rate hold-out, got \(n)"
        case let .headShape(rows, dim, targetRows, targetDim, inputs, width):
            return "probe training: \(rows) x \(dim) features and \(targetRows) x \(targetDim) targets do not fit a head of \(inputs) inputs and \(width)-wide targets"
        case let .featureWidth(got, fitted): return "probe: features of width \(got), but the head was fitted on width \(fitted)"
        case .diverged(let loss): return "probe training diverged (loss \(loss)); try a smaller learning rate"
        case .evalEvery(let n): return "--eval-every must be >= 1, got \(n)"
        }
    }
}
